"""SQS → Lambda: `Video.Processed` starts a lifecycle, `Plugin.Completed` answers, deadlines expire."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from services.plugins.adapters import (
    DynamoLifecycleStore,
    DynamoRegistryStore,
    EventBridgeDeadlineScheduler,
    RegistryCatalog,
    token_key,
)
from services.plugins.config import LifecycleSettings
from services.plugins.lifecycle import DeadlineMessage, LifecycleService
from services.plugins.tokens import TokenSigner
from shared.events import (
    EventContractError,
    EventPublisher,
    PluginCompleted,
    VideoProcessed,
    VideoStatusChanged,
    parse_event,
)
from shared.events.plugins import PLUGIN_SOURCE_PREFIX
from shared.observability import correlated, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def service() -> LifecycleService:
    """Settings validated, key fetched and clients created once per execution environment."""
    settings = LifecycleSettings.from_env(os.environ)
    dynamodb = boto3.resource("dynamodb")
    return LifecycleService(
        store=DynamoLifecycleStore(dynamodb.Table(settings.lifecycle_table)),
        catalog=RegistryCatalog(DynamoRegistryStore(dynamodb.Table(settings.registry_table))),
        publisher=EventPublisher(settings.bus_name),
        scheduler=EventBridgeDeadlineScheduler(
            boto3.client("scheduler"),
            group=settings.schedule_group,
            queue_arn=settings.deadline_queue_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.schedule_dead_letter_arn,
        ),
        signer=TokenSigner(token_key(boto3.client("secretsmanager"), settings.token_secret_arn)),
    )


def handle_body(body: dict[str, Any], lifecycle: LifecycleService) -> None:
    """One message: a deadline from a schedule, or an event from a rule."""
    if body.get("kind") == "svideo.plugins.deadline":
        lifecycle.expire(DeadlineMessage.model_validate(body))
        metrics.add_metric(name="DeadlinesFired", unit="Count", value=1)
        return
    source = str(body.get("source", ""))
    if source.startswith(PLUGIN_SOURCE_PREFIX) and body.get("detail-type") == PluginCompleted.detail_type:
        # No source check here: a completion from the wrong source is recorded as rejected, not lost.
        try:
            completed = PluginCompleted.model_validate(body.get("detail"))
        except ValidationError as exc:
            logger.warning("completion refused by the contract", source=source, errors=exc.error_count())
            metrics.add_metric(name="EventsRefused", unit="Count", value=1)
            return
        lifecycle.complete(completed, source)
        logger.info("completion handled", video_id=completed.video_id, plugin=completed.plugin, source=source)
        return
    try:
        envelope = parse_event(body)
    except (EventContractError, ValidationError) as exc:
        # Retrying cannot fix a malformed event: log it (no token in the log) and drop it.
        logger.warning("event refused by the contract", source=body.get("source"), error=str(exc)[:500])
        metrics.add_metric(name="EventsRefused", unit="Count", value=1)
        return
    detail = envelope.detail
    if isinstance(detail, VideoProcessed):
        started = lifecycle.start(detail)
        logger.info("lifecycle start", video_id=detail.video_id, started=started)
    elif isinstance(detail, VideoStatusChanged) and detail.to_status == "deleted":
        removed = lifecycle.forget(detail.video_id)
        logger.info("lifecycle forgotten", video_id=detail.video_id, items=removed)
    else:
        logger.warning("unexpected event type", source=envelope.source, detail_type=envelope.detail_type)


def _record_handler(record: SQSRecord) -> None:
    handle_body(json.loads(record.body), service())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    service()  # fail fast on a bad environment, before any record is touched
    return process_partial_response(
        event=event, record_handler=correlated(_record_handler), processor=processor, context=context
    )
