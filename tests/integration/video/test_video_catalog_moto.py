"""The catalog on DynamoDB (moto): conditional writes, GSIs, pagination, the sweeper, deletion of media."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from services.video.changes import change_for
from services.video.domain import Outcome
from services.video.models import HistoryEntry
from services.video.repository import ConcurrentChangeError
from shared.auth import Principal
from shared.errors import BadRequestError
from shared.events import parse_event
from tests.integration.video.conftest import BUCKET, VideoCloud
from tests.unit.video.support import CHANNEL_ID, OWNER_ID, T0, event


def apply(cloud: VideoCloud, raw: dict[str, Any], minutes: float = 0) -> Outcome:
    change = change_for(parse_event(raw))
    assert change is not None
    return cloud.catalog.apply(change, T0 + timedelta(minutes=minutes))


def record(cloud: VideoCloud, video_id: str, minute: int) -> None:
    apply(cloud, event("Recording.Ended", video_id=video_id, at=T0 + timedelta(minutes=minute)), minute)


def test_given_an_event_delivered_twice_then_the_second_write_is_refused_by_the_condition(
    video_cloud: VideoCloud,
) -> None:
    raw = event("Recording.Ended", video_id="vid-a")
    assert apply(video_cloud, raw) is Outcome.CREATED
    assert apply(video_cloud, raw) is Outcome.DUPLICATE
    assert len(video_cloud.repository.history("vid-a")) == 1
    assert [item["outbox_type"] for item in video_cloud.outbox("vid-a")] == ["Video.StatusChanged"]


def test_given_a_stale_read_when_saving_then_the_version_condition_refuses_it(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-a", 0)
    stale = video_cloud.repository.get("vid-a")
    apply(video_cloud, event("Video.Processed", video_id="vid-a"), 1)
    assert stale is not None
    stale_write = HistoryEntry(at=T0, event_id="stale-write", type="Deadline.Exceeded")
    with pytest.raises(ConcurrentChangeError):
        video_cloud.repository.save(stale, stale.model_copy(update={"status": "failed"}), stale_write)
    assert video_cloud.catalog._expire(stale, T0 + timedelta(days=3)) is False
    video = video_cloud.repository.get("vid-a")
    assert video is not None and video.status == "enriching"


def test_given_many_videos_when_paging_a_channel_then_all_come_newest_first_exactly_once(
    video_cloud: VideoCloud,
) -> None:
    for minute in range(7):
        record(video_cloud, f"vid-{minute}", minute)
    seen: list[str] = []
    token = None
    while True:
        page = video_cloud.repository.list_by_channel(CHANNEL_ID, published_only=False, limit=3, token=token)
        seen += [v.video_id for v in page.videos]
        token = page.next_token
        if token is None:
            break
    assert seen == [f"vid-{m}" for m in reversed(range(7))]


def test_given_published_and_unpublished_videos_then_the_published_indexes_hold_only_published(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-draft", 0)
    record(video_cloud, "vid-pub", 1)
    apply(video_cloud, event("Video.Processed", video_id="vid-pub"), 2)
    apply(video_cloud, event("Lifecycle.Completed", video_id="vid-pub"), 3)
    assert [v.video_id for v in video_cloud.repository.list_published(limit=10, token=None).videos] == [
        "vid-pub"
    ]
    channel = video_cloud.repository.list_by_channel(CHANNEL_ID, published_only=True, limit=10, token=None)
    assert [v.video_id for v in channel.videos] == ["vid-pub"]
    assert [
        v.video_id
        for v in video_cloud.repository.list_by_status(
            "processing", due_before=None, limit=10, token=None
        ).videos
    ] == ["vid-draft"]


def test_given_a_token_for_another_channel_then_it_is_refused(video_cloud: VideoCloud) -> None:
    for minute in range(3):
        record(video_cloud, f"vid-{minute}", minute)
    page = video_cloud.repository.list_by_channel(CHANNEL_ID, published_only=False, limit=1, token=None)
    with pytest.raises(BadRequestError):
        video_cloud.repository.list_by_channel(
            "ch-other", published_only=False, limit=1, token=page.next_token
        )


def test_given_overdue_videos_when_swept_then_the_status_index_finds_them_and_they_fail(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-old", 0)
    record(video_cloud, "vid-new", 100)
    deadline = video_cloud.catalog.deadlines.processing
    failed = video_cloud.catalog.sweep(T0 + deadline + timedelta(minutes=1))
    assert failed == ["vid-old"]
    old, new = video_cloud.repository.get("vid-old"), video_cloud.repository.get("vid-new")
    assert old is not None and new is not None
    assert (old.status, old.reason, new.status) == ("failed", "deadline exceeded in processing", "processing")
    assert video_cloud.catalog.sweep(T0 + deadline + timedelta(minutes=2)) == []


def test_given_a_video_with_media_when_deleted_then_its_objects_are_removed_and_others_kept(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-a", 0)
    for key in ("videos/vid-a/video.mp4", "videos/vid-a/hls/master.m3u8", "videos/vid-b/video.mp4"):
        video_cloud.s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    owner = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))
    removed = video_cloud.catalog.delete(owner, "vid-a", video_cloud.media, T0 + timedelta(minutes=5))
    assert removed == 2
    keys = [o["Key"] for o in video_cloud.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == ["videos/vid-b/video.mp4"]
    video = video_cloud.repository.get("vid-a")
    assert video is not None and video.status == "deleted"
    assert video_cloud.details_json("vid-a")[-1]["to"] == "deleted"


def test_given_media_keys_then_urls_are_presigned_gets(video_cloud: VideoCloud) -> None:
    url = video_cloud.media.url("videos/vid-a/video.mp4")
    # Signed once per 900 s window and valid for two, so a cached URL lives at least 900 s after it is served.
    assert "videos/vid-a/video.mp4" in url and "X-Amz-Signature" in url and "X-Amz-Expires=1800" in url
    assert video_cloud.media.url("videos/vid-a/video.mp4") == url


def test_given_a_status_change_then_the_transaction_writes_the_outbox_item_beside_the_video(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-a", 0)
    apply(video_cloud, event("Video.Processed", video_id="vid-a"), 1)
    items = video_cloud.outbox("vid-a")
    assert [item["outbox_type"] for item in items] == ["Video.StatusChanged", "Video.StatusChanged"]
    assert [json.loads(item["detail"])["to"] for item in items] == ["processing", "enriching"]
    assert all(int(item["expires_at"]) > 0 for item in items)
    # Outbox items never show up in a list: they carry no GSI key.
    page = video_cloud.repository.list_by_channel("ch-4f7d2a9e", published_only=False, limit=10, token=None)
    assert [v.video_id for v in page.videos] == ["vid-a"]


def test_given_a_stale_write_then_neither_the_video_nor_its_outbox_item_is_written(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-a", 0)
    stale = video_cloud.repository.get("vid-a")
    apply(video_cloud, event("Video.Processed", video_id="vid-a"), 1)
    assert stale is not None
    assert video_cloud.catalog._expire(stale, T0 + timedelta(days=3)) is False
    assert [json.loads(i["detail"])["to"] for i in video_cloud.outbox("vid-a")] == ["processing", "enriching"]


def test_given_videos_on_two_channels_when_the_owner_lists_theirs_then_one_query_pages_them_newest_first(
    video_cloud: VideoCloud,
) -> None:
    for minute in range(5):
        raw = event("Recording.Ended", video_id=f"vid-{minute}", at=T0 + timedelta(minutes=minute))
        raw["detail"]["channel_id"] = f"ch-{minute % 2}"
        apply(video_cloud, raw, minute)
    other = event("Recording.Ended", video_id="vid-other")
    other["detail"] |= {"channel_id": "ch-x", "owner_id": "someone-else"}
    apply(video_cloud, other, 9)
    seen: list[str] = []
    token = None
    while True:
        page = video_cloud.repository.list_by_owner(OWNER_ID, limit=2, token=token)
        seen += [v.video_id for v in page.videos]
        token = page.next_token
        if token is None:
            break
    assert seen == ["vid-4", "vid-3", "vid-2", "vid-1", "vid-0"]


def test_given_a_deleted_video_when_processing_finishes_late_then_the_new_media_is_removed_from_s3(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-a", 0)
    owner = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))
    video_cloud.catalog.delete(owner, "vid-a", video_cloud.media, T0 + timedelta(minutes=1))
    for key in ("videos/vid-a/video.mp4", "videos/vid-a/thumbs/0.jpg", "videos/vid-b/video.mp4"):
        video_cloud.s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert apply(video_cloud, event("Video.Processed", video_id="vid-a"), 2) is Outcome.FORGOTTEN
    keys = [o["Key"] for o in video_cloud.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == ["videos/vid-b/video.mp4"]


def test_given_lifecycle_completed_then_one_history_item_per_plugin_is_written_in_its_transaction(
    video_cloud: VideoCloud,
) -> None:
    record(video_cloud, "vid-p", 0)
    apply(video_cloud, event("Video.Processed", video_id="vid-p"), 1)
    results = [
        {"plugin": f"p{n:03d}", "hook": "preValidate", "status": "rejected", "reason": "no", "duration_ms": n}
        for n in range(200)
    ]
    assert (
        apply(video_cloud, event("Lifecycle.Completed", video_id="vid-p", results=results), 2)
        is Outcome.MOVED
    )
    history = video_cloud.repository.history("vid-p")
    parts = [e for e in history if e.part is not None]
    assert len(parts) == 96 and parts[0].outcome == "rejected" and parts[5].duration_ms == 5
    assert parts[-1].reason is not None and parts[-1].reason.startswith("105 more plugin results")
    assert [i["outbox_type"] for i in video_cloud.outbox("vid-p")][-2:] == [
        "Video.StatusChanged",
        "Video.Published",
    ]


def test_given_recording_failed_for_an_unknown_video_then_it_is_stored_failed_and_announced(
    video_cloud: VideoCloud,
) -> None:
    assert apply(video_cloud, event("Recording.Failed", video_id="vid-rf", stage="start")) is Outcome.CREATED
    video = video_cloud.repository.get("vid-rf")
    assert video is not None and video.status == "failed" and video.reason is not None
    assert video.reason.startswith("recording failed to start: ")
    (detail,) = video_cloud.details_json("vid-rf")
    assert (detail["from"], detail["to"], detail["reason"]) == (None, "failed", video.reason)
    mine = video_cloud.repository.list_by_owner(OWNER_ID, limit=10, token=None).videos
    assert [v.video_id for v in mine] == ["vid-rf"]


def test_given_a_processed_video_then_the_stored_record_keeps_the_compute(video_cloud: VideoCloud) -> None:
    record(video_cloud, "vid-c", 0)
    apply(video_cloud, event("Video.Processed", video_id="vid-c", compute="fargate"), 1)
    video = video_cloud.repository.get("vid-c")
    assert video is not None and video.compute == "fargate"


def test_given_facts_shuffled_on_dynamodb_then_kept_ones_apply_when_their_predecessor_lands(
    video_cloud: VideoCloud,
) -> None:
    titles = event("Titles.Generated", video_id="vid-k", event_id="titles")
    verdict = event("Lifecycle.Completed", video_id="vid-k", event_id="verdict")
    verdict["detail"]["video_fields"] = {
        "title_candidates": [
            {"candidate_id": c["candidate_id"], "title": c["title"]} for c in titles["detail"]["candidates"]
        ]
    }
    assert apply(video_cloud, titles) is Outcome.PARKED  # no owner named: kept under the video's key
    assert apply(video_cloud, verdict) is Outcome.PARKED
    assert apply(video_cloud, verdict) is Outcome.DUPLICATE
    assert apply(video_cloud, event("Broadcast.Started", video_id="vid-k"), 1) is Outcome.CREATED
    assert len(video_cloud.repository.parked("vid-k")) == 2  # neither applies to a recording video
    apply(video_cloud, event("Video.Processed", video_id="vid-k"), 2)
    video = video_cloud.repository.get("vid-k")
    assert video is not None and video.status == "published" and video.titles is not None
    assert video_cloud.repository.parked("vid-k") == []  # removed in the transactions that applied them
    assert [item["outbox_type"] for item in video_cloud.outbox("vid-k")][-1] == "Video.Published"
