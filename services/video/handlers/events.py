"""Catalog events consumer: SQS (fed by the service's rules) → one change per event, partial failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.video.changes import change_for, channel_fact
from services.video.handlers.dependencies import catalog_dependencies
from shared.events import parse_event
from shared.observability import correlated, logger, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    envelope = parse_event(json.loads(record.body))
    catalog = catalog_dependencies().catalog
    fact = channel_fact(envelope.detail)
    if fact is not None:
        catalog.repository.put_channel(fact.channel_id, fact.owner_id, deleted=fact.deleted, name=fact.name)
        return
    change = change_for(envelope)
    if change is None:
        logger.info("event informs only", extra={"detail_type": envelope.detail_type})
        return
    outcome = catalog.apply(change, now=datetime.now(UTC))
    catalog.reindex(change.video_id)
    logger.info(
        "event applied",
        extra={"video_id": change.video_id, "detail_type": change.event_type, "outcome": outcome.value},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=correlated(record_handler), processor=processor, context=context
    )
