"""The outbox (events written with their change), the title loop's projection, signed artefact URLs, and
late events for deleted videos."""

from __future__ import annotations

import json

import pytest

from services.video.domain import Outcome, view, with_urls
from services.video.repository import outbox_items
from shared.auth import Principal
from shared.events import parse_event
from tests.unit.video.conftest import World
from tests.unit.video.fakes import FakeMediaStore
from tests.unit.video.support import OWNER_ID, T0, VIDEO_ID, accepted_titles_fields, event, minutes

OWNER = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))


def _enriching(world: World) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.apply(event("Video.Processed"), T0 + minutes(1))


def _titles_run_accepted(world: World) -> None:
    """The lifecycle ends, having accepted the canonical titles run: its round 1 counts."""
    _enriching(world)
    world.apply(event("Lifecycle.Completed", video_fields=accepted_titles_fields()), T0 + minutes(2))


# ---------------------------------------------------------------- outbox


def test_given_a_status_change_then_its_events_are_outbox_items_of_the_same_write(world: World) -> None:
    _enriching(world)
    world.apply(event("Lifecycle.Completed"), T0 + minutes(2))
    assert world.repository.outbox_types() == [
        "Video.StatusChanged",
        "Video.StatusChanged",
        "Video.StatusChanged",
        "Video.Published",
    ]
    item = world.repository.outbox[-1]
    assert item["PK"] == f"VIDEO#{VIDEO_ID}" and item["SK"].startswith("OUTBOX#")
    assert item["outbox_source"] == "svideo.video" and item["expires_at"] > T0.timestamp()
    detail = json.loads(item["detail"])
    published = parse_event(
        {
            **event("Recording.Ended"),
            "source": "svideo.video",
            "detail-type": "Video.Published",
            "detail": detail,
        }
    )
    assert published.detail_type == "Video.Published"
    assert not {"channel_id", "status", "owner_id", "published_partition"} & set(
        item
    )  # stays out of every GSI


def test_given_a_write_refused_as_duplicate_then_no_outbox_item_is_written(world: World) -> None:
    raw = event("Recording.Ended", event_id="once")
    world.apply(raw)
    written = len(world.repository.outbox)
    assert world.apply(raw) is Outcome.DUPLICATE
    assert len(world.repository.outbox) == written


def test_given_a_data_only_event_then_nothing_is_published(world: World) -> None:
    _titles_run_accepted(world)
    before = len(world.repository.outbox)
    assert world.apply(event("Titles.Generated")) is Outcome.RECORDED
    assert len(world.repository.outbox) == before


def test_given_a_sweep_and_a_deletion_then_their_changes_leave_through_the_outbox(world: World) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.catalog.sweep(T0 + world.catalog.deadlines.processing + minutes(1))
    world.catalog.delete(OWNER, VIDEO_ID, world.media, T0 + minutes(500))
    assert world.statuses()[-2:] == [("processing", "failed"), ("failed", "deleted")]


def test_given_outbox_item_keys_then_two_events_of_one_change_never_collide() -> None:
    from services.video.models import HistoryEntry
    from shared.events import Meta, VideoStatusChanged

    entry = HistoryEntry(at=T0, event_id="e-1", type="Recording.Ended")
    detail = VideoStatusChanged.model_validate(
        {
            "meta": Meta.now("c"),
            "video_id": VIDEO_ID,
            "channel_id": "ch-1",
            "owner_id": "o",
            "from": None,
            "to": "processing",
        }
    )
    items = outbox_items(VIDEO_ID, entry, [detail, detail])
    assert len({item["SK"] for item in items}) == 2


# ---------------------------------------------------------------- titles


def test_given_generated_titles_then_viewers_see_the_first_candidate_as_a_provisional_title(
    world: World,
) -> None:
    _enriching(world)
    world.apply(event("Titles.Generated"), T0 + minutes(2))
    world.apply(event("Lifecycle.Completed", video_fields=accepted_titles_fields()), T0 + minutes(3))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.titles is not None
    assert [c.candidate_id for c in video.titles.rounds[0].candidates] == ["t1", "t2", "t3"]
    shown = view(video, world.media, full=False)
    assert (shown.title, shown.title_provisional) == ("Cold starts, SnapStart and the 15-minute myth", True)
    assert shown.fields["tags"] == ["lambda", "fargate", "ffmpeg", "hls"]
    assert world.repository.details_json()[-1]["title"] == "Cold starts, SnapStart and the 15-minute myth"


def test_given_a_selected_title_then_it_is_the_title_and_the_history_says_so(world: World) -> None:
    _enriching(world)
    world.apply(event("Titles.Generated"))
    assert world.apply(event("Title.Selected")) is Outcome.RECORDED
    video = world.repository.get(VIDEO_ID)
    assert video is not None
    assert (video.title, video.title_provisional) == ("Stitching HLS into MP4 without re-encoding", False)
    assert video.titles is not None and video.titles.selected is not None
    assert video.titles.selected.candidate_id == "t2"
    entry = world.repository.history(VIDEO_ID)[-1]
    assert (entry.type, entry.applied) == ("Title.Selected", True)


