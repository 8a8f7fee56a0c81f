"""`Video.StatusChanged` to `deleted` (rule → SQS → here): the video's title book goes, every round of
candidates and the broadcaster's feedback with it. Its artefacts in the media bucket (`videos/<id>/plugins/`)
are removed by the video service with the rest of the video's prefix."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.genai import runtime
from shared.events import VideoStatusChanged, parse_event
from shared.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    detail = parse_event(json.loads(record.body)).detail
    if not isinstance(detail, VideoStatusChanged) or detail.to_status != "deleted":
        raise TypeError(f"not a deletion: {type(detail).__name__}")
    runtime.current().feedback.store.delete(detail.video_id)
    logger.info("title book removed", extra={"video_id": detail.video_id})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
