"""Per-function worker processes: warm reuse, cold starts, timeouts, memory limits, crashes, logs."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.logs import lambda_group, put_line

log = logging.getLogger("svideo.local.lambda")

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# RLIMIT_AS counts address space, not resident memory: the interpreter, its libraries and thread stacks
# need room beyond MemorySize before the handler allocates anything, so the limit is MemorySize + headroom.
ADDRESS_SPACE_HEADROOM_MB = 512
INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit; a slower import is given the function timeout on top
# Lambda keeps an execution environment warm for minutes after its last invocation, however many a burst
# needed: a worker idle for IDLE_TIMEOUT_S is reclaimed, and at most MAX_IDLE_WORKERS per function version
# wait (a bound on memory, ~80 MB each, not a concurrency limit: a burst beyond it still starts workers).
IDLE_TIMEOUT_S = 300.0
MAX_IDLE_WORKERS = 64
LOG_TAIL_BYTES = 4096
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
}


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to run one version of a function."""

    function_name: str
    version: str
    function_arn: str
    handler: str
    code_dir: Path
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]
    log_group: str
    credentials: dict[str, str] = field(default_factory=dict)  # the execution role's session, as STS issues


@dataclass
class Outcome:
    """One invocation's result as the runtime saw it; `error` is the AWS error payload when it failed."""

    request_id: str
    payload: bytes
    error: dict[str, Any] | None = None
    log_lines: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    init_duration_ms: float | None = None

    @property
    def function_error(self) -> str | None:
        return "Unhandled" if self.error is not None else None

    def log_tail(self) -> str:
        text = ("\n".join(self.log_lines) + "\n").encode()
        return base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()


class FunctionLog:
    """`<state_dir>/logs/<function>.log`: one JSON object per line, platform lines as Lambda prints them."""

    def __init__(self, path: Path, function_name: str, region: str = "us-east-1") -> None:
        self._path = path
        self._function = function_name
        self._region = region
        # One log stream per day and version, as Lambda names them: YYYY/MM/DD/[$LATEST]<instance>.
        self._instance = uuid.uuid4().hex
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: Any = None  # opened on the first line, kept open: a burst writes thousands

    def write(
        self, request_id: str, message: str, *, stream: str = "platform", version: str = "$LATEST"
    ) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "function": self._function,
            "version": version,
            "request_id": request_id,
            "stream": stream,
            "message": message,
        }
        with self._lock:
            if self._handle is None:
                self._handle = self._path.open("a", encoding="utf-8", buffering=1)  # line-buffered
            self._handle.write(json.dumps(record) + "\n")
        now = datetime.now(UTC)
        stream_name = f"{now:%Y/%m/%d}/[{version}]{self._instance}"
        stamp = int(now.timestamp() * 1000)
        put_line(self._region, lambda_group(self._function), stream_name, message, stamp)


