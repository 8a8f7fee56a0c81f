"""Search, channel names and complete deletion on DynamoDB and S3 (moto): the adapters the functions use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.video.changes import change_for
from shared.auth import Principal
from shared.events import parse_event
from tests.integration.video.conftest import BUCKET, VideoCloud
from tests.unit.video.support import CHANNEL_ID, OWNER_ID, T0, event

OWNER = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))


def _deliver(cloud: VideoCloud, raw: dict[str, Any], minutes: float) -> None:
    change = change_for(parse_event(raw))
    assert change is not None
    cloud.catalog.apply(change, T0 + timedelta(minutes=minutes))
    cloud.catalog.reindex(change.video_id)


def _publish(cloud: VideoCloud, video_id: str, minute: int, transcript: str) -> None:
    key = f"videos/{video_id}/plugins/transcript/transcript.txt"
    cloud.s3.put_object(Bucket=BUCKET, Key=key, Body=transcript.encode())
    at = T0 + timedelta(minutes=minute)
    _deliver(cloud, event("Recording.Ended", video_id=video_id, at=at), minute)
    _deliver(cloud, event("Video.Processed", video_id=video_id, at=at), minute + 0.1)
    fields = {"transcript_key": key, "description": "", "tags": ["bread"]}
    _deliver(cloud, event("Lifecycle.Completed", video_id=video_id, at=at, video_fields=fields), minute + 0.2)


def test_given_published_videos_when_searched_page_by_page_then_each_comes_once_newest_first(
    video_cloud: VideoCloud,
) -> None:
    for n in range(5):
        _publish(video_cloud, f"vid-{n}", n, f"knead the dough, batch {n}")
    _publish(video_cloud, "vid-other", 9, "no such word here")
    seen: list[str] = []
    token = None
    for _ in range(6):
        page = video_cloud.catalog.search_videos("Dough knead", video_cloud.media, 2, token)
        seen += [v.video_id for v in page.videos]
        token = page.next_token
        if token is None:
            break
    assert seen == ["vid-4", "vid-3", "vid-2", "vid-1", "vid-0"]


def test_given_a_channel_created_then_its_name_is_on_every_view_of_its_videos(
    video_cloud: VideoCloud,
) -> None:
    video_cloud.repository.put_channel(CHANNEL_ID, OWNER_ID, name="Lambda Lancer")
    _publish(video_cloud, "vid-a", 0, "knead")
    page = video_cloud.catalog.search_videos("knead", video_cloud.media, 10, None)
    assert [v.channel_name for v in page.videos] == ["Lambda Lancer"]
    assert video_cloud.catalog.get(OWNER, "vid-a", video_cloud.media).channel_name == "Lambda Lancer"


def test_given_a_published_video_when_deleted_then_its_history_index_and_media_are_gone(
    video_cloud: VideoCloud,
) -> None:
    _publish(video_cloud, "vid-a", 0, "knead the dough")
    _publish(video_cloud, "vid-b", 1, "knead the dough")
    video_cloud.catalog.delete(OWNER, "vid-a", video_cloud.media, T0 + timedelta(hours=1))
    items = video_cloud.table.scan()["Items"]
    of_a = [i for i in items if "vid-a" in str(i)]
    # The tombstone (no content) and the deletion's own announcement, waiting for the Pipes; nothing else.
    assert sorted(str(i["SK"]).split("#")[0] for i in of_a) == ["OUTBOX", "VIDEO"]
    (tombstone,) = [i for i in of_a if i["SK"] == "VIDEO"]
    assert (
        tombstone["status"] == "deleted" and tombstone.get("fields", {}) == {} and "titles" not in tombstone
    )
    assert not [i for i in video_cloud.search_table.scan()["Items"] if "vid-a" in str(i)]
    assert [o["Key"] for o in video_cloud.s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [
        "videos/vid-b/plugins/transcript/transcript.txt"
    ]
    assert [
        v.video_id for v in video_cloud.catalog.search_videos("knead", video_cloud.media, 10, None).videos
    ] == ["vid-b"]
