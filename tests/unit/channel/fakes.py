"""In-memory fakes of the channel service's ports (IVS, repository, recording reader)."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Sequence
from dataclasses import replace

from services.channel.errors import (
    BadRequestError,
    ConflictError,
    RecordingNotReadableError,
    StaleChannelError,
)
from services.channel.forget import VideoRecord
from services.channel.models import AppliedEvent, Channel, IvsChannel, Page, StreamKey
from shared.events.base import ChannelEvent
from shared.events.channel import RecordingEnded, Rendition


def new_key_value() -> str:
    return "sk_us-west-2_" + secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")


class FakeIvs:
    def __init__(self) -> None:
        self.channels: dict[str, dict[str, object]] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # arn -> (channel arn, value)
        self.stopped: list[str] = []
        self.live: set[str] = set()
        self.viewers: dict[str, int] = {}
        self.configurations: dict[str, int] = {}  # name -> window, created per distinct window

    def create_channel(
        self, *, name: str, recording_configuration_arn: str, tags: dict[str, str]
    ) -> IvsChannel:
        arn = f"arn:aws:ivs:us-west-2:123456789012:channel/{secrets.token_hex(6)}"
        self.channels[arn] = {"name": name, "recording": recording_configuration_arn, "tags": tags}
        key = self.create_stream_key(arn, tags)
        return IvsChannel(
            arn=arn,
            name=name,
            ingest_endpoint="abc123.global-contribute.live-video.net",
            playback_url=f"https://abc123.us-west-2.playback.live-video.net/api/video/v1/{name}.m3u8",
            stream_key=key,
        )

    def delete_channel(self, arn: str) -> None:
        self.channels.pop(arn, None)

    def update_channel(self, arn: str, *, recording_configuration_arn: str) -> None:
        if arn in self.live:
            raise ConflictError("the IVS channel is live")
        self.channels[arn]["recording"] = recording_configuration_arn

    def create_recording_configuration(
        self, *, window_seconds: int, template_arn: str, name: str, tags: dict[str, str]
    ) -> str:
        assert name not in self.configurations, "one configuration per window"
        self.configurations[name] = window_seconds
        return f"arn:aws:ivs:us-west-2:123456789012:recording-configuration/{name}"

    def create_stream_key(self, channel_arn: str, tags: dict[str, str]) -> StreamKey:
        if any(owner == channel_arn for owner, _ in self.keys.values()):
            raise AssertionError("IVS allows one stream key per channel")
        arn = f"arn:aws:ivs:us-west-2:123456789012:stream-key/{secrets.token_hex(6)}"
        value = new_key_value()
        self.keys[arn] = (channel_arn, value)
        return StreamKey(arn=arn, value=value)

    def delete_stream_key(self, arn: str) -> None:
        self.keys.pop(arn, None)

    def stop_stream(self, channel_arn: str) -> None:
        self.stopped.append(channel_arn)
        self.live.discard(channel_arn)

    def viewer_count(self, channel_arn: str) -> int | None:
        return self.viewers.get(channel_arn, 0) if channel_arn in self.live else None

    def key_values(self) -> list[str]:
        return [value for _, value in self.keys.values()]


class FakeRepository:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.ledger: dict[str, AppliedEvent] = {}
        self.videos: dict[str, VideoRecord] = {}
        self.recording_configurations: dict[int, str] = {}
        self.fail_next_add = False

    def add(self, channel: Channel) -> None:
        if self.fail_next_add:
            raise RuntimeError("table unavailable")
        assert channel.channel_id not in self.channels
        self.channels[channel.channel_id] = channel

    def recording_configuration(self, window_seconds: int) -> str | None:
        return self.recording_configurations.get(window_seconds)

    def remember_recording_configuration(self, window_seconds: int, arn: str) -> str:
        return self.recording_configurations.setdefault(window_seconds, arn)

    def get(self, channel_id: str) -> Channel | None:
        return copy.deepcopy(self.channels.get(channel_id))

    def by_ivs_channel(self, ivs_channel_arn: str) -> Channel | None:
        found = [c for c in self.channels.values() if c.ivs_channel_arn == ivs_channel_arn]
        return copy.deepcopy(found[0]) if found else None

    def _page(self, items: list[Channel], limit: int, token: str | None) -> Page:
        if token is not None and not token.isdigit():
            raise BadRequestError("next_token is not a token this API issued")
        start = int(token or 0)
        chunk = items[start : start + limit]
        more = start + limit < len(items)
        return Page(items=chunk, next_token=str(start + limit) if more else None)

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page:
        mine = sorted(
            (c for c in self.channels.values() if c.owner_id == owner_id), key=lambda c: c.created_at
        )
        return self._page(mine[::-1], limit, token)

    def list_live(self, *, limit: int, token: str | None) -> Page:
        return self._page([c for c in self.channels.values() if c.live], limit, token)

    def save(self, channel: Channel) -> Channel:
        stored = self.channels.get(channel.channel_id)
        if stored is None or stored.version != channel.version:
            raise StaleChannelError("changed")
        saved = channel.model_copy(update={"version": channel.version + 1})
        self.channels[channel.channel_id] = saved
        return saved

    def remove(self, channel_id: str) -> None:
        self.channels.pop(channel_id, None)

    def applied(self, event_key: str) -> AppliedEvent | None:
        return self.ledger.get(event_key)

    def apply(self, event_key: str, channel: Channel | None, events: Sequence[ChannelEvent]) -> bool:
        if event_key in self.ledger:
            return False
        if channel is not None:
            self.save(channel)
        self.ledger[event_key] = AppliedEvent(events=tuple(events), published=False)
        for event in events:
            video_id = getattr(event, "video_id", None)
            if not video_id:
                continue
            known = self.videos.get(video_id) or VideoRecord(video_id, getattr(event, "channel_id", None))
            if isinstance(event, RecordingEnded):
                known = replace(
                    known, recording_bucket=event.recording.bucket, recording_prefix=event.recording.prefix
                )
            self.videos[video_id] = replace(known, ledger_keys=known.ledger_keys | {event_key})
        return True

    def video_record(self, video_id: str) -> VideoRecord | None:
        return self.videos.get(video_id)

    def forget_video(self, record: VideoRecord) -> None:
        for key in record.ledger_keys:
            self.ledger.pop(key, None)
        self.videos.pop(record.video_id, None)

    def mark_published(self, event_key: str) -> None:
        self.ledger[event_key] = AppliedEvent(events=self.ledger[event_key].events, published=True)


class FakeRecordings:
    def __init__(self) -> None:
        self.missing = False
        self.reads: list[tuple[str, str]] = []

    def renditions(self, bucket: str, prefix: str) -> list[Rendition]:
        self.reads.append((bucket, prefix))
        if self.missing:
            raise RecordingNotReadableError("no master playlist")
        return [
            Rendition(
                name="720p30", playlist_key=f"{prefix}/media/hls/720p30/playlist.m3u8", width=1280, height=720
            )
        ]


class FakeRecordingStore:
    """The recording bucket as keys."""

    def __init__(self, keys: set[tuple[str, str]] | None = None) -> None:
        self.keys = set(keys or set())

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        gone = {(b, k) for b, k in self.keys if b == bucket and k.startswith(prefix.strip("/") + "/")}
        self.keys -= gone
        return len(gone)
