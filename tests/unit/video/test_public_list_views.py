"""The public list renders a video once per version and URL window: every visitor after the first gets the
same view, and any change to the video, a deletion or the next URL window shows in the very next list."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from services.video.domain import Catalog
from services.video.handlers import dependencies, events
from services.video.handlers.dependencies import Dependencies
from services.video.models import Video
from shared.auth import Principal
from tests.unit.video.conftest import FakeLambdaContext
from tests.unit.video.fakes import FakeMediaStore, InMemoryVideoRepository
from tests.unit.video.support import OWNER_ID, T0, event, sqs_batch

OWNER = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))


class CountingRepository(InMemoryVideoRepository):
    """Counts the whole-record reads and the channel-name reads the list makes."""

    def __init__(self) -> None:
        super().__init__()
        self.records_read: list[str] = []
        self.name_reads = 0

    def get_many(self, video_ids: Sequence[str]) -> list[Video]:
        self.records_read += video_ids
        return super().get_many(video_ids)

    def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        self.name_reads += 1
        return super().channel_names(channel_ids)


class WindowedMedia(FakeMediaStore):
    """URLs that name the window they were handed out in."""

    def __init__(self) -> None:
        super().__init__()
        self.current = 0

    def window(self) -> int:
        return self.current

    def url(self, key: str) -> str:
        return f"https://media.example/{key}?window={self.current}"


class Catalogue:
    def __init__(self) -> None:
        self.repository = CountingRepository()
        self.media = WindowedMedia()
        self.catalog = Catalog(self.repository, media=self.media)

    def deliver(self, *raw: dict[str, Any]) -> None:
        assert events.handler(sqs_batch(*raw), FakeLambdaContext())["batchItemFailures"] == []

    def publish(self, video_id: str, minute: int) -> None:
        at = T0 + timedelta(minutes=minute)
        self.deliver(
            event("Recording.Ended", video_id=video_id, at=at),
            event("Video.Processed", video_id=video_id, at=at + timedelta(seconds=1)),
            event("Lifecycle.Completed", video_id=video_id, at=at + timedelta(seconds=2)),
        )

    def listed(self) -> list[dict[str, Any]]:
        page = self.catalog.list_published(self.media, 20, None)
        return [video.model_dump(mode="json") for video in page.videos]


@pytest.fixture
def catalogue() -> Iterator[Catalogue]:
    world = Catalogue()
    dependencies.use(Dependencies(catalog=world.catalog, media=world.media))
    world.deliver(event("Channel.Created", at=T0))
    for minute, video_id in enumerate(["vid-list-a", "vid-list-b", "vid-list-c"]):
        world.publish(video_id, minute)
    yield world
    dependencies.use(None)


def test_given_many_visitors_then_each_video_and_channel_name_is_read_once(catalogue: Catalogue) -> None:
    first = catalogue.listed()
    for _ in range(20):
        assert catalogue.listed() == first

    assert [v["video_id"] for v in first] == ["vid-list-c", "vid-list-b", "vid-list-a"]
    assert {v["channel_name"] for v in first} == {"Lambda Lancer"}
    assert sorted(catalogue.repository.records_read) == ["vid-list-a", "vid-list-b", "vid-list-c"]
    assert catalogue.repository.name_reads == 1


def test_given_a_new_title_then_the_next_list_shows_it(catalogue: Catalogue) -> None:
    catalogue.listed()
    later = T0 + timedelta(hours=1)
    catalogue.deliver(event("Title.Selected", video_id="vid-list-b", at=later, title="Renamed"))

    titles = {v["video_id"]: v["title"] for v in catalogue.listed()}

    assert titles["vid-list-b"] == "Renamed"
    assert catalogue.repository.records_read.count("vid-list-b") == 2  # read again: its version moved
    assert catalogue.repository.records_read.count("vid-list-a") == 1


def test_given_a_deleted_video_then_the_next_list_leaves_it_out(catalogue: Catalogue) -> None:
    catalogue.listed()
    catalogue.catalog.delete(OWNER, "vid-list-a", catalogue.media, T0 + timedelta(hours=1))

    assert [v["video_id"] for v in catalogue.listed()] == ["vid-list-c", "vid-list-b"]


def test_given_the_next_url_window_then_views_are_rendered_with_its_urls(catalogue: Catalogue) -> None:
    before = catalogue.listed()
    catalogue.media.current += 1

    after = catalogue.listed()

    assert all("window=0" in v["media"]["mp4_url"] for v in before)
    assert all("window=1" in v["media"]["mp4_url"] for v in after)
    assert len(catalogue.repository.records_read) == 6
    assert catalogue.repository.name_reads == 2


def test_given_a_video_unpublished_since_the_index_listed_it_then_it_is_left_out(
    catalogue: Catalogue,
) -> None:
    stale = catalogue.repository.published_versions(limit=20, token=None)
    catalogue.catalog.delete(OWNER, "vid-list-c", catalogue.media, T0 + timedelta(hours=1))
    catalogue.repository.published_versions = lambda **_: stale  # type: ignore[method-assign]

    assert [v["video_id"] for v in catalogue.listed()] == ["vid-list-b", "vid-list-a"]
