"""The channel routes by every role → status, through the real channel handler with in-memory collaborators.

Same columns as test_authorization_matrix: anonymous, viewer, owner, another broadcaster, plugin developer,
admin. Each call gets a fresh world holding one channel of OWNER, so deletes and rotations do not leak.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from infra.stacks.channel_stack import ROUTES
from services.channel.channels import ChannelSettings
from services.channel.handlers import api as channel_api_handler
from services.channel.handlers import dependencies
from services.channel.handlers.dependencies import ApiDependencies
from services.channel.models import Channel
from shared.events.testing import FakePublisher
from tests.unit.api.conftest import ApiCall, Response, call_handler
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
    http_event,
)
from tests.unit.api.support import (
    test_verifier as verifier_for_tests,
)
from tests.unit.channel.fakes import FakeIvs, FakeRepository

ORDER = (ANONYMOUS, VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)
CHANNEL_ID = "ch-4f7d2a9e0c11"
SIGNED_IN = {f"{method} {path.replace('{id}', '{channel_id}')}" for method, path, signed in ROUTES if signed}


def seeded() -> ApiDependencies:
    repository = FakeRepository()
    ivs = FakeIvs()
    created = ivs.create_channel(name=f"dev-svideo-{CHANNEL_ID}", recording_configuration_arn="rc", tags={})
    repository.channels[CHANNEL_ID] = Channel(
        channel_id=CHANNEL_ID,
        owner_id=OWNER.sub or "",
        display_name="Lambda Lancer",
        ivs_channel_arn=created.arn,
        ivs_channel_name=created.name,
        stream_key_arn=created.stream_key.arn,
        ingest_endpoint=created.ingest_endpoint,
        playback_url=created.playback_url,
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
        live=True,
        live_since=datetime(2026, 11, 22, tzinfo=UTC),
    )
    return ApiDependencies(
        repository=repository,
        ivs=ivs,
        publisher=FakePublisher(),
        settings=ChannelSettings(
            recording_configuration_arn="arn:aws:ivs:us-east-1:123456789012:recording-configuration/rc",
            ivs_channel_prefix="dev-svideo-",
            stage="dev",
        ),
        verifier=verifier_for_tests(),
    )


@pytest.fixture
def channel_api() -> Iterator[ApiCall]:
    def call(request: Request, role: Role) -> Response:
        dependencies.use(api=seeded())
        key = f"{request.method} {request.route}"
        return call_handler(
            channel_api_handler.handler, http_event(request, role, signed_in_route=key in SIGNED_IN)
        )

    yield call
    dependencies.use()


def row(
    method: str, route: str, statuses: tuple[int, ...], body: object = None, **params: str
) -> tuple[Request, tuple[int, ...]]:
    return (Request(method, route, path_parameters=params, body=body), statuses)


MATRIX = [
    row("POST", "/channels", (401, 403, 201, 201, 403, 403), body={"name": "New one"}),
    row("GET", "/channels", (401, 200, 200, 200, 200, 200)),
    row("GET", "/channels/live", (200, 200, 200, 200, 200, 200)),
    row("GET", "/channels/{channel_id}", (200, 200, 200, 200, 200, 200), channel_id=CHANNEL_ID),
    row("GET", "/channels/{channel_id}", (404, 404, 404, 404, 404, 404), channel_id="ch-000000000000"),
    row(
        "PATCH",
        "/channels/{channel_id}",
        (401, 403, 200, 403, 403, 200),
        body={"name": "Renamed"},
        channel_id=CHANNEL_ID,
    ),
    row(
        "PATCH",
        "/channels/{channel_id}",
        (401, 404, 404, 404, 404, 404),
        body={"name": "Renamed"},
        channel_id="ch-000000000000",
    ),
    row(
        "POST",
        "/channels/{channel_id}/stream-key/rotate",
        (401, 403, 200, 403, 403, 403),
        channel_id=CHANNEL_ID,
    ),
    row("DELETE", "/channels/{channel_id}", (401, 403, 204, 403, 403, 204), channel_id=CHANNEL_ID),
    row("DELETE", "/channels/{channel_id}", (401, 404, 404, 404, 404, 404), channel_id="ch-000000000000"),
]

CASES = [
    pytest.param(request, role, status, id=f"{request.method} {request.path} as {role.name} -> {status}")
    for request, statuses in MATRIX
    for role, status in zip(ORDER, statuses, strict=True)
]


@pytest.mark.parametrize(("request_", "role", "expected"), CASES)
def test_given_a_role_when_it_calls_a_channel_route_then_it_gets_the_matrix_status(
    channel_api: ApiCall, request_: Request, role: Role, expected: int
) -> None:
    status, body = channel_api(request_, role)

    assert status == expected, body
    if status >= 400:
        assert isinstance(body, dict) and body.get("message"), "every error says why"


def test_given_the_matrix_then_every_channel_route_has_a_row() -> None:
    covered = {f"{r.method} {r.route.replace('{channel_id}', '{id}')}" for r, _ in MATRIX}
    assert covered == {f"{method} {path}" for method, path, _ in ROUTES}
    assert set(ORDER) == set(ROLES)


def test_given_the_owner_then_get_shows_the_full_view_and_others_the_public_view(
    channel_api: ApiCall,
) -> None:
    get = Request("GET", "/channels/{channel_id}", path_parameters={"channel_id": CHANNEL_ID})

    _, mine = channel_api(get, OWNER)
    _, public = channel_api(get, VIEWER)

    assert "ingest" in mine and "stream_key_id" in mine
    assert set(public) == {"channel_id", "name", "live", "playback_url", "live_since", "viewer_count"}


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (Request("POST", "/channels", body={"name": ""}), 400),
        (Request("POST", "/channels", body={"name": "x" * 101}), 400),
        (Request("POST", "/channels", body={"name": "ok", "stream_key": "mine"}), 400),
        (Request("POST", "/channels", body={"name": "live\u202etxt.exe"}), 400),
        (Request("POST", "/channels", body={"name": "bell\x07"}), 400),
        (Request("POST", "/channels", body="{not json"), 400),
        (Request("GET", "/channels/{channel_id}", path_parameters={"channel_id": "CH_not-an-id"}), 400),
        (Request("GET", "/channels", query={"limit": "0"}), 400),
        (Request("GET", "/channels", query={"next_token": "!!not-a-token"}), 400),
    ],
    ids=["empty name", "long name", "unknown field", "right-to-left override", "control character",
         "malformed json", "bad id", "bad limit", "bad token"],
)
def test_given_bad_input_when_calling_then_400_with_a_message(
    channel_api: ApiCall, request_: Request, status: int
) -> None:
    code, body = channel_api(request_, OWNER)

    assert code == status, body
    assert body["message"]


def test_given_a_name_with_a_bidi_override_when_creating_a_channel_then_the_400_names_the_field_and_character(
    channel_api: ApiCall,
) -> None:
    code, body = channel_api(Request("POST", "/channels", body={"name": "Lancer\u202eevil"}), OWNER)

    assert code == 400
    [error] = body["errors"]
    assert error["location"] == "body.name"
    assert "bidirectional control characters (U+202E)" in error["message"]


@pytest.mark.parametrize("route", ["/channels/live", "/channels/{channel_id}"])
@pytest.mark.parametrize("token", ["garbage", "a.b.c", OWNER.token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"])
def test_given_an_invalid_token_on_a_public_channel_route_then_401_and_without_one_anonymous(
    channel_api: ApiCall, route: str, token: str
) -> None:
    params = {"channel_id": CHANNEL_ID} if "{" in route else {}
    sent = Request("GET", route, path_parameters=params, headers={"authorization": f"Bearer {token}"})
    status, body = channel_api(sent, ANONYMOUS)
    assert status == 401 and "invalid token" in body["message"], body

    assert channel_api(Request("GET", route, path_parameters=params), ANONYMOUS)[0] == 200


@pytest.mark.parametrize(
    ("request_", "status", "field"),
    [
        (Request("POST", "/channels", body={"name": "x" * 101}), 400, "body.name"),
        (
            Request("POST", "/channels", body={"name": "ok", "reconnect_window_seconds": 301}),
            400,
            "body.reconnect_window_seconds",
        ),
        (
            Request("POST", "/channels", body={"name": "ok", "reconnect_window_seconds": -1}),
            400,
            "body.reconnect_window_seconds",
        ),
        (
            Request(
                "PATCH",
                "/channels/{channel_id}",
                path_parameters={"channel_id": CHANNEL_ID},
                body={"reconnect_window_seconds": 3600},
            ),
            400,
            "body.reconnect_window_seconds",
        ),
        (
            Request(
                "PATCH",
                "/channels/{channel_id}",
                path_parameters={"channel_id": CHANNEL_ID},
                body={"name": "x" * 101},
            ),
            400,
            "body.name",
        ),
    ],
    ids=["long name", "window too long", "negative window", "patch window", "patch long name"],
)
def test_given_a_bad_field_then_4xx_names_it(
    channel_api: ApiCall, request_: Request, status: int, field: str
) -> None:
    code, body = channel_api(request_, OWNER)

    assert code == status, body
    assert field in [error["location"] for error in body["errors"]], body


def test_given_a_live_channel_when_its_window_changes_then_409_names_the_field(channel_api: ApiCall) -> None:
    patch = Request(
        "PATCH",
        "/channels/{channel_id}",
        path_parameters={"channel_id": CHANNEL_ID},
        body={"reconnect_window_seconds": 10},
    )
    code, body = channel_api(patch, OWNER)
    assert code == 409 and "reconnect_window_seconds" in body["message"], body


def test_given_an_unknown_channel_then_404_names_it(channel_api: ApiCall) -> None:
    get = Request("GET", "/channels/{channel_id}", path_parameters={"channel_id": "ch-000000000000"})
    code, body = channel_api(get, OWNER)
    assert code == 404 and "ch-000000000000" in body["message"], body
