"""The channel service's records and API shapes. Stream-key values appear only in the one-time responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from shared.events.base import ChannelEvent, ChannelId, OwnerId, StreamId, VideoId
from shared.text import DisplayName

# IVS recording configurations allow 0-300 s: how long a dropped broadcast may resume into the same recording.
ReconnectWindow = Annotated[int, Field(ge=0, le=300)]


class RecordingSession(BaseModel):
    """The recording a channel's streams go into; streams resumed within the reconnect window join it."""

    video_id: VideoId
    stream_ids: list[StreamId] = Field(default_factory=list)
    last_stream_ended_at: AwareDatetime | None = None
    ended: bool = False


class Channel(BaseModel):
    """One row of the channels table. Holds the stream key's ARN only: IVS holds the key itself."""

    channel_id: ChannelId
    owner_id: OwnerId
    display_name: DisplayName
    ivs_channel_arn: str
    ivs_channel_name: str
    stream_key_arn: str
    ingest_endpoint: str
    playback_url: str
    created_at: AwareDatetime
    live: bool = False
    live_stream_id: StreamId | None = None
    live_since: AwareDatetime | None = None
    recording: RecordingSession | None = None
    # Streams whose end we saw, newest last: a late Stream Start of one must not turn the channel live.
    ended_stream_ids: list[StreamId] = Field(default_factory=list)
    # None on channels created before the window was per channel: the stack's default applies to them.
    reconnect_window_seconds: ReconnectWindow | None = None
    version: int = 0

    @property
    def stream_key_id(self) -> str:
        return self.stream_key_arn.rsplit("/", 1)[-1]


# -- IVS port values ---------------------------------------------------------------------------------------


class StreamKey(BaseModel):
    """A key as IVS returns it on creation; `value` is a SecretStr so a repr or a log line never shows it."""

    model_config = ConfigDict(frozen=True)

    arn: str
    value: SecretStr

    @property
    def key_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


class IvsChannel(BaseModel):
    model_config = ConfigDict(frozen=True)

    arn: str
    name: str
    ingest_endpoint: str
    playback_url: str
    stream_key: StreamKey


# -- API ---------------------------------------------------------------------------------------------------


class CreateChannelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: DisplayName = Field(description="What viewers see, e.g. `Lambda Lancer`")
    reconnect_window_seconds: ReconnectWindow | None = Field(
        default=None,
        description="0-300 s: a broadcast that drops and resumes within it stays one recording (one video);"
        " the video is processed this long after the stream ends. Default: the stage's (60 s).",
    )


class UpdateChannelRequest(BaseModel):
    """PATCH: the fields to change; the reconnect window only while the channel is offline (as IVS allows)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: DisplayName | None = None
    reconnect_window_seconds: ReconnectWindow | None = None


class Ingest(BaseModel):
    """Where to push: OBS 'Server' is `server`, 'Stream Key' is the key; ffmpeg pushes to `server` + key."""

    server: str = Field(examples=["rtmps://a1b2c3d4e5f6.global-contribute.live-video.net:443/app/"])
    endpoint: str


class PublicChannelView(BaseModel):
    """What anyone may see of a channel."""

    channel_id: ChannelId
    name: str
    live: bool
    playback_url: str
    live_since: datetime | None = Field(default=None, description="When the current broadcast started")
    viewer_count: int | None = Field(
        default=None,
        description="How many watch now, on one channel's read while live (IVS GetStream; locally the "
        "ingest's HLS players)",
    )


class ChannelView(PublicChannelView):
    """What the owner (or an admin) sees: no key value, only the key's id."""

    owner_id: OwnerId
    created_at: datetime
    stream_key_id: str
    ingest: Ingest
    reconnect_window_seconds: ReconnectWindow
    resume_deadline: datetime | None = Field(
        default=None,
        description="While a dropped broadcast may still resume into the same recording: until when",
    )


class ChannelWithKey(ChannelView):
    """The one response that carries the stream key (creation and rotation): show it once, store nowhere."""

    stream_key: str = Field(description="Shown once; rotate it if it leaks")


class ChannelPage(BaseModel):
    items: list[ChannelView]
    next_token: str | None = None


class PublicChannelPage(BaseModel):
    items: list[PublicChannelView]
    next_token: str | None = None


@dataclass(frozen=True)
class AppliedEvent:
    """An IVS event already applied, with the events it produced and whether they went out."""

    events: tuple[ChannelEvent, ...]
    published: bool


class Page(BaseModel):
    """A page of channels from the repository; `next_token` is opaque to callers."""

    items: list[Channel]
    next_token: str | None = None
