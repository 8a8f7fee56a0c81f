"""The local Lambda runtime without a cloud: worker protocol, context, timeouts, crashes, batch settlement."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.lambdas import runtime
from local.lambdas.esm import failed_item_ids, settle_sqs_batch
from local.lambdas.runtime import WorkerPool, WorkerSpec

pytestmark = pytest.mark.timeout(30)


def spec(tmp_path: Path, source: str, *, timeout: float = 2.0, name: str = "fn") -> WorkerSpec:
    code = tmp_path / name
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(source)
    return WorkerSpec(
        function_name=name,
        version="$LATEST",
        function_arn=f"arn:aws:lambda:us-east-1:1:function:{name}",
        handler="app.handler",
        code_dir=code,
        timeout_s=timeout,
        memory_mb=128,
        environment={},
        log_group=f"/aws/lambda/{name}",
    )


@pytest.fixture
def pool(tmp_path: Path) -> Any:
    workers = WorkerPool(dict, tmp_path / "logs")
    yield workers
    workers.close()


def test_given_a_handler_when_invoked_then_context_fields_reach_it_and_output_is_logged(
    pool: WorkerPool, tmp_path: Path
) -> None:
    source = (
        "def handler(event, context):\n    print('seen', event['x'])\n"
        "    return [context.function_name, context.aws_request_id, context.memory_limit_in_mb,\n"
        "            context.function_version, context.log_stream_name != '']\n"
    )
    outcome = pool.invoke(spec(tmp_path, source), b'{"x": 7}', reserved_concurrency=None, request_id="r-1")
    assert outcome.error is None
    assert json.loads(outcome.payload) == ["fn", "r-1", "128", "$LATEST", True]
    assert "seen 7" in outcome.log_lines and outcome.init_duration_ms is not None
    logged = [json.loads(line) for line in (tmp_path / "logs" / "fn.log").read_text().splitlines()]
    assert {"request_id": "r-1", "stream": "stdout", "message": "seen 7"}.items() <= logged[1].items()


def test_given_a_missing_module_when_invoked_then_import_module_error(
    pool: WorkerPool, tmp_path: Path
) -> None:
    outcome = pool.invoke(spec(tmp_path, "import not_a_module\n"), b"{}", reserved_concurrency=None)
    assert outcome.error is not None and outcome.error["errorType"] == "Runtime.ImportModuleError"


def test_given_a_burst_when_it_ends_then_every_worker_stays_warm_until_idle_too_long(
    pool: WorkerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import os, time\ndef handler(event, context):\n    time.sleep(0.5)\n    return os.getpid()\n"
    function = spec(tmp_path, source, timeout=10.0)

    def burst() -> set[int]:
        with ThreadPoolExecutor(6) as threads:
            outcomes = list(
                threads.map(lambda _: pool.invoke(function, b"{}", reserved_concurrency=None), range(6))
            )
        assert all(outcome.error is None for outcome in outcomes)
        return {json.loads(outcome.payload) for outcome in outcomes}

    first = burst()
    assert len(first) == 6  # six at once: six execution environments
    assert burst() == first  # all six kept warm, as Lambda keeps them (no cold start the second time)
    monkeypatch.setattr(runtime, "IDLE_TIMEOUT_S", 0.0)
    again = pool.invoke(function, b"{}", reserved_concurrency=None)
    assert json.loads(again.payload) not in first  # idle too long: reclaimed, so this one starts cold


def test_given_a_slow_handler_when_invoked_then_timed_out_and_worker_replaced(
    pool: WorkerPool, tmp_path: Path
) -> None:
    source = (
        "import time, os\ndef handler(event, context):\n    time.sleep(event['s'])\n    return os.getpid()\n"
    )
    function = spec(tmp_path, source, timeout=1.0)
    first = pool.invoke(function, b'{"s": 0}', reserved_concurrency=None)
    timed_out = pool.invoke(function, b'{"s": 3}', reserved_concurrency=None)
    assert timed_out.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {timed_out.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert json.loads(pool.invoke(function, b'{"s": 0}', reserved_concurrency=None).payload) != json.loads(
        first.payload
    )


def test_given_a_segfault_when_invoked_then_runtime_exit_error_names_the_signal(
    pool: WorkerPool, tmp_path: Path
) -> None:
    source = "import ctypes\ndef handler(event, context):\n    ctypes.string_at(0)\n"
    outcome = pool.invoke(spec(tmp_path, source), b"{}", reserved_concurrency=None)
    assert outcome.error is not None and outcome.error["errorType"] == "Runtime.ExitError"
    assert outcome.error["errorMessage"].endswith("signal: segmentation fault")


def test_given_a_runtime_killed_while_its_child_runs_then_the_child_ends_with_it(
    pool: WorkerPool, tmp_path: Path
) -> None:
    source = (
        "import os, signal, subprocess, sys\ndef handler(event, context):\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    open(event['pid_file'], 'w').write(str(child.pid))\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    pid_file = tmp_path / "child.pid"
    payload = json.dumps({"pid_file": str(pid_file)}).encode()
    outcome = pool.invoke(spec(tmp_path, source), payload, reserved_concurrency=None)
    assert outcome.error is not None and outcome.error["errorMessage"].endswith("signal: killed")
    stat = Path(f"/proc/{pid_file.read_text()}/stat")

    def ended() -> bool:  # gone, or a zombie waiting for a reaper: it runs no more
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    deadline = time.monotonic() + 5  # SIGKILL is delivered when the child next runs
    while not ended() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended()


def test_given_unserializable_result_when_invoked_then_marshal_error(
    pool: WorkerPool, tmp_path: Path
) -> None:
    outcome = pool.invoke(
        spec(tmp_path, "def handler(e, c):\n    return {1, 2}\n"), b"{}", reserved_concurrency=None
    )
    assert outcome.error is not None and outcome.error["errorType"] == "Runtime.MarshalError"


def records(*ids: str) -> list[dict[str, Any]]:
    return [
        {"messageId": i, "receiptHandle": f"h-{i}", "body": json.dumps({"kind": i}), "eventSource": "aws:sqs"}
        for i in ids
    ]


def test_given_reported_failures_when_settling_then_only_failed_records_stay() -> None:
    batch = records("a", "b", "c")
    delete, retry = settle_sqs_batch(
        batch,
        lambda _: (False, {"batchItemFailures": [{"itemIdentifier": "b"}]}),
        patterns=[],
        report_failures=True,
    )
    assert [r["messageId"] for r in delete] == ["a", "c"] and [r["messageId"] for r in retry] == ["b"]


def test_given_a_function_error_when_settling_then_the_whole_batch_stays() -> None:
    delete, retry = settle_sqs_batch(
        records("a", "b"), lambda _: (True, None), patterns=[], report_failures=True
    )
    assert delete == [] and len(retry) == 2


def test_given_a_filter_when_settling_then_unmatched_records_are_deleted_without_invoking() -> None:
    seen: list[list[dict[str, Any]]] = []

    def invoke(batch: list[dict[str, Any]]) -> tuple[bool, Any]:
        seen.append(batch)
        return False, None

    delete, retry = settle_sqs_batch(
        records("keep", "drop"), invoke, patterns=[{"body": {"kind": ["keep"]}}], report_failures=False
    )
    assert [r["messageId"] for r in seen[0]] == ["keep"] and len(delete) == 2 and retry == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, []),
        ({}, []),
        ({"batchItemFailures": []}, []),
        ({"batchItemFailures": [{"itemIdentifier": "a"}]}, ["a"]),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, None),
        ({"batchItemFailures": "a"}, None),
    ],
)
def test_given_partial_batch_responses_when_parsed_then_invalid_ones_fail_the_batch(
    response: Any, expected: list[str] | None
) -> None:
    assert failed_item_ids(response, ["a", "b"]) == expected
