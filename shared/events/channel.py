"""`svideo.channel` events: channel lifecycle, live state and finished recordings. No key material, ever."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.events.base import (
    BucketName,
    ChannelEvent,
    ChannelId,
    ContractModel,
    DurationMs,
    Identifier,
    OwnerId,
    Pixels,
    Reason,
    S3Key,
    S3Prefix,
    StreamId,
    UtcDatetime,
    VideoId,
)

CHANNEL_SOURCE = "svideo.channel"


class ChannelCreated(ChannelEvent):
    """A broadcaster got a channel; `ivs_channel_name` maps `aws.ivs` events (which carry it) to it."""

    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Channel.Created"

    channel_id: ChannelId
    owner_id: OwnerId
    display_name: str = Field(min_length=1, max_length=100)
    ivs_channel_name: str = Field(min_length=1, max_length=128)


class ChannelDeleted(ChannelEvent):
    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Channel.Deleted"

    channel_id: ChannelId
    owner_id: OwnerId


class StreamKeyRotated(ChannelEvent):
    """The channel's stream key was replaced; only the fact and the key's id travel, never the key."""

    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "StreamKey.Rotated"

    channel_id: ChannelId
    owner_id: OwnerId
    stream_key_id: Identifier = Field(description="Opaque id of the new key (not the key itself)")


RECORDING_VIDEO_ID = "The video this broadcast records into; the same for all streams of one recording"


class BroadcastStarted(ChannelEvent):
    """A channel went live. A stream that resumes within the reconnect window carries the same `video_id`."""

    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Broadcast.Started"

    channel_id: ChannelId
    owner_id: OwnerId
    stream_id: StreamId
    started_at: UtcDatetime
    video_id: VideoId | None = Field(default=None, description=RECORDING_VIDEO_ID)


class BroadcastEnded(ChannelEvent):
    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Broadcast.Ended"

    channel_id: ChannelId
    owner_id: OwnerId
    stream_id: StreamId
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime
    video_id: VideoId | None = Field(default=None, description=RECORDING_VIDEO_ID)


class Rendition(ContractModel):
    """One recorded HLS rendition, e.g. `720p30`, with its playlist key."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", examples=["720p30"])
    playlist_key: S3Key
    width: Pixels | None = None
    height: Pixels | None = None


class Recording(ContractModel):
    bucket: BucketName
    prefix: S3Prefix
    duration_ms: DurationMs = Field(description="Rules route on this field (Lambda vs Fargate)")
    renditions: list[Rendition] = Field(min_length=1)


class RecordingEnded(ChannelEvent):
    """A recording is complete in S3: the video exists from here on."""

    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Recording.Ended"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    stream_id: StreamId
    recording: Recording


RecordingFailureStage = Literal["start", "end"]


class RecordingFailed(ChannelEvent):
    """IVS could not start or finish a recording (`Recording Start Failure` / `Recording End Failure`)."""

    source: ClassVar[str] = CHANNEL_SOURCE
    detail_type: ClassVar[str] = "Recording.Failed"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    stream_id: StreamId
    stage: RecordingFailureStage = Field(description="Whether the recording failed to start or to end")
    reason: Reason
