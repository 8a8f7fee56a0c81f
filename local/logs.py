"""CloudWatch Logs for what runs locally: each function's and task's output as log groups and streams.

The lines go into moto's Logs backend of this process (the one the gateway serves), so
`aws logs filter-log-events`, `get-log-events`, `describe-log-streams` and `aws logs tail` read them
as on AWS: functions under `/aws/lambda/<function>` in streams `YYYY/MM/DD/[<version>]<instance>`,
tasks under their `awslogs-group` in streams `<awslogs-stream-prefix>/<container>/<task id>`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger("svideo.local.logs")
_LOCK = threading.Lock()


def lambda_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def put_line(region: str, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
    """Append one event to `group`/`stream`, creating both when missing (as Lambda and awslogs do)."""
    from moto.logs.models import logs_backends

    from local.aws import ACCOUNT_ID

    event = {"timestamp": timestamp_ms or int(time.time() * 1000), "message": message}
    try:
        with _LOCK:
            backend: Any = logs_backends[ACCOUNT_ID][region]
            if group not in backend.groups:
                backend.create_log_group(group, {})
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            backend.put_log_events(group, stream, [event])
    except Exception:  # logging must never break the function or task that logs
        log.exception("could not write a log event to %s/%s", group, stream)
