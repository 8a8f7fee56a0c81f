"""`Video.StatusChanged` to `deleted` (rule → SQS → here): the channel service forgets the video."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.channel.adapters.dynamodb import DynamoChannelRepository
from services.channel.adapters.s3 import S3RecordingStore
from services.channel.config import deletion_env
from services.channel.forget import forget_video
from shared.events import VideoStatusChanged, parse_event
from shared.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _collaborators() -> tuple[DynamoChannelRepository, S3RecordingStore]:
    table = boto3.resource("dynamodb").Table(deletion_env().TABLE_NAME)
    return DynamoChannelRepository(table), S3RecordingStore(boto3.client("s3"))


def record_handler(record: SQSRecord) -> None:
    detail = parse_event(json.loads(record.body)).detail
    if not isinstance(detail, VideoStatusChanged) or detail.to_status != "deleted":
        raise TypeError(f"not a deletion: {type(detail).__name__}")
    repository, recordings = _collaborators()
    removed = forget_video(detail.video_id, detail.channel_id, repository=repository, recordings=recordings)
    logger.info("video forgotten", extra={"video_id": detail.video_id, "recording_objects": removed})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
