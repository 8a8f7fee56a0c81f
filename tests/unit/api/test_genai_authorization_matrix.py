"""The title feedback routes by every role → status, through the real handler with an in-memory title book.

Every route sits behind the JWT authorizer (anonymous callers never reach the handler). The owner reads,
picks and regenerates; an admin reads; anyone else is told there is nothing (404)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from plugins.titles import handler as titles
from plugins.titles.stack import FEEDBACK_ROUTES
from services.genai import runtime
from services.genai.handlers import titles_api
from tests.unit.api.conftest import call_handler
from tests.unit.api.support import (
    ADMIN,
    OTHER_BROADCASTER,
    OWNER,
    PLUGIN_DEVELOPER,
    VIEWER,
    Request,
    Role,
    http_event,
)
from tests.unit.genai.fakes import VIDEO, World, invocation_event, transcript_inputs

ORDER = (VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)
ID = {"video_id": VIDEO}
MATRIX: dict[tuple[str, str], tuple[dict[str, Any], tuple[int, ...]]] = {
    ("GET", "/videos/{video_id}/titles"): ({"path_parameters": ID}, (404, 200, 404, 404, 200)),
    ("POST", "/videos/{video_id}/title"): (
        {"path_parameters": ID, "body": {"candidate_id": "r1c2"}}, (404, 200, 404, 404, 403),
    ),
    ("POST", "/videos/{video_id}/titles/regenerate"): (
        {"path_parameters": ID, "body": {"feedback": "shorter please"}}, (404, 202, 404, 404, 403),
    ),
}  # fmt: skip


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = World(monkeypatch)
    titles.handler(invocation_event("titles", transcript_inputs()), None)
    yield world
    runtime.use(None)


def test_given_the_matrix_then_it_covers_every_feedback_route_of_the_stack() -> None:
    assert set(MATRIX) == set(FEEDBACK_ROUTES)


@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
@pytest.mark.parametrize("role", ORDER, ids=lambda r: r.name)
def test_given_a_role_when_calling_a_feedback_route_then_the_status_is_the_matrix_one(
    world: World, method: str, route: str, role: Role
) -> None:
    values, statuses = MATRIX[(method, route)]
    status, body = call_handler(
        titles_api.handler, http_event(Request(method, route, **values), role, signed_in_route=True)
    )
    assert status == statuses[ORDER.index(role)], body


@pytest.mark.parametrize(
    ("route", "body"),
    [("/videos/{video_id}/title", {}), ("/videos/{video_id}/titles/regenerate", {"feedback": ""})],
)
def test_given_a_bad_body_when_posting_then_422(world: World, route: str, body: dict[str, Any]) -> None:
    request = Request("POST", route, path_parameters=ID, body=body)
    status, _ = call_handler(titles_api.handler, http_event(request, OWNER, signed_in_route=True))
    assert status == 422
