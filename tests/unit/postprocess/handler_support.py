"""Builders for handler tests: SQS records around `Recording.Ended` and ECS task events, and the ports."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from services.postprocess.config import LambdaSettings
from services.postprocess.job import Job, Ports
from services.postprocess.ledger import MemoryLedger
from services.postprocess.storage import Storage
from shared.events.testing import FakePublisher
from tests.unit.postprocess.support import OUTPUT

EVENTS = Path(__file__).resolve().parents[2] / "events"


def recording_ended(
    bucket: str, prefix: str, *, video_id: str = "vid-1", duration_ms: int = 12_000
) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "svideo.channel" / "Recording.Ended.json").read_text())
    detail = event["detail"]
    detail["video_id"] = video_id
    detail["recording"].update(bucket=bucket, prefix=prefix, duration_ms=duration_ms)
    for rendition in detail["recording"]["renditions"]:
        rendition["playlist_key"] = f"{prefix}/media/hls/{rendition['name']}/playlist.m3u8"
    return event


def sqs_record(
    body: dict[str, Any], *, receive_count: int = 1, message_id: str | None = None
) -> dict[str, Any]:
    text = json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1700000000001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
        "awsRegion": "us-east-1",
    }


class FakeLauncher:
    def __init__(self) -> None:
        self.launched: list[Job] = []

    def launch(self, job: Job) -> str:
        self.launched.append(job)
        return f"arn:aws:ecs:us-east-1:123456789012:task/cluster/{len(self.launched)}"


def lambda_settings(workdir: Path, **overrides: str) -> LambdaSettings:
    env = {
        "BUS_NAME": "dev-svideo",
        "MEDIA_BUCKET": OUTPUT,
        "LEDGER_TABLE": "ledger",
        "WORKDIR": str(workdir),
        "THUMBNAIL_COUNT": "1",
        "TASK_CLUSTER_ARN": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
        "TASK_DEFINITION_ARN": "arn:aws:ecs:us-east-1:123456789012:task-definition/t:1",
        **overrides,
    }
    return LambdaSettings.from_env(env)


def make_ports(storage: Storage, ffmpeg: Any, *, launcher: FakeLauncher | None = None) -> Ports:
    return Ports(
        storage=storage,
        ffmpeg=lambda: ffmpeg,
        publisher=FakePublisher(),
        ledger=MemoryLedger(),
        launcher=launcher or FakeLauncher(),
    )


def ecs_stopped(job: Job | None, *, exit_code: int | None, reason: str | None = None) -> dict[str, Any]:
    environment = [{"name": k, "value": v} for k, v in (job.to_env() if job else {}).items()]
    container: dict[str, Any] = {"name": "postprocess", "lastStatus": "STOPPED"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if reason:
        container["reason"] = reason
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "time": "2026-11-22T14:40:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ecs:us-east-1:123456789012:task/c/abc123"],
        "detail": {
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/abc123",
            "lastStatus": "STOPPED",
            "group": "family:dev-svideo-postprocess",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [container],
            "overrides": {"containerOverrides": [{"name": "postprocess", "environment": environment}]},
        },
    }
