"""Every API route by every role → the status the caller gets, through the real handlers.

Columns: anonymous, viewer (signed in, no group), the owner (a broadcaster), another broadcaster, a plugin
developer, an admin. Add a service's rows to MATRIX and its `<service>_api` fixture to conftest.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from services.video.routes import API_ROUTES
from tests.unit.api.conftest import CHANNEL, CHANNEL_NAME, DRAFT, PUBLISHED, ROUND_TITLE
from tests.unit.api.support import (
    ADMIN,
    ANONYMOUS,
    OTHER_BROADCASTER,
    OWNER,
    PLUGIN_DEVELOPER,
    ROLES,
    VIEWER,
    Request,
    Role,
)

ORDER = (ANONYMOUS, VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)


@dataclass(frozen=True)
class Row:
    service: str
    request: Request
    statuses: tuple[int, int, int, int, int, int]  # in ORDER

    @property
    def name(self) -> str:
        return f"{self.request.method} {self.request.path}"


def video(method: str, route: str, statuses: tuple[int, int, int, int, int, int], **params: str) -> Row:
    return Row("video", Request(method, route, path_parameters=params), statuses)


MATRIX: list[Row] = [
    video("GET", "/videos", (200, 200, 200, 200, 200, 200)),
    video("GET", "/videos/{video_id}", (200, 200, 200, 200, 200, 200), video_id=PUBLISHED),
    video("GET", "/videos/{video_id}", (404, 404, 200, 404, 404, 200), video_id=DRAFT),
    video("GET", "/channels/{channel_id}/videos", (200, 200, 200, 200, 200, 200), channel_id=CHANNEL),
    Row("video", Request("GET", "/search", query={"q": "glossy"}), (200, 200, 200, 200, 200, 200)),
    video("GET", "/videos/{video_id}/history", (401, 403, 200, 403, 403, 200), video_id=PUBLISHED),
    video("GET", "/videos/{video_id}/history", (401, 404, 200, 404, 404, 200), video_id=DRAFT),
    video("DELETE", "/videos/{video_id}", (401, 403, 204, 403, 403, 204), video_id=PUBLISHED),
    video("DELETE", "/videos/{video_id}", (401, 404, 204, 404, 404, 204), video_id=DRAFT),
    video("GET", "/me", (401, 200, 200, 200, 200, 200)),
    video("GET", "/me/videos", (401, 200, 200, 200, 200, 200)),
    video("GET", "/openapi.json", (200, 200, 200, 200, 200, 200)),
    video("GET", "/docs", (200, 200, 200, 200, 200, 200)),
    video("GET", "/swagger-ui/{asset}", (200, 200, 200, 200, 200, 200), asset="swagger-ui.min.css"),
]

CASES = [
    pytest.param(row, role, status, id=f"{row.name} as {role.name} -> {status}")
    for row in MATRIX
    for role, status in zip(ORDER, row.statuses, strict=True)
]


@pytest.mark.parametrize(("row", "role", "expected"), CASES)
def test_given_a_role_when_it_calls_a_route_then_it_gets_the_matrix_status(
    row: Row, role: object, expected: int, request: pytest.FixtureRequest
) -> None:
    api = request.getfixturevalue(f"{row.service}_api")
    status, body = api(row.request, role)
    assert status == expected, body
    if status >= 400:
        assert isinstance(body, dict) and body.get("message"), "every error says why"


def test_given_the_matrix_then_every_video_route_has_a_row() -> None:
    covered = {f"{row.request.method} {row.request.route}" for row in MATRIX if row.service == "video"}
    assert covered == {route.key for route in API_ROUTES}
    assert set(ORDER) == set(ROLES)


@pytest.mark.parametrize(
    ("role", "count"), [(ANONYMOUS, 1), (VIEWER, 1), (OTHER_BROADCASTER, 1), (OWNER, 2), (ADMIN, 2)]
)
def test_given_a_channel_when_listed_then_only_the_owner_and_admins_see_unpublished_videos(
    video_api: object, role: object, count: int
) -> None:
    status, body = video_api(Request("GET", "/channels/{channel_id}/videos", {"channel_id": CHANNEL}), role)  # type: ignore[operator]
    assert status == 200
    assert len(body["videos"]) == count


@pytest.mark.parametrize(
    ("role", "expected"),
    [(VIEWER, []), (OWNER, ["vid-draft", "vid-published"]), (OTHER_BROADCASTER, ["vid-others-draft"])],
)
def test_given_videos_of_several_owners_when_each_lists_their_own_then_they_see_only_theirs(
    video_api: object, role: object, expected: list[str]
) -> None:
    status, body = video_api(Request("GET", "/me/videos"), role)  # type: ignore[operator]
    assert status == 200
    assert [v["video_id"] for v in body["videos"]] == expected  # newest first, every status


# ------------------------------------------------------------------ which fields each role sees

PRIVATE_KEYS = {"owner_id", "reason", "compute", "updated_at"}
PRIVATE_FIELD_NAMES = {"title_candidates", "provisional_title"}
# Every route that returns the published video. The public lists (the catalog, search) show everyone the
# public record, its owner included; the owner reads the full one on the video and their channel's list.
VIDEO_RECORDS = [
    Request("GET", "/videos/{video_id}", {"video_id": PUBLISHED}),
    Request("GET", "/channels/{channel_id}/videos", {"channel_id": CHANNEL}),
    Request("GET", "/videos"),
    Request("GET", "/search", query={"q": "glossy dough"}),
]
PUBLIC_LISTS = {"/videos", "/search"}
FULL_RECORD_ROLES = {OWNER.name, ADMIN.name}


def _published_record(body: dict[str, object]) -> dict[str, object]:
    if "videos" not in body:
        return body
    records = [v for v in body["videos"] if isinstance(v, dict) and v["video_id"] == PUBLISHED]  # type: ignore[attr-defined]
    assert len(records) == 1, body
    return records[0]


@pytest.mark.parametrize("request_", VIDEO_RECORDS, ids=lambda r: r.route)
@pytest.mark.parametrize("role", ORDER, ids=lambda r: r.name)
def test_given_a_published_video_when_a_role_reads_it_then_only_the_owner_and_admins_see_private_fields(
    video_api: object, request_: Request, role: Role
) -> None:
    status, body = video_api(request_, role)  # type: ignore[operator]
    assert status == 200, body
    record = _published_record(body)
    full = role.name in FULL_RECORD_ROLES and request_.route not in PUBLIC_LISTS
    # What was published, for everyone: the title of the latest round, its description and tags, the captions.
    assert record["title"] == f"{ROUND_TITLE[2]} 1"
    assert record["channel_name"] == CHANNEL_NAME
    fields = record["fields"]
    assert isinstance(fields, dict)
    assert fields["description"] == "Description of round 2"
    assert fields["tags"] == ["sourdough", "round2"]
    assert {"captions_url", "transcript_url"} <= set(fields)
    private = (PRIVATE_KEYS & set(record)) | (PRIVATE_FIELD_NAMES & set(fields))
    if full:
        assert private == PRIVATE_KEYS | PRIVATE_FIELD_NAMES
        assert record["owner_id"] == OWNER.sub
    else:
        assert private == set(), f"{role} sees {private}"
        text = json.dumps(record)
        assert OWNER.sub not in text
        assert ROUND_TITLE[1] not in text, "no earlier round's candidates in the public record"
