"""Live state and recordings from IVS's events: Stream Start/End, Recording End/Failure.

Each IVS event is applied once (a ledger entry keyed by the event's business key, written in the same
transaction as the channel), and the events it produces are published until that succeeds, so duplicates and
retries publish nothing new. The video a broadcast records into is derived from the IVS channel and the first
stream of its recording session: Stream Start knows it, and Recording End lists the session's streams, so both
name the same video whatever order they arrive in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.channel.models import Channel, RecordingSession
from services.channel.ports import ChannelRepository, RecordingReader
from shared.events import Publisher
from shared.events.aws import (
    RECORDING_END,
    RECORDING_END_FAILURE,
    RECORDING_START_FAILURE,
    STREAM_END,
    STREAM_FAILURE,
    STREAM_START,
    IvsRecordingStateChange,
    IvsStreamStateChange,
)
from shared.events.base import ID_PATTERN, ChannelEvent, Meta
from shared.events.channel import (
    BroadcastEnded,
    BroadcastStarted,
    Recording,
    RecordingEnded,
    RecordingFailed,
    Rendition,
)
from shared.logs import domain_logger

ENDED_STREAMS_KEPT = 20
_CORRELATION_ID = re.compile(ID_PATTERN)
_DEFAULT_FAILURE_REASON = {
    RECORDING_START_FAILURE: "IVS could not start recording the broadcast",
    RECORDING_END_FAILURE: "IVS could not finish writing the recording",
}

logger = domain_logger(__name__)


@dataclass(frozen=True)
class IvsChange:
    """One `aws.ivs` event as the domain sees it: its id, time, IVS channel ARN and detail."""

    event_id: str
    at: datetime
    ivs_channel_arn: str
    detail: IvsStreamStateChange | IvsRecordingStateChange


def video_id_for(ivs_channel_arn: str, first_stream_id: str) -> str:
    """The same id for every delivery of every event of one recording session."""
    digest = hashlib.sha256(f"{ivs_channel_arn}|{first_stream_id}".encode()).hexdigest()
    return f"vid-{digest[:26]}"


def event_key(change: IvsChange) -> str:
    """The business key of an IVS fact: IVS may resend it under a new event id."""
    detail = change.detail
    if isinstance(detail, IvsStreamStateChange):
        return f"stream#{detail.stream_id}#{detail.event_name}"
    session = detail.recording_session_id or detail.stream_id
    return f"recording#{session}#{detail.recording_status}"


def handle_ivs_change(
    change: IvsChange,
    *,
    repository: ChannelRepository,
    publisher: Publisher,
    recordings: RecordingReader,
    reconnect_window: timedelta,
) -> list[ChannelEvent]:
    """Applies one IVS event and publishes what follows from it; returns what was published."""
    key = event_key(change)
    applied = repository.applied(key)
    if applied is not None:
        if not applied.published:  # applied earlier, publishing failed: finish the job
            _publish(publisher, applied.events, change.ivs_channel_arn)
            repository.mark_published(key)
        return [] if applied.published else list(applied.events)
    channel = repository.by_ivs_channel(change.ivs_channel_arn)
    if channel is None:
        logger.info("IVS event for a channel we do not have (deleted?)", extra={"ivs_event_key": key})
        return []
    renditions = _renditions_if_ended(change, recordings)
    updated, events = transition(channel, change, reconnect_window=reconnect_window, renditions=renditions)
    if not repository.apply(key, updated, events):
        return []  # a concurrent delivery of the same fact got there first
    _publish(publisher, events, change.ivs_channel_arn)
    repository.mark_published(key)
    return list(events)


def _publish(publisher: Publisher, events: Sequence[ChannelEvent], ivs_channel_arn: str) -> None:
    if events:
        publisher.publish(*events, resources=[ivs_channel_arn])


def _renditions_if_ended(change: IvsChange, recordings: RecordingReader) -> list[Rendition]:
    detail = change.detail
    if isinstance(detail, IvsRecordingStateChange) and detail.recording_status == RECORDING_END:
        return recordings.renditions(detail.recording_s3_bucket_name, detail.recording_s3_key_prefix)
    return []


def transition(
    channel: Channel,
    change: IvsChange,
    *,
    reconnect_window: timedelta,
    renditions: list[Rendition],
) -> tuple[Channel | None, list[ChannelEvent]]:
    """The channel after `change` (None: unchanged) and the events to publish. Pure."""
    detail = change.detail
    # One correlation id from IVS's event onwards (its id is a UUID; anything else gets a fresh one).
    meta = Meta.now(correlation_id=change.event_id if _CORRELATION_ID.match(change.event_id) else None)
    if isinstance(detail, IvsStreamStateChange):
        if detail.event_name == STREAM_START:
            window = reconnect_window
            if (
                channel.reconnect_window_seconds is not None
            ):  # the channel's own (its recording configuration's)
                window = timedelta(seconds=channel.reconnect_window_seconds)
            return _stream_started(channel, detail.stream_id, change.at, window, meta)
        if detail.event_name in (STREAM_END, STREAM_FAILURE):
            return _stream_ended(channel, detail.stream_id, change.at, meta)
        return None, []  # Session Created/Ended, Stream Takeover...: nothing for svideo
    if detail.recording_status == RECORDING_END:
        return _recording_ended(channel, detail, renditions, meta)
    if detail.recording_status in (RECORDING_START_FAILURE, RECORDING_END_FAILURE):
        return _recording_failed(channel, detail, meta)
    return None, []  # Recording Start: Stream Start already named the video


def _stream_started(
    channel: Channel, stream_id: str, at: datetime, window: timedelta, meta: Meta
) -> tuple[Channel, list[ChannelEvent]]:
    session = channel.recording
    resumes = session is not None and (
        stream_id in session.stream_ids
        or (
            not session.ended
            and (session.last_stream_ended_at is None or at - session.last_stream_ended_at <= window)
        )
    )
    if session is not None and resumes:
        streams = session.stream_ids if stream_id in session.stream_ids else [*session.stream_ids, stream_id]
        session = session.model_copy(update={"stream_ids": streams, "last_stream_ended_at": None})
    else:
        session = RecordingSession(
            video_id=video_id_for(channel.ivs_channel_arn, stream_id), stream_ids=[stream_id]
        )
    updates: dict[str, object] = {"recording": session}
    if stream_id not in channel.ended_stream_ids:  # a Start that arrives after its own End leaves us offline
        updates |= {"live": True, "live_stream_id": stream_id, "live_since": at}
    started = BroadcastStarted(
        meta=meta,
        channel_id=channel.channel_id,
        owner_id=channel.owner_id,
        stream_id=stream_id,
        started_at=at,
        video_id=session.video_id,
    )
    return channel.model_copy(update=updates), [started]


def _stream_ended(
    channel: Channel, stream_id: str, at: datetime, meta: Meta
) -> tuple[Channel, list[ChannelEvent]]:
    updates: dict[str, object] = {
        "ended_stream_ids": [*channel.ended_stream_ids, stream_id][-ENDED_STREAMS_KEPT:],
    }
    started_at = None
    if channel.live_stream_id == stream_id:
        started_at = channel.live_since
        updates |= {"live": False, "live_stream_id": None, "live_since": None}
    session = channel.recording
    video_id = None
    if session is not None and stream_id in session.stream_ids:
        video_id = session.video_id
        if not session.ended:
            updates["recording"] = session.model_copy(update={"last_stream_ended_at": at})
    ended = BroadcastEnded(
        meta=meta,
        channel_id=channel.channel_id,
        owner_id=channel.owner_id,
        stream_id=stream_id,
        started_at=started_at,
        ended_at=at,
        video_id=video_id,
    )
    return channel.model_copy(update=updates), [ended]


def _session_video_id(channel: Channel, detail: IvsRecordingStateChange) -> str:
    streams = detail.recording_session_stream_ids
    if streams:
        return video_id_for(channel.ivs_channel_arn, streams[0])
    session = channel.recording
    if session is not None and detail.stream_id in session.stream_ids:
        return session.video_id
    return video_id_for(channel.ivs_channel_arn, detail.stream_id)


def _close_session(channel: Channel, video_id: str) -> Channel | None:
    session = channel.recording
    if session is None or session.video_id != video_id or session.ended:
        return None
    return channel.model_copy(update={"recording": session.model_copy(update={"ended": True})})


def _recording_ended(
    channel: Channel, detail: IvsRecordingStateChange, renditions: list[Rendition], meta: Meta
) -> tuple[Channel | None, list[ChannelEvent]]:
    video_id = _session_video_id(channel, detail)
    ended = RecordingEnded(
        meta=meta,
        video_id=video_id,
        channel_id=channel.channel_id,
        owner_id=channel.owner_id,
        stream_id=detail.stream_id,
        recording=Recording(
            bucket=detail.recording_s3_bucket_name,
            prefix=detail.recording_s3_key_prefix.strip("/"),
            duration_ms=detail.recording_duration_ms,
            renditions=renditions,
        ),
    )
    return _close_session(channel, video_id), [ended]


def _recording_failed(
    channel: Channel, detail: IvsRecordingStateChange, meta: Meta
) -> tuple[Channel | None, list[ChannelEvent]]:
    video_id = _session_video_id(channel, detail)
    failed = RecordingFailed(
        meta=meta,
        video_id=video_id,
        channel_id=channel.channel_id,
        owner_id=channel.owner_id,
        stream_id=detail.stream_id,
        stage="start" if detail.recording_status == RECORDING_START_FAILURE else "end",
        reason=(detail.recording_status_reason or _DEFAULT_FAILURE_REASON[detail.recording_status])[:2000],
    )
    return _close_session(channel, video_id), [failed]
