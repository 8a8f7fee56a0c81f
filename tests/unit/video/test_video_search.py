"""Search: the index follows the catalog through the events consumer; queries find published videos only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from services.video.domain import Catalog
from services.video.handlers import dependencies, events
from services.video.handlers.dependencies import Dependencies
from services.video.search import QueryError, SearchIndex, query_words, words
from shared.auth import Principal
from shared.errors import BadRequestError
from tests.unit.video.conftest import FakeLambdaContext
from tests.unit.video.fakes import FakeMediaStore, InMemorySearchStore, InMemoryVideoRepository
from tests.unit.video.support import OWNER_ID, T0, event, sqs_batch


class Library:
    """The catalog behind the real events consumer, with transcripts in the fake bucket."""

    def __init__(self) -> None:
        self.repository = InMemoryVideoRepository()
        self.media = FakeMediaStore()
        self.store = InMemorySearchStore()
        self.catalog = Catalog(self.repository, media=self.media, search=SearchIndex(self.store))

    def deliver(self, *raw: dict[str, Any]) -> None:
        response = events.handler(sqs_batch(*raw), FakeLambdaContext())
        assert response["batchItemFailures"] == []

    def publish(
        self,
        video_id: str,
        *,
        minute: int,
        title: str,
        transcript: str,
        tags: list[str],
        description: str = "",
    ) -> None:
        key = f"videos/{video_id}/plugins/transcript/transcript.txt"
        self.media.keys.add(key)
        self.media.texts[key] = transcript
        at = T0 + timedelta(minutes=minute)
        fields = {"transcript_key": key, "description": description, "tags": tags}
        self.deliver(
            event("Recording.Ended", video_id=video_id, at=at),
            event("Video.Processed", video_id=video_id, at=at + timedelta(seconds=1)),
            event(
                "Lifecycle.Completed", video_id=video_id, at=at + timedelta(seconds=2), video_fields=fields
            ),
            event("Title.Selected", video_id=video_id, at=at + timedelta(seconds=3), title=title),
        )

    def find(self, q: str, limit: int = 20, token: str | None = None) -> tuple[list[str], str | None]:
        page = self.catalog.search_videos(q, self.media, limit, token)
        return [v.video_id for v in page.videos], page.next_token


@pytest.fixture
def library() -> Iterator[Library]:
    world = Library()
    dependencies.use(Dependencies(catalog=world.catalog, media=world.media))
    yield world
    dependencies.use(None)


def test_given_text_then_words_are_folded_and_common_words_dropped() -> None:
    assert words("The Crème BRÛLÉE's crust, it\u2019s 2 cm!") == ["creme", "brulees", "crust", "2", "cm"]


@pytest.mark.parametrize("q", ["", "!!!", "the and of", " "])
def test_given_a_query_without_words_then_it_is_refused(q: str) -> None:
    with pytest.raises(QueryError, match="at least one word"):
        query_words(q)


def test_given_too_many_words_then_it_is_refused() -> None:
    with pytest.raises(QueryError, match="at most 8 words"):
        query_words("one two three four five six seven eight nine")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("glossy", ["vid-bread"]),  # a transcript word
        ("SOURDOUGH", ["vid-bread"]),  # the title, any case
        ("baking", ["vid-bike", "vid-bread"]),  # a tag of both, newest first
        ("wheel CHAIN", ["vid-bike"]),  # the description and the title; every word must occur
        ("glossy chain", []),
        ("saddle", []),  # only in the unpublished video's transcript
    ],
)
def test_given_published_videos_when_searching_then_matches_come_newest_first(
    library: Library, q: str, expected: list[str]
) -> None:
    library.publish(
        "vid-bread", minute=0, title="Sourdough at dawn", transcript="Fold until glossy.", tags=["baking"]
    )
    library.publish(
        "vid-bike",
        minute=10,
        title="Bicycle chain care",
        transcript="Oil it.",
        tags=["baking"],
        description="About the wheel",
    )
    library.media.texts["videos/vid-draft/plugins/transcript/transcript.txt"] = "saddle"
    library.deliver(event("Recording.Ended", video_id="vid-draft", at=T0 + timedelta(minutes=20)))
    assert library.find(q)[0] == expected


def test_given_a_new_title_when_searching_then_the_old_words_no_longer_match(library: Library) -> None:
    library.publish("vid-bread", minute=0, title="Good Morning", transcript="Fold.", tags=[])
    assert library.find("morning")[0] == ["vid-bread"]
    library.deliver(
        event("Title.Selected", video_id="vid-bread", at=T0 + timedelta(hours=1), title="Sourdough")
    )
    assert library.find("morning")[0] == []
    assert library.find("sourdough")[0] == ["vid-bread"]


def test_given_a_deleted_video_when_searching_then_it_is_gone_from_the_index(library: Library) -> None:
    library.publish("vid-bread", minute=0, title="Sourdough", transcript="Fold until glossy.", tags=[])
    owner = Principal(sub=OWNER_ID, groups=frozenset({"broadcaster"}))
    library.catalog.delete(owner, "vid-bread", library.media, T0 + timedelta(hours=1))
    assert library.find("glossy")[0] == []
    assert library.store.postings == {} and library.store.documents == {}


def test_given_an_event_delivered_twice_then_the_index_is_written_once(library: Library) -> None:
    library.publish("vid-bread", minute=0, title="Sourdough", transcript="Fold.", tags=[])
    before = dict(library.store.documents)
    assert library.catalog.reindex("vid-bread") is False
    assert library.store.documents == before


def test_given_more_matches_than_a_page_when_following_tokens_then_each_comes_once(library: Library) -> None:
    for n in range(5):
        library.publish(f"vid-{n}", minute=n, title=f"Bread {n}", transcript="glossy dough", tags=[])
    library.publish("vid-other", minute=9, title="Glossy paint", transcript="no", tags=[])
    seen: list[str] = []
    token: str | None = None
    for _ in range(5):
        found, token = library.find("glossy dough", limit=2, token=token)
        seen += found
        if token is None:
            break
    assert seen == ["vid-4", "vid-3", "vid-2", "vid-1", "vid-0"]


def test_given_a_token_of_another_query_then_it_is_refused(library: Library) -> None:
    for n in range(3):
        library.publish(f"vid-{n}", minute=n, title=f"Bread {n}", transcript="glossy", tags=["bread"])
    _, token = library.find("glossy", limit=1)
    assert token is not None
    with pytest.raises(BadRequestError, match="another list"):
        library.find("bread", limit=1, token=token)
