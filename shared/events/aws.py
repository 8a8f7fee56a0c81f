"""Details AWS emits that svideo consumes: IVS stream and recording state, Transcribe job state.

Field names are AWS's own. Status strings stay `str` (with the known values as constants) because AWS adds
values over time (IVS added `Stream Takeover` in 2024) and a consumer must not fail on one it does not know.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.events.base import AwsEventDetail, DurationMs, StreamId

IVS_SOURCE = "aws.ivs"
TRANSCRIBE_SOURCE = "aws.transcribe"

STREAM_START = "Stream Start"
STREAM_END = "Stream End"
STREAM_FAILURE = "Stream Failure"
SESSION_CREATED = "Session Created"
SESSION_ENDED = "Session Ended"

RECORDING_START = "Recording Start"
RECORDING_END = "Recording End"
RECORDING_START_FAILURE = "Recording Start Failure"
RECORDING_END_FAILURE = "Recording End Failure"

TRANSCRIPTION_COMPLETED = "COMPLETED"
TRANSCRIPTION_FAILED = "FAILED"


class IvsStreamStateChange(AwsEventDetail):
    """`aws.ivs` / `IVS Stream State Change`: a stream session started, ended or failed on a channel."""

    source: ClassVar[str] = IVS_SOURCE
    detail_type: ClassVar[str] = "IVS Stream State Change"

    event_name: str = Field(min_length=1, examples=[STREAM_START])
    channel_name: str = Field(
        description="IVS channel name; IVS sends an empty string for some session events"
    )
    stream_id: StreamId
    reason: str | None = Field(default=None, description="Why a stream failed (`Stream Failure`)")
    code: str | None = Field(default=None, description="Extra detail on session and takeover events")


class IvsRecordingStateChange(AwsEventDetail):
    """`aws.ivs` / `IVS Recording State Change`: recording to S3 started, ended or failed."""

    source: ClassVar[str] = IVS_SOURCE
    detail_type: ClassVar[str] = "IVS Recording State Change"

    channel_name: str
    stream_id: StreamId
    recording_status: str = Field(min_length=1, examples=[RECORDING_END])
    recording_status_reason: str = ""
    recording_s3_bucket_name: str = Field(min_length=3)
    recording_s3_key_prefix: str = Field(min_length=1)
    recording_duration_ms: DurationMs = 0
    recording_session_id: str | None = None
    recording_session_stream_ids: list[StreamId] = Field(default_factory=list)


class TranscribeJobStateChange(AwsEventDetail):
    """`aws.transcribe` / `Transcribe Job State Change`: a batch transcription job completed or failed."""

    source: ClassVar[str] = TRANSCRIBE_SOURCE
    detail_type: ClassVar[str] = "Transcribe Job State Change"

    transcription_job_name: str = Field(alias="TranscriptionJobName", min_length=1, max_length=200)
    transcription_job_status: str = Field(alias="TranscriptionJobStatus", examples=[TRANSCRIPTION_COMPLETED])
    failure_reason: str | None = Field(default=None, alias="FailureReason")
