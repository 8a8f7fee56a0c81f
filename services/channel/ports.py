"""What the domain needs from the outside world; adapters implement these, unit tests pass fakes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.channel.models import AppliedEvent, Channel, IvsChannel, Page, StreamKey
from shared.events.base import ChannelEvent
from shared.events.channel import Rendition


class IvsPort(Protocol):
    def create_channel(
        self, *, name: str, recording_configuration_arn: str, tags: dict[str, str]
    ) -> IvsChannel: ...

    def delete_channel(self, arn: str) -> None: ...

    def update_channel(self, arn: str, *, recording_configuration_arn: str) -> None:
        """ConflictError while the channel is live (IVS updates offline channels only)."""
        ...

    def create_recording_configuration(
        self, *, window_seconds: int, template_arn: str, name: str, tags: dict[str, str]
    ) -> str:
        """A new recording configuration like the template's with this reconnect window, once ACTIVE."""
        ...

    def create_stream_key(self, channel_arn: str, tags: dict[str, str]) -> StreamKey: ...

    def delete_stream_key(self, arn: str) -> None: ...

    def stop_stream(self, channel_arn: str) -> None:
        """Disconnects a live stream; a channel that is not live is not an error."""
        ...

    def viewer_count(self, channel_arn: str) -> int | None:
        """How many watch the channel's live stream now (IVS GetStream's viewerCount); None when not live."""
        ...


class ChannelRepository(Protocol):
    def add(self, channel: Channel) -> None: ...

    def get(self, channel_id: str) -> Channel | None: ...

    def by_ivs_channel(self, ivs_channel_arn: str) -> Channel | None: ...

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page: ...

    def list_live(self, *, limit: int, token: str | None) -> Page: ...

    def save(self, channel: Channel) -> Channel:
        """Writes `channel` if its stored version is still `channel.version`, returning it with the next
        version; StaleChannelError otherwise."""
        ...

    def remove(self, channel_id: str) -> None: ...

    def applied(self, event_key: str) -> AppliedEvent | None: ...

    def apply(self, event_key: str, channel: Channel | None, events: Sequence[ChannelEvent]) -> bool:
        """Atomically: record `event_key` with `events` (only if new) and save `channel` (versioned).
        False if the key was already recorded; StaleChannelError if the channel changed meanwhile."""
        ...

    def mark_published(self, event_key: str) -> None: ...

    def recording_configuration(self, window_seconds: int) -> str | None:
        """The ARN of the recording configuration made for this window, if one was."""
        ...

    def remember_recording_configuration(self, window_seconds: int, arn: str) -> str:
        """Records `arn` for the window unless one is recorded already; returns the recorded one."""
        ...


class RecordingReader(Protocol):
    def renditions(self, bucket: str, prefix: str) -> list[Rendition]:
        """The renditions listed in `<prefix>/media/hls/master.m3u8`; RecordingNotReadableError if absent."""
        ...
