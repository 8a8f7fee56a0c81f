"""One fixture per service API: a seeded world behind the real handler, called with gateway-shaped events.

A service adds its fixture here (named `<service>_api`) and its rows to `test_authorization_matrix.MATRIX`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from services.video.domain import Catalog
from services.video.handlers import api as video_api_handler
from services.video.handlers import dependencies
from services.video.handlers.dependencies import Dependencies
from services.video.routes import API_ROUTES
from services.video.search import SearchIndex
from tests.unit.api.support import OWNER, Request, Role, http_event, test_verifier
from tests.unit.video.conftest import FakeLambdaContext
from tests.unit.video.fakes import FakeMediaStore, InMemorySearchStore, InMemoryVideoRepository
from tests.unit.video.support import T0, event

Response = tuple[int, Any]
ApiCall = Callable[[Request, Role], Response]

PUBLISHED = "vid-published"
DRAFT = "vid-draft"
OTHERS_DRAFT = "vid-others-draft"
CHANNEL = "ch-4f7d2a9e"
OTHER_CHANNEL = "ch-other"
CHANNEL_NAME = "Lambda Lancer"
TRANSCRIPT = "Feed the starter at dawn, then fold the dough every half hour until it is glossy."
ROUND_TITLE = {1: "Good Morning", 2: "Sourdough starter at dawn"}
# What the titles and transcript plugins project at publication (round 1), as their manifests say.
PUBLISHED_FIELDS: dict[str, Any] = {
    "title_candidates": [
        {"candidate_id": f"r1c{i}", "title": f"Good Morning {i}", "evidence": [0]} for i in (1, 2, 3)
    ],
    "provisional_title": "Good Morning 1",
    "description": "Description of round 1",
    "tags": ["sourdough", "round1"],
    "transcript_key": f"videos/{PUBLISHED}/plugins/transcript/transcript.txt",
    "captions_key": f"videos/{PUBLISHED}/plugins/transcript/captions.vtt",
    "language": "en",
}


def call_handler(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> Response:
    response = handler(event, FakeLambdaContext())
    body = response.get("body") or ""
    try:
        return response["statusCode"], json.loads(body) if body else None
    except ValueError:
        return response["statusCode"], body


def seed_videos(catalog: Catalog) -> None:
    """The owner's published video and draft on CHANNEL; another broadcaster's draft on OTHER_CHANNEL."""
    from services.video.changes import change_for
    from shared.events import parse_event

    def apply(raw: dict[str, Any], minutes: float) -> None:
        raw["detail"]["meta"]["occurred_at"] = (T0 + timedelta(minutes=minutes)).isoformat()
        change = change_for(parse_event(raw))
        assert change is not None
        catalog.apply(change, T0 + timedelta(minutes=minutes))
        catalog.reindex(change.video_id)  # as the events consumer does after every event

    catalog.repository.put_channel(CHANNEL, OWNER.sub or "", name=CHANNEL_NAME)
    apply(event("Recording.Ended", video_id=PUBLISHED), 0)
    apply(event("Video.Processed", video_id=PUBLISHED), 1)
    apply(titles_round(1), 1.5)
    apply(event("Lifecycle.Completed", video_id=PUBLISHED, video_fields=PUBLISHED_FIELDS), 2)
    apply(titles_round(2), 3)  # "Suggest new titles" after publication: the public title follows round 2
    apply(event("Recording.Ended", video_id=DRAFT), 3)
    other = event("Recording.Ended", video_id=OTHERS_DRAFT)
    other["detail"] |= {"channel_id": OTHER_CHANNEL, "owner_id": "sub-other-broadcaster"}
    apply(other, 4)


def titles_round(number: int) -> dict[str, Any]:
    candidates = [
        {"candidate_id": f"r{number}c{i}", "title": f"{ROUND_TITLE[number]} {i}", "evidence": []}
        for i in (1, 2, 3)
    ]
    return event(
        "Titles.Generated",
        video_id=PUBLISHED,
        round=number,
        candidates=candidates,
        description=f"Description of round {number}",
        tags=["sourdough", f"round{number}"],
    )


@pytest.fixture
def video_api() -> Iterator[ApiCall]:
    repository = InMemoryVideoRepository()
    media = FakeMediaStore(
        [f"videos/{PUBLISHED}/video.mp4", f"videos/{DRAFT}/video.mp4"],
        texts={str(PUBLISHED_FIELDS["transcript_key"]): TRANSCRIPT},
    )
    catalog = Catalog(repository, media=media, search=SearchIndex(InMemorySearchStore()))
    seed_videos(catalog)
    dependencies.use(Dependencies(catalog=catalog, media=media, verifier=test_verifier()))
    signed_in = {route.key for route in API_ROUTES if route.signed_in}

    def call(request: Request, role: Role) -> Response:
        key = f"{request.method} {request.route}"
        return call_handler(
            video_api_handler.handler, http_event(request, role, signed_in_route=key in signed_in)
        )

    yield call
    dependencies.use(None)
