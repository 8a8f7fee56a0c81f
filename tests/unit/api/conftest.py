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
from tests.unit.api.support import Request, Role, http_event, test_verifier
from tests.unit.video.conftest import FakeLambdaContext
from tests.unit.video.fakes import FakeMediaStore, InMemoryVideoRepository
from tests.unit.video.support import T0, event

Response = tuple[int, Any]
ApiCall = Callable[[Request, Role], Response]

PUBLISHED = "vid-published"
DRAFT = "vid-draft"
OTHERS_DRAFT = "vid-others-draft"
CHANNEL = "ch-4f7d2a9e"
OTHER_CHANNEL = "ch-other"


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

    def apply(raw: dict[str, Any], minutes: int) -> None:
        raw["detail"]["meta"]["occurred_at"] = (T0 + timedelta(minutes=minutes)).isoformat()
        change = change_for(parse_event(raw))
        assert change is not None
        catalog.apply(change, T0 + timedelta(minutes=minutes))

    apply(event("Recording.Ended", video_id=PUBLISHED), 0)
    apply(event("Video.Processed", video_id=PUBLISHED), 1)
    apply(event("Lifecycle.Completed", video_id=PUBLISHED, video_fields={"title": "Published one"}), 2)
    apply(event("Recording.Ended", video_id=DRAFT), 3)
    other = event("Recording.Ended", video_id=OTHERS_DRAFT)
    other["detail"] |= {"channel_id": OTHER_CHANNEL, "owner_id": "sub-other-broadcaster"}
    apply(other, 4)


@pytest.fixture
def video_api() -> Iterator[ApiCall]:
    repository = InMemoryVideoRepository()
    media = FakeMediaStore([f"videos/{PUBLISHED}/video.mp4", f"videos/{DRAFT}/video.mp4"])
    catalog = Catalog(repository, media=media)
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
