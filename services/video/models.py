"""The catalog's records (video, history entry), the changes events ask for, and the API's views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from shared.events.base import ChannelId, OwnerId, UtcDatetime, VideoId, VideoStatus

NextToken = Annotated[str, Field(max_length=2048, description="Opaque token from the previous page")]
PageLimit = Annotated[int, Field(ge=1, le=100)]
DEFAULT_PAGE_LIMIT = 20


class MediaKeys(BaseModel):
    """Where the processed media lives in the media bucket (keys, not URLs)."""

    model_config = ConfigDict(frozen=True)

    mp4_key: str
    hls_master_key: str
    poster_key: str
    thumbnail_keys: list[str] = Field(default_factory=list)
    width: int
    height: int
    bytes: int


class Video(BaseModel):
    """One video in the catalog; `fields` holds the plugins' projected outputs (title, tags, ...)."""

    model_config = ConfigDict(frozen=True)

    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    status: VideoStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime
    status_since: UtcDatetime
    deadline_at: UtcDatetime | None = None
    published_at: UtcDatetime | None = None
    reason: str | None = None
    duration_ms: int | None = None
    media: MediaKeys | None = None
    fields: dict[str, JsonValue] = Field(default_factory=dict)
    version: int = 0

    @property
    def title(self) -> str | None:
        title = self.fields.get("title")
        return title if isinstance(title, str) and title else None


class HistoryEntry(BaseModel):
    """One event applied to (or recorded against) a video. `applied` is False for late or superseded facts."""

    model_config = ConfigDict(frozen=True)

    at: UtcDatetime
    event_id: str
    type: str
    from_status: VideoStatus | None = None
    to_status: VideoStatus | None = None
    applied: bool = True
    reason: str | None = None
    plugin: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Change:
    """What one event asks of one video: a target status (or none) and data to merge onto the record."""

    event_id: str
    event_type: str
    occurred_at: datetime
    correlation_id: str
    video_id: str
    target: VideoStatus | None
    channel_id: str | None = None
    owner_id: str | None = None
    reason: str | None = None
    plugin: str | None = None
    updates: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deadlines:
    """How long a video may stay in each non-terminal status before the sweeper fails it."""

    recording: timedelta = timedelta(hours=50)  # IVS broadcasts last up to 48 h
    processing: timedelta = timedelta(hours=2)
    enriching: timedelta = timedelta(hours=1)

    def for_status(self, status: VideoStatus) -> timedelta | None:
        value = getattr(self, status, None)
        return value if isinstance(value, timedelta) else None


@dataclass(frozen=True)
class Page:
    videos: list[Video]
    next_token: str | None


# ---------------------------------------------------------------- API views


class MediaUrls(BaseModel):
    mp4_url: str
    hls_url: str
    poster_url: str
    thumbnail_urls: list[str]
    width: int
    height: int


class VideoView(BaseModel):
    video_id: VideoId
    channel_id: ChannelId
    owner_id: OwnerId
    status: VideoStatus
    title: str | None = None
    reason: str | None = None
    duration_ms: int | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    published_at: UtcDatetime | None = None
    media: MediaUrls | None = None
    fields: dict[str, JsonValue] = Field(
        default_factory=dict, description="Plugins' outputs projected onto the video (titles, tags, ...)"
    )


class VideoPageView(BaseModel):
    videos: list[VideoView]
    next_token: str | None = Field(default=None, description="Pass as `next_token` for the next page")


class HistoryEntryView(BaseModel):
    at: UtcDatetime
    type: str = Field(examples=["Recording.Ended"])
    from_status: VideoStatus | None = Field(default=None, serialization_alias="from")
    to_status: VideoStatus | None = Field(default=None, serialization_alias="to")
    applied: bool = Field(description="False when the event arrived late and did not change the status")
    reason: str | None = None
    plugin: str | None = None
    correlation_id: str | None = None


class HistoryView(BaseModel):
    video_id: VideoId
    status: VideoStatus
    history: list[HistoryEntryView]


class MeView(BaseModel):
    sub: str
    username: str | None = None
    email: str | None = None
    groups: list[str]
