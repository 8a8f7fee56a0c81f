"""Connections, topic authorization and the fan-out, with an in-memory store and poster."""

import json
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.live import domain
from shared.events import parse_event
from tests.unit.live.fakes import MemoryStore, RecordingPoster

EVENTS = Path(__file__).resolve().parents[2] / "events"
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
OWNER = "3c1e8f52-7a4b-4d0e-9f21-6b8a0c5d7e13"


def _event(sample: str, **detail: Any) -> Any:
    raw = json.loads((EVENTS / sample).read_text())
    raw = deepcopy(raw)
    raw["detail"].update(detail)
    return parse_event(raw)


def _connected(store: MemoryStore, connection_id: str, principal: str | None, *topics: str) -> None:
    domain.connect(store, connection_id, principal, NOW)
    reply = json.loads(
        domain.handle_message(
            store, connection_id, json.dumps({"action": "subscribe", "topics": list(topics)})
        )
    )
    assert reply == {"type": "subscribed", "topics": list(topics)}


def _frames(poster: RecordingPoster, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in poster.frames.get(connection_id, [])]


def test_given_an_anonymous_connection_when_subscribing_to_mine_then_unauthorized() -> None:
    store = MemoryStore()
    domain.connect(store, "c1", None, NOW)
    reply = json.loads(
        domain.handle_message(store, "c1", '{"action": "subscribe", "topics": ["videos", "mine"]}')
    )
    assert reply["type"] == "error" and reply["error"]["code"] == "unauthorized"
    assert store.topics("c1") == []


def test_given_a_signed_in_connection_when_subscribing_to_mine_then_its_owner_topic_is_stored() -> None:
    store = MemoryStore()
    _connected(store, "c1", OWNER, "mine")
    assert store.topics("c1") == [domain.owner_topic(OWNER)]


def test_given_any_other_action_when_handled_then_an_error_frame_comes_back() -> None:
    store = MemoryStore()
    domain.connect(store, "c1", None, NOW)
    reply = json.loads(domain.handle_message(store, "c1", '{"action": "broadcast", "data": "spam"}'))
    assert reply == {
        "type": "error",
        "error": {"code": "unknown_action", "message": reply["error"]["message"]},
    }
    assert json.loads(domain.handle_message(store, "c1", '{"action": "ping"}')) == {"type": "pong"}


def test_given_twenty_topics_when_one_more_is_subscribed_then_too_many_topics_is_refused() -> None:
    store = MemoryStore()
    _connected(store, "c1", None, *[f"video:v{i}" for i in range(20)])
    reply = json.loads(domain.handle_message(store, "c1", '{"action": "subscribe", "topics": ["videos"]}'))
    assert reply["error"]["code"] == "too_many_topics"


def test_given_channel_viewers_when_a_broadcast_starts_then_each_gets_one_frame_without_owner_data() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "all", None, "channels")
    _connected(store, "both", None, "channels", "channel:ch-4f7d2a9e")
    _connected(store, "other", None, "channel:ch-other", "videos")
    event = _event("svideo.channel/Broadcast.Started.json")
    result = domain.fan_out(store, poster, event)
    assert sorted(result.sent) == ["all", "both"]
    (frame,) = _frames(poster, "both")
    assert frame["type"] == "channel.live" and frame["topic"] == "channel:ch-4f7d2a9e"
    assert frame["event_id"] == event.id and frame["data"]["channel_id"] == "ch-4f7d2a9e"
    assert "owner_id" not in frame["data"] and "video_id" not in frame["data"]
    assert _frames(poster, "all")[0]["topic"] == "channels"


def test_given_an_unpublished_video_when_its_status_changes_then_only_the_owners_connections_receive_it() -> (
    None
):
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos", "video:vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C")
    _connected(store, "stranger", "someone-else", "videos", "mine")
    _connected(store, "owner-tab", OWNER, "videos")
    _connected(store, "owner-mine", OWNER, "mine")
    event = _event("svideo.video/Video.StatusChanged.json", **{"from": None, "to": "processing"})
    result = domain.fan_out(store, poster, event)
    assert sorted(result.sent) == ["owner-mine", "owner-tab"]
    assert _frames(poster, "owner-mine")[0]["type"] == "video.created"
    assert _frames(poster, "owner-mine")[0]["topic"] == "mine"
    assert _frames(poster, "owner-tab")[0]["topic"] == "videos"


def test_given_a_published_video_when_its_title_is_selected_then_viewers_of_the_channel_receive_it() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "channel:ch-4f7d2a9e")
    published = _event("svideo.video/Video.Published.json")
    domain.fan_out(store, poster, published)
    title = _event("svideo.video/Title.Selected.json", video_id=published.detail.video_id)
    domain.fan_out(store, poster, title)
    kinds = [frame["type"] for frame in _frames(poster, "viewer")]
    assert kinds == ["video.published", "video.title"]


