"""SQS → Lambda: a post-processing Fargate task STOPPED; if it died without reporting, report for it."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from services.postprocess.config import FARGATE_CONTAINER_NAME, ServiceSettings
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.job import Job, JobOutcome, Ports, recover_stranded
from services.postprocess.ledger import DynamoLedger
from services.postprocess.storage import S3Storage
from shared.events import EventPublisher
from shared.observability import correlated, logger, metrics, tracer


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class KeyValue(_Loose):
    name: str
    value: str


class ContainerOverride(_Loose):
    name: str
    environment: list[KeyValue] = Field(default_factory=list)


class Overrides(_Loose):
    containerOverrides: list[ContainerOverride] = Field(default_factory=list)


class Container(_Loose):
    name: str
    exitCode: int | None = None
    reason: str | None = None


class TaskStateChange(_Loose):
    """The fields of `ECS Task State Change` this function reads."""

    taskArn: str
    lastStatus: str
    stopCode: str | None = None
    stoppedReason: str | None = None
    containers: list[Container] = Field(default_factory=list)
    overrides: Overrides = Field(default_factory=Overrides)


class TaskEvent(EventBridgeModel):
    detail: TaskStateChange


class TaskStoppedMessage(SqsRecordModel):
    body: Json[TaskEvent]


processor = BatchProcessor(event_type=EventType.SQS, model=TaskStoppedMessage)


def death_reason(task: TaskStateChange, container_name: str = FARGATE_CONTAINER_NAME) -> str | None:
    """Why the task died without reporting, or None when its container exited 0 (it reported itself)."""
    container = next((c for c in task.containers if c.name == container_name), None)
    if container is not None and container.exitCode == 0:
        return None
    exit_code = "none" if container is None or container.exitCode is None else str(container.exitCode)
    details = "; ".join(
        part for part in (task.stopCode, task.stoppedReason, container and container.reason) if part
    )
    return f"fargate task {task.taskArn.rsplit('/', 1)[-1]} stopped with exit code {exit_code}: {details}"


def job_of(task: TaskStateChange, container_name: str = FARGATE_CONTAINER_NAME) -> Job:
    override = next((o for o in task.overrides.containerOverrides if o.name == container_name), None)
    return Job.from_env({item.name: item.value for item in (override.environment if override else [])})


@cache
def runtime() -> tuple[ServiceSettings, Ports]:
    settings = ServiceSettings.from_env(os.environ)
    ports = Ports(
        storage=S3Storage(boto3.client("s3")),
        ffmpeg=cache(Ffmpeg.locate),
        publisher=EventPublisher(settings.bus_name),
        ledger=DynamoLedger(boto3.client("dynamodb"), settings.ledger_table),
    )
    return settings, ports


def handle_message(message: TaskStoppedMessage, settings: ServiceSettings, ports: Ports) -> JobOutcome | None:
    task = message.body.detail
    reason = death_reason(task)
    if task.lastStatus != "STOPPED" or reason is None:
        return None
    metrics.add_metric(name="FargateTasksFailed", unit="Count", value=1)
    job = job_of(task)
    outcome = recover_stranded(
        job, reason=reason, compute="fargate", output_bucket=settings.media_bucket, ports=ports
    )
    logger.info("stopped task handled", video_id=job.video_id, status=outcome.status, reason=reason)
    return outcome


def _record_handler(record: TaskStoppedMessage) -> None:
    settings, ports = runtime()
    handle_message(record, settings, ports)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    runtime()
    return process_partial_response(
        event=event, record_handler=correlated(_record_handler), processor=processor, context=context
    )
