"""SQS → Lambda: `Recording.Ended` at or under the threshold, processed here (or handed over to Fargate)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.postprocess.config import LambdaSettings
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.job import Attempt, Job, JobOutcome, Ports, run_job
from services.postprocess.launcher import EcsLauncher
from services.postprocess.ledger import DynamoLedger
from services.postprocess.storage import S3Storage
from shared.events import Envelope, EventPublisher, RecordingEnded
from shared.observability import correlated, logger, metrics, tracer


class RecordingEndedMessage(SqsRecordModel):
    body: Json[Envelope[RecordingEnded]]


processor = BatchProcessor(event_type=EventType.SQS, model=RecordingEndedMessage)


@cache
def runtime() -> tuple[LambdaSettings, Ports]:
    """Settings validated and clients created once per execution environment (cold start)."""
    settings = LambdaSettings.from_env(os.environ)
    ports = Ports(
        storage=S3Storage(boto3.client("s3")),
        ffmpeg=cache(Ffmpeg.locate),
        publisher=EventPublisher(settings.bus_name),
        ledger=DynamoLedger(boto3.client("dynamodb"), settings.ledger_table),
        launcher=EcsLauncher(
            boto3.client("ecs"),
            cluster=settings.cluster_arn,
            task_definition=settings.task_definition_arn,
            container=settings.container_name,
            subnets=[s for s in settings.task_subnets.split(",") if s],
            security_groups=[s for s in settings.task_security_groups.split(",") if s],
        ),
    )
    return settings, ports


def handle_message(message: RecordingEndedMessage, settings: LambdaSettings, ports: Ports) -> JobOutcome:
    job = Job.from_event(message.body.detail)
    attempt = Attempt(
        compute="lambda",
        owner=f"lambda:{message.messageId}",  # a retry of this message keeps its lease; a duplicate does not
        number=int(message.attributes.ApproximateReceiveCount),
        max_attempts=settings.max_receive_count,
    )
    outcome = run_job(
        job,
        output_bucket=settings.media_bucket,
        attempt=attempt,
        ports=ports,
        workdir=Path(settings.workdir),
        limits=settings.limits(),
        lease_s=settings.lease_s,
    )
    logger.info("recording handled", video_id=job.video_id, status=outcome.status, task_arn=outcome.task_arn)
    metrics.add_metric(name=f"Jobs_{outcome.status}", unit="Count", value=1)
    return outcome


def _record_handler(record: RecordingEndedMessage) -> None:
    settings, ports = runtime()
    handle_message(record, settings, ports)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    runtime()  # fail fast on a bad environment, before any record is touched
    return process_partial_response(
        event=event, record_handler=correlated(_record_handler), processor=processor, context=context
    )
