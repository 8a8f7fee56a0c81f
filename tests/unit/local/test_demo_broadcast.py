"""The demo's view of its own broadcast: which bus events are its story, and when that story is over."""

from __future__ import annotations

from typing import Any

from cli.demo import Broadcast


def _event(detail_type: str, **detail: Any) -> dict[str, Any]:
    return {"detail-type": detail_type, "source": "svideo.video", "detail": detail}


def _status(to: str) -> dict[str, Any]:
    return _event("Video.StatusChanged", video_id="vid-1", **{"from": "enriching", "to": to})


def _live(broadcast: Broadcast) -> None:
    started = _event("Broadcast.Started", channel_id="ch-1", video_id="vid-1")
    assert broadcast.concerns(started)
    broadcast.record(started)


def test_given_the_status_change_to_published_before_its_announcement_then_the_story_is_not_over() -> None:
    broadcast = Broadcast("ch-1")
    _live(broadcast)
    broadcast.record(_status("published"))

    assert broadcast.status == "published"
    assert not broadcast.finished()

    broadcast.record(_event("Video.Published", video_id="vid-1", channel_id="ch-1"))
    assert broadcast.finished()


def test_given_the_announcement_before_the_status_change_then_the_story_is_over() -> None:
    broadcast = Broadcast("ch-1")
    _live(broadcast)
    broadcast.record(_event("Video.Published", video_id="vid-1", channel_id="ch-1"))

    assert broadcast.finished()


def test_given_a_failed_video_then_no_announcement_is_awaited() -> None:
    broadcast = Broadcast("ch-1")
    _live(broadcast)
    broadcast.record(_status("failed"))

    assert broadcast.finished()


def test_given_another_videos_events_then_they_are_not_its_story() -> None:
    broadcast = Broadcast("ch-1")
    _live(broadcast)

    assert not broadcast.concerns(_event("Video.Published", video_id="vid-2", channel_id="ch-2"))
    assert broadcast.status is None and not broadcast.finished()
