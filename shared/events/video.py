"""`svideo.video` events: catalog state changes and the broadcaster's title feedback loop."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from shared.events.base import (
    ChannelId,
    DurationMs,
    Identifier,
    OwnerId,
    Reason,
    SvideoEvent,
    UtcDatetime,
    VideoId,
    VideoStatus,
)

VIDEO_SOURCE = "svideo.video"


class VideoStatusChanged(SvideoEvent):
    """The video moved from one status to another (`from` is null for the first status)."""

    source: ClassVar[str] = VIDEO_SOURCE
    detail_type: ClassVar[str] = "Video.StatusChanged"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    from_status: VideoStatus | None = Field(alias="from")
    to_status: VideoStatus = Field(alias="to")
    reason: Reason | None = None

    @model_validator(mode="after")
    def _a_change(self) -> VideoStatusChanged:
        if self.from_status == self.to_status:
            raise ValueError("`from` and `to` are the same status")
        if self.to_status in ("invalid", "failed") and self.reason is None:
            raise ValueError(f"status {self.to_status!r} needs a `reason`")
        return self


class VideoPublished(SvideoEvent):
    source: ClassVar[str] = VIDEO_SOURCE
    detail_type: ClassVar[str] = "Video.Published"

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    title: str = Field(min_length=1, max_length=120)
    duration_ms: DurationMs
    published_at: UtcDatetime


class TitleSelected(SvideoEvent):
    """The broadcaster picked a title (one of the candidates, or their own text)."""

    source: ClassVar[str] = VIDEO_SOURCE
    detail_type: ClassVar[str] = "Title.Selected"

    video_id: VideoId
    owner_id: OwnerId
    title: str = Field(min_length=1, max_length=120)
    candidate_id: Identifier | None = Field(default=None, description="Null when the broadcaster typed it")


class TitlesRegenerateRequested(SvideoEvent):
    """The broadcaster asked for new titles with feedback; `round` is the round to produce (bounded)."""

    source: ClassVar[str] = VIDEO_SOURCE
    detail_type: ClassVar[str] = "Titles.RegenerateRequested"

    video_id: VideoId
    owner_id: OwnerId
    round: int = Field(ge=2, le=10)
    feedback: str = Field(min_length=1, max_length=1000)
    rejected_titles: list[str] = Field(default_factory=list, max_length=50)
