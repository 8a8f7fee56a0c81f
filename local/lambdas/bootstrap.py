"""The Lambda runtime inside one worker process (run by path, standard library only).

Protocol with the parent, one JSON object per line:
- parent -> worker, on stdin: {"type": "invoke", "request_id", "payload", "deadline_ms", ...}
- worker -> parent, on the original stdout: {"type": "init"|"log"|"result", ...}
The handler's `print`/logging output travels on the same channel as "log" messages, so every line lands
before the result it belongs to; what native code writes to fds 1 and 2 goes to stderr, read by the parent.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import resource
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

_channel_lock = threading.Lock()


def _send(channel: io.TextIOBase, message: dict[str, Any]) -> None:
    line = json.dumps(message, default=str)
    with _channel_lock:
        channel.write(line + "\n")
        channel.flush()


class _LogStream(io.TextIOBase):
    """sys.stdout/sys.stderr of the handler: whole lines become "log" messages tagged with the request id."""

    def __init__(self, channel: io.TextIOBase, name: str) -> None:
        self._channel = channel
        self._name = name
        self._buffer = ""
        self.request_id = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            _send(
                self._channel,
                {"type": "log", "stream": self._name, "request_id": self.request_id, "message": line},
            )
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            pending, self._buffer = self._buffer, ""
            _send(
                self._channel,
                {"type": "log", "stream": self._name, "request_id": self.request_id, "message": pending},
            )


class LambdaContext:
    """The attributes and method of the AWS Python runtime's context object."""

    def __init__(
        self,
        request_id: str,
        invoked_function_arn: str,
        deadline_ms: int,
        client_context: Any = None,
        identity: Any = None,
    ) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = request_id
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _error(
    exc: BaseException, request_id: str = "", error_type: str | None = None, message: str | None = None
) -> dict[str, Any]:
    own = Path(__file__).resolve()  # the runtime's own frames are not the handler's stack, as on AWS
    frames = traceback.format_list(
        [frame for frame in traceback.extract_tb(exc.__traceback__) if Path(frame.filename).resolve() != own]
    )
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": frames,
    }


def _load_handler(spec: str) -> Any:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise _InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _limit_memory() -> None:
    limit = int(os.environ.get("SVIDEO_LAMBDA_ADDRESS_SPACE_BYTES", "0"))
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    channel = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), encoding="utf-8", line_buffering=False)
    os.dup2(2, 1)  # native writes to fd 1 must not corrupt the protocol channel
    stdout, stderr = _LogStream(channel, "stdout"), _LogStream(channel, "stderr")
    sys.stdout, sys.stderr = stdout, stderr
    task_root = os.environ.get("LAMBDA_TASK_ROOT", str(Path.cwd()))
    sys.path.insert(0, task_root)
    _limit_memory()

    started = time.perf_counter()

    def report_init(
        exc: BaseException | None = None, error_type: str | None = None, message: str | None = None
    ) -> None:
        report: dict[str, Any] = {
            "type": "init",
            "ok": exc is None,
            "duration_ms": (time.perf_counter() - started) * 1000,
        }
        if exc is not None:
            report["error"] = _error(exc, error_type=error_type, message=message)
        _send(channel, report)

    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        report_init(exc, exc.error_type, str(exc))
        handler = None
    except MemoryError as exc:
        report_init(exc, "Runtime.OutOfMemory", "Runtime out of memory")
        handler = None
    except Exception as exc:  # the module raised while importing: AWS reports the exception itself
        report_init(exc)
        handler = None
    else:
        report_init()

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("type") != "invoke":
            continue
        request_id = request["request_id"]
        stdout.request_id = stderr.request_id = request_id
        if handler is None:
            break  # the parent already knows init failed and will not send work
        _invoke(channel, handler, request, request_id)
        stdout.flush()
        stderr.flush()


def _invoke(channel: io.TextIOBase, handler: Any, request: dict[str, Any], request_id: str) -> None:
    context = LambdaContext(
        request_id,
        request["invoked_function_arn"],
        int(request["deadline_ms"]),
        request.get("client_context"),
    )
    try:
        event = json.loads(request["payload"]) if request["payload"] else {}
        result = handler(event, context)
    except MemoryError as exc:
        sys.stdout.flush()
        _send(
            channel,
            {
                "type": "result",
                "ok": False,
                "fatal": True,
                "error": _error(
                    exc,
                    request_id,
                    "Runtime.OutOfMemory",
                    f"RequestId: {request_id} Error: Runtime exited with error: out of memory",
                ),
            },
        )
        return
    except Exception as exc:
        print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
        _send_result(channel, {"type": "result", "ok": False, "error": _error(exc, request_id)})
        return
    try:
        payload = json.dumps(result)
    except (TypeError, ValueError) as exc:
        _send_result(
            channel,
            {
                "type": "result",
                "ok": False,
                "error": _error(
                    exc, request_id, "Runtime.MarshalError", f"Unable to marshal response: {exc}"
                ),
            },
        )
        return
    _send_result(channel, {"type": "result", "ok": True, "payload": payload})


def _send_result(channel: io.TextIOBase, message: dict[str, Any]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    _send(channel, message)


if __name__ == "__main__":
    main()
