"""`svideo.postprocess` events: the recording became playable media, or processing gave up."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from shared.events.base import (
    BucketName,
    ByteCount,
    ChannelId,
    Compute,
    ContractModel,
    DurationMs,
    OwnerId,
    Pixels,
    Reason,
    S3Key,
    SvideoEvent,
    UtcDatetime,
    VideoId,
)

POSTPROCESS_SOURCE = "svideo.postprocess"


class Media(ContractModel):
    """Where the processed media lives and what it is."""

    bucket: BucketName
    mp4_key: S3Key
    hls_master_key: S3Key
    hls_bucket: BucketName | None = Field(
        default=None, description="Bucket of hls_master_key when it is not `bucket` (the recording bucket)"
    )
    poster_key: S3Key
    thumbnail_keys: list[S3Key] = Field(default_factory=list, max_length=100)
    width: Pixels
    height: Pixels
    duration_ms: DurationMs
    bytes: ByteCount = Field(description="Size of the MP4")


class Timings(ContractModel):
    started_at: UtcDatetime
    finished_at: UtcDatetime
    stitch_ms: DurationMs

    @model_validator(mode="after")
    def _finished_after_start(self) -> Timings:
        if self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class VideoProcessed(SvideoEvent):
    source: ClassVar[str] = POSTPROCESS_SOURCE
    detail_type: ClassVar[str] = "Video.Processed"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId | None = Field(default=None, description="The broadcaster, from Recording.Ended")
    compute: Compute
    media: Media
    timings: Timings
    reencoded: bool = Field(default=False, description="True when stream copy was not possible")
    reencode_reason: Reason | None = None


class VideoProcessingFailed(SvideoEvent):
    """Retries are spent; the video service moves the video to `failed` with this reason."""

    source: ClassVar[str] = POSTPROCESS_SOURCE
    detail_type: ClassVar[str] = "Video.ProcessingFailed"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId | None = Field(default=None, description="The broadcaster, from Recording.Ended")
    compute: Compute
    reason: Reason
    attempts: int = Field(ge=1, le=100)
