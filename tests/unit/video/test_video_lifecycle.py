"""The status machine applied to events: creation, forward moves, duplicates, late facts, verdicts."""

from __future__ import annotations

import pytest

from services.video.domain import Outcome
from services.video.status import STATUSES, TERMINAL, TRANSITIONS, Move, decide
from tests.unit.video.conftest import World
from tests.unit.video.support import CHANNEL_ID, OWNER_ID, T0, VIDEO_ID, event, minutes


def test_given_a_broadcast_with_a_video_id_when_it_starts_then_the_video_is_recording(world: World) -> None:
    assert world.apply(event("Broadcast.Started")) is Outcome.CREATED
    video = world.repository.get(VIDEO_ID)
    assert video is not None
    assert (video.status, video.channel_id, video.owner_id) == ("recording", CHANNEL_ID, OWNER_ID)
    assert video.deadline_at == T0 + world.catalog.deadlines.recording
    assert world.statuses() == [(None, "recording")]


def test_given_a_broadcast_without_video_id_when_it_starts_then_nothing_is_created(world: World) -> None:
    raw = event("Broadcast.Started")
    raw["detail"].pop("video_id")
    from services.video.changes import change_for
    from shared.events import parse_event

    assert change_for(parse_event(raw)) is None


def test_given_a_missed_start_when_the_recording_ends_then_the_video_is_created_processing(
    world: World,
) -> None:
    assert world.apply(event("Recording.Ended")) is Outcome.CREATED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "processing" and video.duration_ms == 754200


def test_given_the_full_happy_path_then_every_transition_emits_and_publication_is_announced(
    world: World,
) -> None:
    world.apply(event("Broadcast.Started"), T0)
    world.apply(event("Recording.Ended"), T0 + minutes(1))
    world.apply(event("Video.Processed"), T0 + minutes(2))
    world.apply(event("Lifecycle.Completed", video_fields={"title": "Sourdough at dawn", "tags": ["bread"]}))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "published"
    assert video.media is not None and video.media.mp4_key.endswith(".mp4")
    assert video.fields == {"title": "Sourdough at dawn", "tags": ["bread"]}
    assert world.statuses() == [
        (None, "recording"),
        ("recording", "processing"),
        ("processing", "enriching"),
        ("enriching", "published"),
    ]
    published = [d for d in world.repository.details_json() if "published_at" in d]
    assert published[0]["title"] == "Sourdough at dawn"
    assert [e.type for e in world.repository.history(VIDEO_ID) if e.plugin is None] == [
        "Broadcast.Started",
        "Recording.Ended",
        "Video.Processed",
        "Lifecycle.Completed",
    ]


def test_given_an_event_applied_when_it_is_delivered_again_then_nothing_changes(world: World) -> None:
    world.apply(event("Broadcast.Started"))
    again = event("Recording.Ended", event_id="same-id")
    assert world.apply(again) is Outcome.MOVED
    emitted = len(world.repository.outbox)
    assert world.apply(again) is Outcome.DUPLICATE
    assert len(world.repository.outbox) == emitted
    assert len(world.repository.history(VIDEO_ID)) == 2


def test_given_enriching_when_a_late_recording_ended_arrives_then_it_is_recorded_not_applied(
    world: World,
) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.apply(event("Video.Processed"), T0 + minutes(1))
    late = event("Recording.Ended", at=T0 + minutes(2))
    assert world.apply(late, T0 + minutes(3)) is Outcome.RECORDED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "enriching"
    last = next(e for e in world.repository.history(VIDEO_ID) if not e.applied)
    assert (last.type, last.applied, last.from_status, last.to_status) == (
        "Recording.Ended",
        False,
        "enriching",
        "processing",
    )
    assert world.statuses()[-1] == ("processing", "enriching")


def test_given_video_processed_before_recording_ended_then_status_skips_forward_and_keeps_media(
    world: World,
) -> None:
    world.apply(event("Broadcast.Started"))
    world.apply(event("Video.Processed"))
    world.apply(event("Recording.Ended"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "enriching" and video.media is not None


def test_given_an_unknown_video_when_it_is_processed_then_it_is_created_enriching_with_a_deadline(
    world: World,
) -> None:
    assert world.apply(event("Video.Processed")) is Outcome.CREATED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.owner_id) == ("enriching", OWNER_ID)
    assert video.deadline_at == T0 + world.catalog.deadlines.enriching and video.media is not None


def test_given_an_unknown_video_when_an_event_without_its_owner_arrives_then_it_is_kept_until_one_does(
    world: World,
) -> None:
    raw = event("Video.Processed")
    raw["detail"].pop("owner_id")
    assert world.apply(raw) is Outcome.PARKED
    assert world.apply(raw) is Outcome.DUPLICATE
    assert world.repository.get(VIDEO_ID) is None
    world.apply(event("Recording.Ended"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "enriching" and video.media is not None
    assert world.repository.parked(VIDEO_ID) == []


@pytest.mark.parametrize(
    ("verdict", "status"), [("valid", "published"), ("invalid", "invalid"), ("failed", "failed")]
)
def test_given_a_lifecycle_verdict_then_the_video_takes_its_status(
    world: World, verdict: str, status: str
) -> None:
    world.apply(event("Recording.Ended"))
    world.apply(event("Video.Processed"))
    reason = None if verdict == "valid" else f"plugin said {verdict}"
    world.apply(event("Lifecycle.Completed", verdict=verdict, reason=reason))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == status and video.reason == reason
    assert video.deadline_at is None


def test_given_processing_failed_then_the_video_fails_with_the_reason(world: World) -> None:
    world.apply(event("Recording.Ended"))
    world.apply(event("Video.ProcessingFailed", reason="ffmpeg exited 1"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.reason) == ("failed", "ffmpeg exited 1")
    assert world.repository.details_json()[-1]["reason"] == "ffmpeg exited 1"


def test_given_a_failed_video_when_a_late_verdict_arrives_then_it_stays_failed(world: World) -> None:
    world.apply(event("Recording.Ended"))
    world.apply(event("Video.ProcessingFailed"))
    assert world.apply(event("Lifecycle.Completed")) is Outcome.RECORDED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "failed"


def test_given_the_transitions_table_then_no_move_goes_back_and_terminal_states_only_lead_to_deleted() -> (
    None
):
    order = {s: i for i, s in enumerate(("recording", "processing", "enriching"))}
    for source, targets in TRANSITIONS.items():
        for target in targets:
            assert order.get(target, 99) > order.get(source, -1) or target == "deleted"
        if source in TERMINAL:
            assert targets <= {"deleted"}
    assert decide("published", "processing") is Move.LATE
    assert set(TRANSITIONS) == set(STATUSES)
