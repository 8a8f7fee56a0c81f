"""Deadline sweeper, on a schedule: every video past its status's deadline goes to `failed` with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from services.video.handlers.dependencies import catalog_dependencies
from shared.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = catalog_dependencies().catalog.sweep(datetime.now(UTC))
    metrics.add_metric(name="VideosPastDeadline", unit="Count", value=len(failed))
    if failed:
        logger.warning("videos past their deadline failed", extra={"video_ids": failed})
    return {"failed": failed}