class Worker:
    """One warm runtime process running one function version's handler, one invocation at a time."""

    def __init__(self, spec: WorkerSpec, base_env: dict[str, str], function_log: FunctionLog) -> None:
        self.spec = spec
        self._log = function_log
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._current: Outcome | None = None
        self._lines_lock = threading.Lock()
        self.init_duration_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self._init_reported = False
        self._init_lines: list[str] = []  # what the module printed while importing: the first tail shows it
        self.idle_since = time.monotonic()
        env = self._environment(base_env)
        self.process = subprocess.Popen(
            [sys.executable, str(BOOTSTRAP)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=spec.code_dir,
            env=env,
            start_new_session=True,
        )
        threading.Thread(
            target=self._read_channel, name=f"lambda-{spec.function_name}-out", daemon=True
        ).start()
        threading.Thread(
            target=self._read_stderr, name=f"lambda-{spec.function_name}-err", daemon=True
        ).start()

    def _environment(self, base_env: dict[str, str]) -> dict[str, str]:
        spec = self.spec
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
        env.update(spec.environment)
        env.update(base_env)
        env.update(spec.credentials)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": (
                    f"{datetime.now(UTC):%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"
                ),
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "_HANDLER": spec.handler,
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "PYTHONUNBUFFERED": "1",
                # glibc reserves 64 MB of address space per malloc arena, which RLIMIT_AS counts
                "MALLOC_ARENA_MAX": "2",
                "SVIDEO_LAMBDA_ADDRESS_SPACE_BYTES": str(
                    (spec.memory_mb + ADDRESS_SPACE_HEADROOM_MB) * 1024 * 1024
                ),
            }
        )
        return env

    def _read_channel(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                self._line("", "stdout", raw.decode(errors="replace").rstrip("\n"))
                continue
            if message.get("type") == "log":
                self._line(message.get("request_id", ""), message.get("stream", "stdout"), message["message"])
            else:
                self._messages.put(message)
        self._messages.put({"type": "exit"})

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            current = self._current
            self._line(
                current.request_id if current else "", "stderr", raw.decode(errors="replace").rstrip("\n")
            )

    def _line(self, request_id: str, stream: str, message: str) -> None:
        self._log.write(request_id, message, stream=stream, version=self.spec.version)
        with self._lines_lock:
            current = self._current
            if current is not None:
                current.log_lines.append(message)
            elif not self._init_reported:
                self._init_lines.append(message)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self) -> None:
        """Cold start: the bootstrap imports the handler module and reports how long that took."""
        try:
            message = self._messages.get(timeout=INIT_TIMEOUT_S + self.spec.timeout_s)
        except queue.Empty:
            self.kill()
            self.init_error = {"errorType": "Runtime.InitTimeout", "errorMessage": "Init phase timed out"}
            return
        if message["type"] == "exit":
            self.init_error = self._exit_error("")
            return
        self.init_duration_ms = float(message.get("duration_ms", 0.0))
        if not message.get("ok"):
            self.init_error = message["error"]

    def invoke(
        self, request_id: str, payload: bytes, *, invoked_arn: str, client_context: Any = None
    ) -> Outcome:
        spec = self.spec
        outcome = Outcome(request_id=request_id, payload=b"")
        with self._lines_lock:
            self._current = outcome
        started = time.perf_counter()
        self._log.write(
            request_id, f"START RequestId: {request_id} Version: {spec.version}", version=spec.version
        )
        outcome.log_lines.append(f"START RequestId: {request_id} Version: {spec.version}")
        if not self._init_reported:
            outcome.init_duration_ms = self.init_duration_ms
            outcome.log_lines[:0] = self._init_lines
            self._init_reported = True
        if self.init_error is not None:
            outcome.error = {**self.init_error, "requestId": request_id}
            self._line(
                request_id, "stderr", f"[ERROR] {outcome.error['errorType']}: {outcome.error['errorMessage']}"
            )
            self.kill()  # AWS retries init on the next invocation
        else:
            deadline = time.time() + spec.timeout_s
            request = {
                "type": "invoke",
                "request_id": request_id,
                "payload": payload.decode(),
                "deadline_ms": int(deadline * 1000),
                "invoked_function_arn": invoked_arn,
                "client_context": client_context,
            }
            self._run(outcome, request, deadline)
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        self._finish(outcome)
        return outcome

    def _run(self, outcome: Outcome, request: dict[str, Any], deadline: float) -> None:
        request_id = outcome.request_id
        try:
            assert self.process.stdin is not None
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            outcome.error = self._exit_error(request_id)
            return
        try:
            message = self._messages.get(timeout=max(deadline - time.time(), 0.0))
        except queue.Empty:
            self.kill()
            seconds = f"{self.spec.timeout_s:.2f}"
            outcome.error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds} seconds",
            }
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self._line(request_id, "platform", f"{stamp} {request_id} Task timed out after {seconds} seconds")
            return
        if message["type"] == "exit":
            outcome.error = self._exit_error(request_id)
            return
        if message.get("ok"):
            outcome.payload = message["payload"].encode()
            return
        outcome.error = message["error"]
        if message.get("fatal"):
            self.kill()  # after a MemoryError the interpreter's state cannot be trusted: next invoke is cold

    def _exit_error(self, request_id: str) -> dict[str, Any]:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = -signal.SIGKILL
        if code < 0:
            reason = f"signal: {_SIGNAL_NAMES.get(signal.Signals(-code), signal.Signals(-code).name)}"
        else:
            reason = f"exit status {code}"
        prefix = f"RequestId: {request_id} " if request_id else ""
        return {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"{prefix}Error: Runtime exited with error: {reason}",
        }

    def _finish(self, outcome: Outcome) -> None:
        spec = self.spec
        request_id = outcome.request_id
        if outcome.error is not None and outcome.error.get("errorType") in (
            "Runtime.ExitError",
            "Runtime.OutOfMemory",
        ):
            self._line(request_id, "platform", f"RequestId: {request_id} {outcome.error['errorMessage']}")
        end = f"END RequestId: {request_id}"
        billed = max(int(outcome.duration_ms + 0.999), 1)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
            f"Billed Duration: {billed} ms\tMemory Size: {spec.memory_mb} MB\t"
            f"Max Memory Used: {self.max_memory_mb()} MB"
        )
        if outcome.init_duration_ms is not None:
            report += f"\tInit Duration: {outcome.init_duration_ms:.2f} ms"
        if outcome.error is not None and outcome.error.get("errorType") == "Sandbox.Timedout":
            report += "\tStatus: timeout"
        for line in (end, report):
            self._log.write(request_id, line, version=spec.version)
            outcome.log_lines.append(line)
        with self._lines_lock:
            self._current = None

    def max_memory_mb(self) -> int:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        return 0

    def kill(self) -> None:
        """Ends the execution environment: the runtime and whatever it started (an ffmpeg it ran), as Lambda
        discards a sandbox whose runtime died; the group outlives its leader while a child still runs."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)


class Throttled(Exception):
    """Reserved concurrency is used up (AWS: TooManyRequestsException)."""


class WorkerPool:
    """Warm workers per function version; a new worker (cold start) only when none is idle."""

    def __init__(self, base_env: Callable[[], dict[str, str]], logs_dir: Path) -> None:
        self._base_env = base_env
        self._logs_dir = logs_dir
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str], list[Worker]] = {}
        self._busy: dict[str, int] = {}
        self._logs: dict[str, FunctionLog] = {}
        self._generation: dict[str, int] = {}
        self._live: set[Worker] = set()
        self._closed = False

    def function_log(self, function_name: str) -> FunctionLog:
        with self._lock:
            if function_name not in self._logs:
                region = self._base_env().get("AWS_REGION", "us-east-1")
                self._logs[function_name] = FunctionLog(
                    self._logs_dir / f"{function_name}.log", function_name, region
                )
            return self._logs[function_name]

    def invoke(
        self,
        spec: WorkerSpec,
        payload: bytes,
        *,
        reserved_concurrency: int | None,
        request_id: str | None = None,
        invoked_arn: str | None = None,
        client_context: Any = None,
    ) -> Outcome:
        request_id = request_id or str(uuid.uuid4())
        worker, generation = self._acquire(spec, reserved_concurrency)
        healthy = False
        try:
            if worker is None:
                worker = Worker(spec, self._base_env(), self.function_log(spec.function_name))
                with self._lock:
                    self._live.add(worker)
                worker.wait_ready()
            outcome = worker.invoke(
                request_id,
                payload,
                invoked_arn=invoked_arn or spec.function_arn,
                client_context=client_context,
            )
            healthy = worker.alive() and worker.init_error is None
            log.info(
                "invoked %s:%s request_id=%s duration_ms=%.1f error=%s",
                spec.function_name,
                spec.version,
                request_id,
                outcome.duration_ms,
                (outcome.error or {}).get("errorType"),
                extra={"request_id": request_id, "function": spec.function_name},
            )
            return outcome
        finally:
            self._release(spec, worker, healthy, generation)

    def _acquire(self, spec: WorkerSpec, reserved: int | None) -> tuple[Worker | None, int]:
        with self._lock:
            expired = self._reclaim_idle()
        for worker in expired:
            worker.kill()
        with self._lock:
            if self._closed:
                raise Throttled("the local cloud is stopping")
            busy = self._busy.get(spec.function_name, 0)
            if reserved is not None and busy >= reserved:
                raise Throttled("Rate Exceeded.")
            self._busy[spec.function_name] = busy + 1
            idle = self._idle.get((spec.function_name, spec.version), [])
            while idle:
                worker = idle.pop()  # the most recently used: the oldest idle ones are the ones reclaimed
                if worker.alive() and worker.spec == spec:
                    return worker, self._generation.get(spec.function_name, 0)
                self._live.discard(worker)
                worker.kill()
            return None, self._generation.get(spec.function_name, 0)

    def _release(self, spec: WorkerSpec, worker: Worker | None, healthy: bool, generation: int) -> None:
        with self._lock:
            self._busy[spec.function_name] = max(self._busy.get(spec.function_name, 1) - 1, 0)
            idle = self._idle.setdefault((spec.function_name, spec.version), [])
            keep = (
                healthy
                and not self._closed
                and len(idle) < MAX_IDLE_WORKERS
                and generation == self._generation.get(spec.function_name, 0)
            )
            if keep and worker is not None:
                worker.idle_since = time.monotonic()
                idle.append(worker)
                return
            if worker is not None:
                self._live.discard(worker)
        if worker is not None:
            worker.kill()

    def _reclaim_idle(self) -> list[Worker]:
        """Workers idle for longer than IDLE_TIMEOUT_S, taken out of the pool (called with the lock held)."""
        cutoff = time.monotonic() - IDLE_TIMEOUT_S
        expired: list[Worker] = []
        for workers in self._idle.values():
            while workers and workers[0].idle_since < cutoff:
                expired.append(workers.pop(0))
        self._live.difference_update(expired)
        return expired

    def retire(self, function_name: str) -> None:
        """Code or configuration changed: idle workers go now, busy ones when they finish."""
        with self._lock:
            self._generation[function_name] = self._generation.get(function_name, 0) + 1
            doomed = [
                w for (name, _), workers in self._idle.items() if name == function_name for w in workers
            ]
            for key in [key for key in self._idle if key[0] == function_name]:
                del self._idle[key]
            self._live.difference_update(doomed)
        for worker in doomed:
            worker.kill()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            doomed = list(self._live)  # busy ones too: their invocations end as exited runtimes
            self._live.clear()
            self._idle.clear()
        for worker in doomed:
            worker.kill()