def test_given_a_new_round_after_a_selection_then_the_choice_stands_and_the_round_is_kept(
    world: World,
) -> None:
    _titles_run_accepted(world)
    world.apply(event("Titles.Generated"))
    world.apply(event("Title.Selected"))
    second = event("Titles.Generated", round=2, description="Round two", tags=["two"])
    second["detail"]["candidates"] = [{"candidate_id": "r2-1", "title": "A second thought", "evidence": []}]
    world.apply(second)
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.titles is not None
    assert [r.round for r in video.titles.rounds] == [1, 2]
    assert video.title == "Stitching HLS into MP4 without re-encoding"
    assert video.fields["description"] == "Round two"


def test_given_rounds_out_of_order_then_the_latest_round_gives_the_provisional_title(world: World) -> None:
    _titles_run_accepted(world)
    second = event("Titles.Generated", round=2, description="Round two")
    second["detail"]["candidates"] = [{"candidate_id": "r2-1", "title": "Round two first", "evidence": []}]
    world.apply(second)
    world.apply(event("Titles.Generated"))  # round 1, late
    video = world.repository.get(VIDEO_ID)
    assert (
        video is not None and video.title == "Round two first" and video.fields["description"] == "Round two"
    )


def test_given_an_older_selection_delivered_late_then_the_newer_one_stands(world: World) -> None:
    _enriching(world)
    world.apply(event("Titles.Generated"))
    newer = event("Title.Selected", at=T0 + minutes(10), title="Newer pick", candidate_id="t3")
    older = event("Title.Selected", at=T0 + minutes(5), title="Older pick", candidate_id="t1")
    world.apply(newer)
    world.apply(older)
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.title == "Newer pick"


# ---------------------------------------------------------------- artefact URLs


def test_given_projected_keys_then_each_under_the_video_prefix_gets_a_signed_sibling_url() -> None:
    prefix = f"videos/{VIDEO_ID}/"
    fields = {
        "captions_key": f"{prefix}plugins/transcript/captions.vtt",
        "transcript_key": f"{prefix}plugins/transcript/transcript.txt",
        "avatars": [{"name": "Ada", "image_key": f"{prefix}plugins/avatars/ada.png"}],
        "foreign_key": "videos/vid-other/video.mp4",
        "escape_key": f"{prefix}../vid-other/video.mp4",
        "system_key": "channels/ch-1/recording.m3u8",
        "language": "en",
    }
    signed = with_urls(fields, prefix, FakeMediaStore())
    assert signed["captions_url"] == f"https://media.example/{prefix}plugins/transcript/captions.vtt?signed"
    assert signed["transcript_url"].endswith("transcript.txt?signed")
    assert (
        signed["avatars"][0]["image_url"] == f"https://media.example/{prefix}plugins/avatars/ada.png?signed"
    )
    assert not {"foreign_url", "escape_url", "system_url"} & set(signed)
    assert signed["language"] == "en" and signed["captions_key"] == fields["captions_key"]


def test_given_a_published_video_then_its_response_carries_media_and_artefact_urls(world: World) -> None:
    _enriching(world)
    captions = f"videos/{VIDEO_ID}/transcript/captions.vtt"
    world.apply(event("Lifecycle.Completed", video_fields={"captions_key": captions}))
    shown = world.catalog.get(OWNER, VIDEO_ID, world.media)
    assert shown.fields["captions_url"] == f"https://media.example/{captions}?signed"
    assert shown.media is not None and shown.media.mp4_url.endswith("?signed")


# ---------------------------------------------------------------- late events after deletion


def test_given_a_deleted_video_when_a_late_processed_arrives_then_its_media_is_removed(world: World) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.catalog.delete(OWNER, VIDEO_ID, world.media, T0 + minutes(1))
    world.media.keys |= {
        f"videos/{VIDEO_ID}/video.mp4",
        f"videos/{VIDEO_ID}/hls/master.m3u8",
        "videos/vid-b/x",
    }
    assert world.apply(event("Video.Processed"), T0 + minutes(2)) is Outcome.FORGOTTEN
    assert world.media.keys == {"videos/vid-b/x"}
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "deleted" and video.media is None
    assert world.repository.history(VIDEO_ID) == []


def test_given_a_published_video_when_deleted_then_a_tombstone_without_content_and_no_history_stay(
    world: World,
) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.apply(event("Video.Processed"), T0 + minutes(1))
    world.apply(event("Titles.Generated"), T0 + minutes(2))
    world.apply(event("Lifecycle.Completed"), T0 + minutes(3))
    world.catalog.delete(OWNER, VIDEO_ID, world.media, T0 + minutes(4))
    video = world.repository.get(VIDEO_ID)
    assert video is not None and video.status == "deleted"
    assert (video.fields, video.titles, video.media, video.duration_ms) == ({}, None, None, None)
    assert world.repository.history(VIDEO_ID) == []
    # Only the deletion's own announcement waits in the outbox for the Pipes.
    stored = [json.loads(item["detail"]) for item in world.repository.stored_outbox()]
    assert [d["to"] for d in stored] == ["deleted"]


@pytest.mark.parametrize("detail_type", ["Titles.Generated", "Lifecycle.Completed"])
def test_given_a_deleted_video_when_any_late_event_arrives_then_the_record_is_untouched(
    world: World, detail_type: str
) -> None:
    world.apply(event("Recording.Ended"), T0)
    world.catalog.delete(OWNER, VIDEO_ID, world.media, T0 + minutes(1))
    before = world.repository.get(VIDEO_ID)
    published = len(world.repository.outbox)
    world.apply(event(detail_type), T0 + minutes(2))
    assert world.repository.get(VIDEO_ID) == before
    assert len(world.repository.outbox) == published
