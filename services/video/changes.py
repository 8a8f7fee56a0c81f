"""What each subscribed event asks of the catalog, as a `Change` (or a channel-owner fact)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.video.models import Change, MediaKeys, TitleChoice, TitleOption, TitleRound
from shared.events import (
    BroadcastStarted,
    ChannelCreated,
    ChannelDeleted,
    EventDetail,
    LifecycleCompleted,
    RecordingEnded,
    RecordingFailed,
    SvideoEvent,
    TitleSelected,
    TitlesGenerated,
    VideoProcessed,
    VideoProcessingFailed,
)
from shared.events.base import VideoStatus

VERDICT_STATUS: dict[str, VideoStatus] = {"valid": "published", "invalid": "invalid", "failed": "failed"}

if TYPE_CHECKING:
    from shared.events.envelope import Envelope


@dataclass(frozen=True)
class ChannelFact:
    channel_id: str
    owner_id: str
    deleted: bool
    name: str | None = None


def _change(
    envelope: Envelope[Any], detail: SvideoEvent, target: VideoStatus | None, **values: Any
) -> Change:
    return Change(
        event_id=envelope.id,
        event_type=detail.detail_type,
        occurred_at=detail.meta.occurred_at,
        correlation_id=detail.meta.correlation_id,
        video_id=values.pop("video_id"),
        target=target,
        **values,
    )


def _broadcast_started(envelope: Envelope[Any], d: BroadcastStarted) -> Change | None:
    if d.video_id is None:
        return None  # a producer that does not name the recording's video yet: Recording.Ended creates it
    return _change(
        envelope, d, "recording", video_id=d.video_id, channel_id=d.channel_id, owner_id=d.owner_id
    )


def _recording_ended(envelope: Envelope[Any], d: RecordingEnded) -> Change:
    return _change(
        envelope,
        d,
        "processing",
        video_id=d.video_id,
        channel_id=d.channel_id,
        owner_id=d.owner_id,
        # The processed media's duration is the precise one: this only fills a gap.
        defaults={"duration_ms": d.recording.duration_ms},
    )


def _recording_failed(envelope: Envelope[Any], d: RecordingFailed) -> Change:
    return _change(
        envelope,
        d,
        "failed",
        video_id=d.video_id,
        channel_id=d.channel_id,
        owner_id=d.owner_id,
        reason=f"recording failed to {d.stage}: {d.reason}",
    )


def _processed(envelope: Envelope[Any], d: VideoProcessed) -> Change:
    media = MediaKeys(
        mp4_key=d.media.mp4_key,
        # The HLS master is only ours to sign when post-processing copied it into the media bucket.
        hls_master_key=d.media.hls_master_key if d.media.hls_bucket in (None, d.media.bucket) else None,
        poster_key=d.media.poster_key,
        thumbnail_keys=list(d.media.thumbnail_keys),
        width=d.media.width,
        height=d.media.height,
        bytes=d.media.bytes,
    )
    # The media and the compute that made it travel together, so the record never pairs one with another's.
    # With its owner it creates a video the catalog has not seen yet (its earlier events are late).
    return _change(
        envelope,
        d,
        "enriching",
        video_id=d.video_id,
        channel_id=d.channel_id if d.owner_id else None,
        owner_id=d.owner_id,
        updates={"media": media, "duration_ms": d.media.duration_ms, "compute": d.compute},
    )


def _processing_failed(envelope: Envelope[Any], d: VideoProcessingFailed) -> Change:
    # With its owner, a failure seen before Recording.Ended creates the video failed instead of waiting.
    return _change(
        envelope,
        d,
        "failed",
        video_id=d.video_id,
        channel_id=d.channel_id if d.owner_id else None,
        owner_id=d.owner_id,
        reason=d.reason,
        updates_if_moved={"compute": d.compute},
    )


def _lifecycle_completed(envelope: Envelope[Any], d: LifecycleCompleted) -> Change:
    # The projection is generic: whatever fields the plugins' manifests project land on the record as-is.
    outcomes = {result.plugin: result.status for result in d.results}
    return _change(
        envelope,
        d,
        VERDICT_STATUS[d.verdict],
        video_id=d.video_id,
        channel_id=d.channel_id if d.owner_id else None,
        owner_id=d.owner_id,
        reason=d.reason,
        updates={"fields": dict(d.video_fields), "plugin_outcomes": outcomes},
        results=tuple(d.results),
    )


def _titles_generated(envelope: Envelope[Any], d: TitlesGenerated) -> Change:
    # Description and tags follow the latest round, under the names the titles plugin projects them with.
    written = TitleRound(
        round=d.round,
        candidates=[TitleOption(candidate_id=c.candidate_id, title=c.title) for c in d.candidates],
        description=d.description,
        tags=list(d.tags),
    )
    # Round 1 is the titles plugin's lifecycle invocation: it counts only if it is the run the lifecycle
    # accepted (a redriven run rejected as late publishes a round too). Later rounds answer the feedback loop.
    lifecycle_run = d.round == 1
    return _change(
        envelope,
        d,
        None,
        video_id=d.video_id,
        plugin="titles",
        updates={"title_round": written, "fields": {"description": d.description, "tags": list(d.tags)}},
        side_of="titles" if lifecycle_run else None,
        matches=(
            {"title_candidates": [{"candidate_id": c.candidate_id, "title": c.title} for c in d.candidates]}
            if lifecycle_run
            else {}
        ),
    )


def _title_selected(envelope: Envelope[Any], d: TitleSelected) -> Change:
    choice = TitleChoice(title=d.title, candidate_id=d.candidate_id, selected_at=d.meta.occurred_at)
    return _change(envelope, d, None, video_id=d.video_id, updates={"title_choice": choice})


CHANGES: dict[type[EventDetail], Callable[[Envelope[Any], Any], Change | None]] = {
    BroadcastStarted: _broadcast_started,
    RecordingEnded: _recording_ended,
    RecordingFailed: _recording_failed,
    VideoProcessed: _processed,
    VideoProcessingFailed: _processing_failed,
    LifecycleCompleted: _lifecycle_completed,
    TitlesGenerated: _titles_generated,
    TitleSelected: _title_selected,
}


def channel_fact(detail: EventDetail) -> ChannelFact | None:
    if isinstance(detail, ChannelCreated):
        return ChannelFact(detail.channel_id, detail.owner_id, deleted=False, name=detail.display_name)
    if isinstance(detail, ChannelDeleted):
        return ChannelFact(detail.channel_id, detail.owner_id, deleted=True)
    return None


def change_for(envelope: Envelope[Any]) -> Change | None:
    """The change an event asks for; None for events that only inform (or that this service ignores)."""
    translate = CHANGES.get(type(envelope.detail))
    return translate(envelope, envelope.detail) if translate else None


def subscribed_types() -> dict[str, list[str]]:
    """The detail-types the events consumer subscribes to, by source; the stack builds its rule from these."""
    models: list[type[EventDetail]] = [*CHANGES, ChannelCreated, ChannelDeleted]
    types: dict[str, list[str]] = {}
    for model in models:
        types.setdefault(model.source, []).append(model.detail_type)
    return types
