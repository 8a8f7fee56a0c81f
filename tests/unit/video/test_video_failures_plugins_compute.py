"""Per-plugin history from Lifecycle.Completed, Recording.Failed, and the compute that processed a video."""

from __future__ import annotations

from typing import Any

import pytest

from services.video.domain import Outcome
from services.video.repository import TRANSACTION_ITEMS, _history_item
from shared.auth import Principal
from tests.unit.video.conftest import World
from tests.unit.video.support import CHANNEL_ID, OWNER_ID, T0, VIDEO_ID, event, minutes

CANONICAL_RESULTS = [
    ("duration", "preValidate", "succeeded", None, 412),
    ("transcript", "preMetadata", "succeeded", None, 158300),
    ("titles", "postMetadata", "succeeded", None, 9120),
    ("avatars", "postMetadata", "timed_out", "no completion before 2026-11-22T14:23:45Z", 300000),
]


def _enriching(world: World) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.apply(event("Video.Processed"), T0 + minutes(1))


def _plugin_entries(world: World) -> list[tuple[Any, ...]]:
    return [
        (e.plugin, e.hook, e.outcome, e.reason, e.duration_ms)
        for e in world.repository.history(VIDEO_ID)
        if e.plugin is not None
    ]


def _result(n: int) -> dict[str, Any]:
    return {
        "plugin": f"p{n:03d}",
        "hook": "postMetadata",
        "status": "skipped",
        "reason": None,
        "duration_ms": 1,
    }


# ---------------------------------------------------------------- history per plugin


def test_given_lifecycle_completed_when_applied_then_each_plugin_result_is_a_history_entry_after_it(
    world: World,
) -> None:
    _enriching(world)
    completed = event("Lifecycle.Completed", event_id="lc-1")
    assert world.apply(completed, T0 + minutes(2)) is Outcome.MOVED
    history = world.repository.history(VIDEO_ID)
    assert [(e.type, e.plugin, e.to_status) for e in history[-5:]] == [
        ("Lifecycle.Completed", None, "published"),
        *(("Lifecycle.Completed", name, None) for name, *_ in CANONICAL_RESULTS),
    ]
    assert _plugin_entries(world) == CANONICAL_RESULTS
    assert {(e.event_id, e.applied, e.correlation_id) for e in history[-4:]} == {
        ("lc-1", True, completed["detail"]["meta"]["correlation_id"])
    }


def test_given_lifecycle_completed_delivered_twice_then_its_plugin_entries_are_written_once(
    world: World,
) -> None:
    _enriching(world)
    completed = event("Lifecycle.Completed")
    world.apply(completed)
    outbox = len(world.repository.outbox)
    assert world.apply(completed) is Outcome.DUPLICATE
    assert len(_plugin_entries(world)) == 4 and len(world.repository.outbox) == outbox


def test_given_a_failed_video_when_a_late_lifecycle_completes_then_plugin_entries_are_recorded_not_applied(
    world: World,
) -> None:
    _enriching(world)
    world.apply(event("Video.ProcessingFailed"))
    assert world.apply(event("Lifecycle.Completed")) is Outcome.RECORDED
    plugin_entries = [e for e in world.repository.history(VIDEO_ID) if e.plugin]
    assert len(plugin_entries) == 4 and not any(e.applied for e in plugin_entries)
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "failed"


def test_given_a_deleted_video_when_lifecycle_completes_late_then_nothing_of_it_is_recorded(
    world: World,
) -> None:
    _enriching(world)
    world.catalog.delete(_owner(), VIDEO_ID, world.media, T0 + minutes(2))
    assert world.apply(event("Lifecycle.Completed")) is Outcome.FORGOTTEN
    assert _plugin_entries(world) == [] and world.repository.history(VIDEO_ID) == []


def test_given_more_results_than_one_transaction_holds_then_the_rest_are_summarised_in_the_last_entry(
    world: World,
) -> None:
    _enriching(world)
    results = [_result(n) for n in range(200)]
    world.apply(event("Lifecycle.Completed", results=results))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "published"
    entries = [e for e in world.repository.history(VIDEO_ID) if e.part is not None]
    room = TRANSACTION_ITEMS - 2 - 2  # the event's entry, the video, Video.StatusChanged and Video.Published
    assert len(entries) == room
    assert [e.plugin for e in entries[:-1]] == [f"p{n:03d}" for n in range(room - 1)]
    summary = entries[-1]
    assert summary.plugin is None and summary.reason is not None
    assert summary.reason.startswith(f"{200 - room + 1} more plugin results")
    assert "p199 (postMetadata): skipped" in summary.reason and "p094 " not in summary.reason


def test_given_a_history_part_then_its_key_sorts_right_after_its_event_and_before_later_events(
    world: World,
) -> None:
    _enriching(world)
    world.apply(event("Lifecycle.Completed", event_id="a" * 36), T0 + minutes(2))
    entry, *parts = [e for e in world.repository.history(VIDEO_ID) if e.event_id == "a" * 36]
    keys = [_history_item(VIDEO_ID, e)["SK"] for e in (entry, *parts)]
    assert keys == sorted(keys) and keys[1].startswith(keys[0] + "#")
    later = entry.model_copy(update={"event_id": "a" * 35 + "b", "part": None})
    assert _history_item(VIDEO_ID, later)["SK"] > keys[-1]


# ---------------------------------------------------------------- Recording.Failed


