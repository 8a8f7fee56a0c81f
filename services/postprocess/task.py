"""The Fargate task: `python -m services.postprocess.task`, one job from the container environment.

Exits 0 after emitting `Video.Processed` or `Video.ProcessingFailed` (or finding the video already done);
anything else (a crash, OOM) ends with a non-zero exit and the task-stopped function reports for it.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import boto3

from services.postprocess.config import TaskSettings
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.job import Attempt, Job, JobOutcome, Ports, run_job
from services.postprocess.ledger import DynamoLedger
from services.postprocess.storage import S3Storage
from shared.events import EventPublisher
from shared.observability import logger


def run(env: Mapping[str, str], ports: Ports | None = None) -> JobOutcome:
    settings = TaskSettings.from_env(env)
    job = Job.from_env(env)
    ports = ports or Ports(
        storage=S3Storage(boto3.client("s3")),
        ffmpeg=cache(Ffmpeg.locate),
        publisher=EventPublisher(settings.bus_name),
        ledger=DynamoLedger(boto3.client("dynamodb"), settings.ledger_table),
    )
    # One attempt: a transient failure is reported, not retried (RunTask has no redelivery).
    attempt = Attempt(compute="fargate", owner=f"fargate:{uuid.uuid4().hex}")
    outcome = run_job(
        job,
        output_bucket=settings.media_bucket,
        attempt=attempt,
        ports=ports,
        workdir=Path(settings.workdir),
        limits=settings.limits(stitch_timeout_s=3 * 3600),
        lease_s=settings.lease_s,
    )
    logger.info("recording handled", video_id=job.video_id, status=outcome.status, compute="fargate")
    return outcome


def main() -> int:
    run(os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
