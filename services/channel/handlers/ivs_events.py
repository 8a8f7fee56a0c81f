"""`aws.ivs` stream and recording state changes (rule → SQS → here): one IVS event per SQS record."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.channel.broadcasts import IvsChange, handle_ivs_change
from services.channel.handlers.dependencies import events_dependencies
from shared.events import parse_event
from shared.events.aws import IvsRecordingStateChange, IvsStreamStateChange
from shared.observability import correlated, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def to_change(raw_event: dict[str, Any]) -> IvsChange:
    """The IVS event in an SQS body as the domain's `IvsChange` (validated; errors name the field)."""
    envelope = parse_event(raw_event)
    detail = envelope.detail
    if not isinstance(detail, IvsStreamStateChange | IvsRecordingStateChange) or not envelope.resources:
        raise ValueError(f"not an IVS state change on a channel: {raw_event.get('detail-type')!r}")
    return IvsChange(
        event_id=envelope.id, at=envelope.time, ivs_channel_arn=envelope.resources[0], detail=detail
    )


def record_handler(record: SQSRecord) -> None:
    change = to_change(json.loads(record.body))
    logger.append_keys(ivs_event_id=change.event_id, ivs_channel_arn=change.ivs_channel_arn)
    d = events_dependencies()
    published = handle_ivs_change(
        change,
        repository=d.repository,
        publisher=d.publisher,
        recordings=d.recordings,
        reconnect_window=d.reconnect_window,
    )
    logger.info("IVS event applied", extra={"published": [e.detail_type for e in published]})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=correlated(record_handler), processor=processor, context=context
    )
