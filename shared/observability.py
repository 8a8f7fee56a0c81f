"""Powertools singletons every handler imports: `logger`, `tracer`, `metrics`.

Configured only through the environment the stacks set: POWERTOOLS_SERVICE_NAME (service name),
POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED. Constructing them creates no
client and touches no network: Tracer patches boto only inside Lambda, Metrics writes EMF to stdout on flush.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

R = TypeVar("R")
T = TypeVar("T")

logger = Logger()
# Every AWS call goes through botocore; patching everything X-Ray knows imports httpx, requests, ... (~80 ms).
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()

__all__ = ["correlated", "correlation_id_of", "logger", "metrics", "tracer"]


def correlation_id_of(record: Any) -> str | None:
    """The correlation id of an SQS record carrying an EventBridge event: the svideo event's
    `detail.meta.correlation_id`, else (an AWS service's event) the event's own id."""
    body = getattr(record, "body", record)
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json", by_alias=True)
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    meta = detail.get("meta") if isinstance(detail, dict) else None
    found = meta.get("correlation_id") if isinstance(meta, dict) else None
    return str(found or body.get("id") or "") or None


def correlated(record_handler: Callable[[R], T]) -> Callable[[R], T]:
    """Wraps a batch record handler: every log line while it runs carries the record's `correlation_id`,
    so one broadcast's lines can be found across every function it passed through."""

    @wraps(record_handler)
    def handle(record: R) -> T:
        logger.set_correlation_id(correlation_id_of(record))
        try:
            return record_handler(record)
        finally:
            logger.set_correlation_id(None)

    return handle
