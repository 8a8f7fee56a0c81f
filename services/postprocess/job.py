"""One post-processing job, the same on Lambda and Fargate: lease, process, emit exactly one outcome.

`Job` is the input contract of both compute paths (built from `Recording.Ended` on Lambda, from the container
environment on Fargate, and turned back into that environment for a hand-over). `run_job` decides:
- outcome already emitted, or another attempt holds the video → nothing (a duplicate delivery);
- processed → `Video.Processed`; permanent error → `Video.ProcessingFailed` at once;
- out of space or time on Lambda → hand over to Fargate (RunTask with the same input);
- transient error → raise for a retry, unless this is the last attempt: then `Video.ProcessingFailed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Compute, Meta
from shared.events.channel import RecordingEnded
from shared.events.entries import Publisher
from shared.events.postprocess import Media, Timings, VideoProcessed, VideoProcessingFailed

from .domain import MARKER_NAME, process_recording
from .errors import ProcessingError, ReasonCode
from .ffmpeg import MediaTool
from .ledger import Acquired, AlreadyEmitted, Ledger
from .models import Limits, ProcessRequest, ProcessResult
from .storage import ObjectNotFound, Storage

# On Lambda these mean "needs bigger compute", not "bad input".
NEEDS_FARGATE = frozenset({ReasonCode.INSUFFICIENT_SPACE, ReasonCode.FFMPEG_TIMEOUT})
_ENV = {
    "video_id": "VIDEO_ID",
    "channel_id": "CHANNEL_ID",
    "recording_bucket": "RECORDING_BUCKET",
    "recording_prefix": "RECORDING_PREFIX",
    "duration_ms": "RECORDING_DURATION_MS",
    "correlation_id": "CORRELATION_ID",
}


class Job(BaseModel):
    model_config = ConfigDict(frozen=True)

    video_id: Annotated[str, Field(min_length=1)]
    channel_id: Annotated[str, Field(min_length=1)]
    owner_id: str | None = None  # optional: jobs queued before owners travelled still parse
    recording_bucket: Annotated[str, Field(min_length=3)]
    recording_prefix: Annotated[str, Field(min_length=1)]
    duration_ms: Annotated[int, Field(ge=0)]
    correlation_id: Annotated[str, Field(min_length=1)]

    @classmethod
    def from_event(cls, detail: RecordingEnded) -> Job:
        return cls(
            video_id=detail.video_id,
            channel_id=detail.channel_id,
            owner_id=detail.owner_id,
            recording_bucket=detail.recording.bucket,
            recording_prefix=detail.recording.prefix,
            duration_ms=detail.recording.duration_ms,
            correlation_id=detail.meta.correlation_id,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Job:
        """The container environment the Fargate rule's input transformer (or a hand-over) sets."""
        return cls.model_validate({field: env.get(name) for field, name in _ENV.items()})

    def to_env(self) -> dict[str, str]:
        return {name: str(getattr(self, field)) for field, name in _ENV.items()}


class TaskLauncher(Protocol):
    def launch(self, job: Job) -> str:
        """Start the Fargate task for `job`; return its ARN."""
        ...


@dataclass(frozen=True)
class Attempt:
    """Where and how often this job is being tried; `owner` identifies this attempt's lease."""

    compute: Compute
    owner: str
    number: int = 1
    max_attempts: int = 1

    @property
    def last(self) -> bool:
        return self.number >= self.max_attempts


@dataclass(frozen=True)
class Ports:
    storage: Storage
    ffmpeg: Callable[[], MediaTool]  # located lazily: a duplicate never needs the binary
    publisher: Publisher
    ledger: Ledger
    launcher: TaskLauncher | None = None  # Lambda only
    clock: Callable[[], float] = time.time


JobStatus = Literal["processed", "failed", "handed_over", "duplicate"]


@dataclass(frozen=True)
class JobOutcome:
    status: JobStatus
    detail: VideoProcessed | VideoProcessingFailed | None = None
    task_arn: str | None = None


def output_prefix(video_id: str) -> str:
    """The video service's media layout: everything of one video under `videos/<video_id>/`."""
    return f"videos/{video_id}"


