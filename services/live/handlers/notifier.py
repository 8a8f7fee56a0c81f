"""Pushes svideo events (from the live queue) to the WebSocket connections that may see them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.live import domain
from services.live.poster import ManagementApiPoster
from services.live.repository import DynamoConnectionStore
from services.live.settings import notifier_settings
from shared.events import parse_event
from shared.observability import correlated, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _store() -> DynamoConnectionStore:
    return DynamoConnectionStore(boto3.resource("dynamodb").Table(notifier_settings().connections_table))


@cache
def _poster() -> ManagementApiPoster:
    url = notifier_settings().connections_url
    return ManagementApiPoster(boto3.client("apigatewaymanagementapi", endpoint_url=url))


def record_handler(record: SQSRecord) -> None:
    event = parse_event(json.loads(record.body))
    result = domain.fan_out(_store(), _poster(), event)
    logger.info(
        "pushed",
        extra={
            "event_id": event.id,
            "detail_type": event.detail_type,
            "sent": len(result.sent),
            "gone": len(result.gone),
        },
    )
    metrics.add_metric(name="LivePushes", unit="Count", value=len(result.sent))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=correlated(record_handler), processor=processor, context=context
    )