def test_given_an_unknown_video_when_its_recording_fails_then_it_is_created_failed_with_the_reason(
    world: World,
) -> None:
    assert (
        world.apply(event("Recording.Failed", stage="start", reason="IVS could not write")) is Outcome.CREATED
    )
    video = world.repository.get(VIDEO_ID)
    assert video is not None
    assert (video.status, video.channel_id, video.owner_id) == ("failed", CHANNEL_ID, OWNER_ID)
    assert video.reason == "recording failed to start: IVS could not write" and video.deadline_at is None
    (changed,) = world.repository.details_json()
    assert (changed["from"], changed["to"], changed["reason"]) == (None, "failed", video.reason)
    (entry,) = world.repository.history(VIDEO_ID)
    assert (entry.type, entry.to_status, entry.reason) == ("Recording.Failed", "failed", video.reason)
    assert world.repository.channel_owner(CHANNEL_ID) == OWNER_ID


def test_given_a_recording_video_when_the_recording_fails_to_end_then_it_fails_and_says_so(
    world: World,
) -> None:
    world.apply(event("Broadcast.Started"))
    assert world.apply(event("Recording.Failed")) is Outcome.MOVED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "failed"
    assert video.reason == "recording failed to end: S3 bucket was not reachable when the recording ended"
    assert world.statuses() == [(None, "recording"), ("recording", "failed")]
    assert world.repository.outbox_types() == ["Video.StatusChanged", "Video.StatusChanged"]


def test_given_recording_failed_delivered_twice_then_the_second_changes_nothing(world: World) -> None:
    failed = event("Recording.Failed")
    world.apply(failed)
    assert world.apply(failed) is Outcome.DUPLICATE
    assert len(world.repository.outbox) == 1 and len(world.repository.history(VIDEO_ID)) == 1


@pytest.mark.parametrize("terminal", ["published", "invalid", "failed"])
def test_given_a_terminal_video_when_a_late_recording_failed_arrives_then_it_is_only_recorded(
    world: World, terminal: str
) -> None:
    _enriching(world)
    verdict = {"published": "valid", "invalid": "invalid", "failed": "failed"}[terminal]
    world.apply(event("Lifecycle.Completed", verdict=verdict, reason=None if verdict == "valid" else "no"))
    before = world.repository.get(VIDEO_ID)
    emitted = len(world.repository.outbox)
    assert world.apply(event("Recording.Failed")) is Outcome.RECORDED
    after = world.repository.get(VIDEO_ID)
    assert after is not None and before is not None
    assert (after.status, after.reason) == (before.status, before.reason)
    assert len(world.repository.outbox) == emitted
    (late,) = [e for e in world.repository.history(VIDEO_ID) if e.type == "Recording.Failed"]
    assert (late.type, late.applied, late.from_status, late.to_status) == (
        "Recording.Failed", False, terminal, "failed"
    )  # fmt: skip


def test_given_a_failed_recording_when_recording_ended_arrives_late_then_the_video_stays_failed(
    world: World,
) -> None:
    world.apply(event("Recording.Failed"), T0)
    assert world.apply(event("Recording.Ended"), T0 + minutes(1)) is Outcome.RECORDED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "failed"


# ---------------------------------------------------------------- compute


def test_given_video_processed_then_the_record_and_the_view_name_the_compute(world: World) -> None:
    world.apply(event("Recording.Ended"))
    world.apply(event("Video.Processed", compute="fargate"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.compute == "fargate"
    assert world.catalog.get(_owner(), VIDEO_ID, world.media).compute == "fargate"


@pytest.mark.parametrize(
    ("hls_bucket", "signed"), [(None, True), ("svideo-dev-media", True), ("recordings", False)]
)
def test_given_video_processed_then_hls_is_linked_only_when_it_is_in_the_media_bucket(
    world: World, hls_bucket: str | None, signed: bool
) -> None:
    # A link signed for the media bucket to a key in the channel's recording bucket could never play.
    processed = event("Video.Processed")
    processed["detail"]["media"]["hls_bucket"] = hls_bucket
    world.apply(event("Recording.Ended"))
    world.apply(processed)
    media = world.catalog.get(_owner(), VIDEO_ID, world.media).media
    assert media is not None and media.mp4_url
    assert (media.hls_url is not None) is signed


def test_given_processing_failed_then_the_record_names_the_compute_that_failed(world: World) -> None:
    world.apply(event("Recording.Ended"))
    world.apply(event("Video.ProcessingFailed", compute="fargate"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.compute) == ("failed", "fargate")


def test_given_a_published_video_when_a_late_failure_from_other_compute_arrives_then_compute_is_kept(
    world: World,
) -> None:
    _enriching(world)  # Video.Processed from lambda
    world.apply(event("Lifecycle.Completed"))
    assert world.apply(event("Video.ProcessingFailed", compute="fargate")) is Outcome.RECORDED
    video = world.repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.compute) == ("published", "lambda")


def test_given_an_unknown_video_when_processing_fails_with_its_owner_then_it_is_created_failed(
    world: World,
) -> None:
    assert world.apply(event("Video.ProcessingFailed", reason="no playlist")) is Outcome.CREATED
    video = world.repository.get(VIDEO_ID)
    assert video is not None
    assert (video.status, video.reason, video.compute, video.owner_id) == (
        "failed", "no playlist", "fargate", OWNER_ID
    )  # fmt: skip


def test_given_an_unknown_video_when_processing_fails_without_owner_then_it_waits_for_recording_ended(
    world: World,
) -> None:
    raw = event("Video.ProcessingFailed")
    raw["detail"].pop("owner_id", None)
    assert world.apply(raw) is Outcome.PARKED
    assert world.repository.get(VIDEO_ID) is None
    world.apply(event("Recording.Ended"))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "failed" and video.reason == raw["detail"]["reason"]


def _owner() -> Principal:
    return Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))