def test_given_an_unpublished_video_when_its_title_is_selected_then_viewers_do_not_receive_it() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos", "video:vid-unpublished")
    domain.fan_out(store, poster, _event("svideo.video/Title.Selected.json", video_id="vid-unpublished"))
    assert poster.frames == {}


def test_given_a_status_change_to_published_when_fanned_out_then_the_public_receives_it() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos")
    domain.fan_out(
        store,
        poster,
        _event("svideo.video/Video.StatusChanged.json", **{"from": "enriching", "to": "published"}),
    )
    (frame,) = _frames(poster, "viewer")
    assert frame["data"]["to"] == "published" and "reason" not in frame["data"]


def test_given_a_gone_connection_when_fanned_out_then_it_is_removed_and_the_others_still_receive() -> None:
    store, poster = MemoryStore(), RecordingPoster(gone={"closed"})
    _connected(store, "closed", None, "channels")
    _connected(store, "open", None, "channels")
    result = domain.fan_out(store, poster, _event("svideo.channel/Broadcast.Ended.json"))
    assert result.gone == ["closed"] and result.sent == ["open"]
    assert store.topics("closed") == []
    assert _frames(poster, "open")[0]["type"] == "channel.offline"


def test_given_a_connection_when_it_disconnects_then_its_subscriptions_are_gone() -> None:
    store = MemoryStore()
    _connected(store, "c1", None, "videos", "channels")
    domain.disconnect(store, "c1")
    assert store.subscribers("videos") == [] and store.principal("c1") is None


def test_given_an_event_the_live_service_ignores_when_fanned_out_then_nothing_is_sent() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "channels", "videos")
    domain.fan_out(store, poster, _event("svideo.channel/Channel.Created.json"))
    assert poster.frames == {}


def test_given_plugins_at_work_when_invoked_and_completed_then_only_the_owner_sees_the_progress() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    video = "vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C"
    _connected(store, "viewer", None, "videos", f"video:{video}")
    _connected(store, "owner-mine", OWNER, "mine")
    domain.fan_out(store, poster, _event("svideo.plugins/Plugin.Invoked.json"))
    domain.fan_out(store, poster, _event("svideo.plugin.duration/Plugin.Completed.json"))
    frames = _frames(poster, "owner-mine")
    assert [(f["type"], f["data"]) for f in frames] == [
        ("video.plugin", {"video_id": video, "plugin": "titles", "state": "running", "hook": "postMetadata"}),
        ("video.plugin", {"video_id": video, "plugin": "duration", "state": "succeeded"}),
    ]
    assert "token" not in json.dumps(frames) and "viewer" not in poster.frames


def test_given_a_new_title_round_when_the_video_is_unpublished_then_only_the_owner_hears_of_it() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos", "video:vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C")
    _connected(store, "owner-mine", OWNER, "mine")
    domain.fan_out(
        store, poster, _event("svideo.video/Video.StatusChanged.json", **{"from": None, "to": "processing"})
    )
    domain.fan_out(store, poster, _event("svideo.plugin.titles/Titles.Generated.json", round=2))
    assert [f["type"] for f in _frames(poster, "owner-mine")] == ["video.created", "video.titles"]
    assert _frames(poster, "owner-mine")[1]["data"] == {
        "video_id": "vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C",
        "round": 2,
    }
    assert "viewer" not in poster.frames


def test_given_a_published_video_when_a_new_round_arrives_then_viewers_get_a_hint_without_candidates() -> (
    None
):
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos")
    _connected(store, "owner-mine", OWNER, "mine")
    domain.fan_out(
        store,
        poster,
        _event("svideo.video/Video.StatusChanged.json", **{"from": "enriching", "to": "published"}),
    )
    domain.fan_out(store, poster, _event("svideo.plugin.titles/Titles.Generated.json", round=2))
    (_, hint) = _frames(poster, "viewer")
    assert hint["type"] == "video.title" and set(hint["data"]) == {"video_id", "channel_id"}
    assert _frames(poster, "owner-mine")[-1]["type"] == "video.titles"


def test_given_a_deleted_video_when_its_status_changes_then_the_service_forgets_it() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    domain.fan_out(
        store,
        poster,
        _event("svideo.video/Video.StatusChanged.json", **{"from": "enriching", "to": "published"}),
    )
    assert store.owners and store.published
    domain.fan_out(
        store,
        poster,
        _event("svideo.video/Video.StatusChanged.json", **{"from": "published", "to": "deleted"}),
    )
    assert store.owners == {} and store.published == {}


def test_given_progress_for_a_video_nobody_named_the_owner_of_then_nothing_is_sent() -> None:
    store, poster = MemoryStore(), RecordingPoster()
    _connected(store, "viewer", None, "videos", "video:vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C")
    domain.fan_out(store, poster, _event("svideo.plugin.duration/Plugin.Completed.json"))
    assert poster.frames == {}