def processed_event(job: Job, result: ProcessResult, compute: Compute, started: datetime) -> VideoProcessed:
    finished = datetime.now(UTC)
    return VideoProcessed(
        meta=Meta.now(job.correlation_id),
        video_id=job.video_id,
        channel_id=job.channel_id,
        owner_id=job.owner_id,
        compute=compute,
        media=Media(
            bucket=result.output_bucket,
            mp4_key=result.mp4_key,
            hls_master_key=result.source.master_playlist_key,
            hls_bucket=result.source.bucket,
            poster_key=result.poster_key or result.mp4_key,
            thumbnail_keys=result.thumbnail_keys,
            width=result.width,
            height=result.height,
            duration_ms=result.duration_ms,
            bytes=result.bytes,
        ),
        timings=Timings(
            started_at=min(started, finished),
            finished_at=finished,
            stitch_ms=round(result.timings_s.get("stitch", 0.0) * 1000),
        ),
        reencoded=result.reencoded,
        reencode_reason=result.reencode_reason,
    )


def failed_event(job: Job, compute: Compute, reason: str, attempts: int) -> VideoProcessingFailed:
    return VideoProcessingFailed(
        meta=Meta.now(job.correlation_id),
        video_id=job.video_id,
        channel_id=job.channel_id,
        owner_id=job.owner_id,
        compute=compute,
        reason=reason[:2000],
        attempts=max(1, min(attempts, 100)),
    )


def _emit(
    job: Job, ports: Ports, attempt: Attempt, detail: VideoProcessed | VideoProcessingFailed
) -> JobOutcome:
    ports.publisher.publish(detail)
    outcome: Literal["processed", "failed"] = "processed" if isinstance(detail, VideoProcessed) else "failed"
    ports.ledger.complete(job.video_id, attempt.owner, outcome, now=ports.clock())
    return JobOutcome(outcome, detail)


def run_job(
    job: Job,
    *,
    output_bucket: str,
    attempt: Attempt,
    ports: Ports,
    workdir: Path,
    limits: Limits,
    lease_s: float,
) -> JobOutcome:
    """Process `job` once per video (see module doc); raises only for a transient error worth a retry."""
    claim = ports.ledger.acquire(job.video_id, attempt.owner, now=ports.clock(), lease_s=lease_s)
    if isinstance(claim, AlreadyEmitted) or not isinstance(claim, Acquired):
        return JobOutcome("duplicate")
    if job.duration_ms == 0:
        reason = f"{ReasonCode.ZERO_DURATION.value}: the recording's duration is 0 ms"
        return _emit(job, ports, attempt, failed_event(job, attempt.compute, reason, attempt.number))

    started = datetime.now(UTC)
    request = ProcessRequest(
        video_id=job.video_id,
        recording_bucket=job.recording_bucket,
        recording_prefix=job.recording_prefix,
        output_bucket=output_bucket,
        output_prefix=output_prefix(job.video_id),
    )
    try:
        result = process_recording(
            request, storage=ports.storage, ffmpeg=ports.ffmpeg(), workdir=workdir, limits=limits
        )
    except ProcessingError as error:
        if error.reason_code in NEEDS_FARGATE and ports.launcher is not None:
            ports.ledger.release(job.video_id, attempt.owner)
            return JobOutcome("handed_over", task_arn=ports.launcher.launch(job))
        if error.permanent or attempt.last:
            reason = str(error)
            if not error.permanent:
                reason = f"gave up after {attempt.number} attempts: {reason}"
            return _emit(job, ports, attempt, failed_event(job, attempt.compute, reason, attempt.number))
        raise
    except Exception as error:
        if not attempt.last:
            raise
        reason = f"gave up after {attempt.number} attempts: {type(error).__name__}: {error}"
        return _emit(job, ports, attempt, failed_event(job, attempt.compute, reason, attempt.number))
    return _emit(job, ports, attempt, processed_event(job, result, attempt.compute, started))


def recover_stranded(
    job: Job, *, reason: str, compute: Compute, output_bucket: str, ports: Ports
) -> JobOutcome:
    """A task died without reporting. Nothing if an outcome was emitted; `Video.Processed` if the marker
    shows the work finished (it died before publishing); else `Video.ProcessingFailed` with `reason`."""
    if ports.ledger.outcome(job.video_id) is not None:
        return JobOutcome("duplicate")
    attempt = Attempt(compute=compute, owner="watcher")
    marker_key = f"{output_prefix(job.video_id)}/{MARKER_NAME}"
    try:
        result = ProcessResult.model_validate_json(ports.storage.get_text(output_bucket, marker_key))
    except (ObjectNotFound, ValueError):
        return _emit(job, ports, attempt, failed_event(job, compute, reason, 1))
    return _emit(job, ports, attempt, processed_event(job, result, compute, datetime.now(UTC)))
