"""Deadlines: the sweeper fails overdue videos once, with a reason, and loses races gracefully."""

from __future__ import annotations

from tests.unit.video.conftest import World
from tests.unit.video.support import T0, VIDEO_ID, event, minutes


def test_given_a_video_past_its_processing_deadline_when_swept_then_it_fails_with_the_reason(
    world: World,
) -> None:
    world.apply(event("Recording.Ended"), T0)
    deadline = T0 + world.catalog.deadlines.processing
    assert world.catalog.sweep(deadline - minutes(1)) == []
    assert world.catalog.sweep(deadline + minutes(1)) == [VIDEO_ID]
    video = world.repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.reason) == ("failed", "deadline exceeded in processing")
    assert world.statuses()[-1] == ("processing", "failed")
    assert world.catalog.sweep(deadline + minutes(2)) == []


def test_given_a_video_that_moved_on_after_the_read_when_swept_then_its_new_status_stands(
    world: World,
) -> None:
    world.apply(event("Recording.Ended"), T0)
    stale = world.repository.get(VIDEO_ID)
    world.apply(event("Video.Processed"), T0 + minutes(5))
    assert stale is not None
    assert world.catalog._expire(stale, T0 + minutes(500)) is False
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "enriching"


def test_given_two_sweepers_racing_then_the_failure_is_recorded_once(world: World) -> None:
    world.apply(event("Recording.Ended"), T0)
    stale = world.repository.get(VIDEO_ID)
    assert stale is not None
    late = T0 + minutes(500)
    assert world.catalog._expire(stale, late) is True
    assert world.catalog._expire(stale, late) is False
    assert [e.type for e in world.repository.history(VIDEO_ID)].count("Deadline.Exceeded") == 1
