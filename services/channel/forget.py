"""A deleted video leaves nothing in the channel service: its raw recording (segments, playlists, thumbnails
and IVS's event files under the recording's prefix), the IVS events applied for it, and its index item.

The repository indexes every video the channel service emits events for (`video#<id>`: the ledger keys of
those events, and the recording's bucket and prefix once `Recording.Ended` names them), in the transaction
that records the events, so the deletion finds everything by the video's id. A second run finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.channel.models import Channel
from services.channel.ports import ChannelRepository


@dataclass(frozen=True)
class VideoRecord:
    video_id: str
    channel_id: str | None = None
    recording_bucket: str | None = None
    recording_prefix: str | None = None
    ledger_keys: frozenset[str] = field(default_factory=frozenset)


class VideoIndex(ChannelRepository, Protocol):
    def video_record(self, video_id: str) -> VideoRecord | None: ...

    def forget_video(self, record: VideoRecord) -> None:
        """Remove the record's ledger items and the record itself."""
        ...


class RecordingStore(Protocol):
    def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Remove every object under `prefix/`; returns how many."""
        ...


def forget_video(
    video_id: str, channel_id: str | None, *, repository: VideoIndex, recordings: RecordingStore
) -> int:
    """Removes what the service holds of the video; returns how many recording objects went."""
    record = repository.video_record(video_id)
    removed = 0
    if record is not None:
        if record.recording_bucket and record.recording_prefix:
            removed = recordings.delete_prefix(record.recording_bucket, record.recording_prefix)
        repository.forget_video(record)
        channel_id = channel_id or record.channel_id
    channel = repository.get(channel_id) if channel_id else None
    if channel is not None:
        _forget_session(repository, channel, video_id)
    return removed


def _forget_session(repository: ChannelRepository, channel: Channel, video_id: str) -> None:
    """The channel remembers its last recording session by video id; an ended one of this video goes."""
    session = channel.recording
    if session is not None and session.video_id == video_id and session.ended:
        repository.save(channel.model_copy(update={"recording": None}))
