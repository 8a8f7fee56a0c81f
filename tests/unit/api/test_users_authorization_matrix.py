"""The admin `/users` routes by every role, through the real handler with an in-memory directory: only admins
find users and grant or revoke roles; bad input is a 4xx naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.stacks.users_stack import ROUTES
from services.identity.handlers import users_api
from services.identity.users import Role, UnknownUserError, UserView
from tests.unit.api.conftest import ApiCall, Response, call_handler
from tests.unit.api.support import (
    ADMIN,
    ANONYMOUS,
    OTHER_BROADCASTER,
    OWNER,
    PLUGIN_DEVELOPER,
    VIEWER,
    Request,
    http_event,
)
from tests.unit.api.support import (
    Role as Caller,
)

ORDER = (ANONYMOUS, VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)
ADA = "0b6d-ada"


class FakeDirectory:
    def __init__(self) -> None:
        self.users = {ADA: UserView(username=ADA, email="ada@elsewhere.example", status="CONFIRMED")}

    def find_by_email(self, prefix: str, *, limit: int) -> list[UserView]:
        return [u for u in self.users.values() if (u.email or "").startswith(prefix)][:limit]

    def get(self, username: str) -> UserView:
        if username not in self.users:
            raise UnknownUserError(username)
        return self.users[username]

    def add_to_group(self, username: str, group: Role) -> None:
        user = self.get(username)
        if group not in user.groups:
            self.users[username] = user.model_copy(update={"groups": [*user.groups, group]})

    def remove_from_group(self, username: str, group: Role) -> None:
        user = self.get(username)
        self.users[username] = user.model_copy(update={"groups": [g for g in user.groups if g != group]})


@pytest.fixture
def users() -> Iterator[ApiCall]:
    def call(request: Request, role: Caller) -> Response:
        users_api.use(FakeDirectory())
        return call_handler(users_api.handler, http_event(request, role, signed_in_route=True))

    yield call
    users_api.use(None)


GRANT = Request("PUT", "/users/{username}/roles/{role}", {"username": ADA, "role": "broadcaster"})
MATRIX = [
    (Request("GET", "/users", query={"email": "ada"}), (401, 403, 403, 403, 403, 200)),
    (GRANT, (401, 403, 403, 403, 403, 200)),
    (Request("DELETE", "/users/{username}/roles/{role}", {"username": ADA, "role": "broadcaster"}),
     (401, 403, 403, 403, 403, 200)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "role", "expected"),
    [
        pytest.param(request, role, status, id=f"{request.method} {request.route} as {role.name} -> {status}")
        for request, statuses in MATRIX
        for role, status in zip(ORDER, statuses, strict=True)
    ],
)
def test_given_a_role_when_it_calls_a_users_route_then_it_gets_the_matrix_status(
    users: ApiCall, request_: Request, role: Caller, expected: int
) -> None:
    status, body = users(request_, role)
    assert status == expected, body


def test_given_the_matrix_then_every_users_route_has_a_row_and_needs_a_signed_in_caller() -> None:
    assert {f"{r.method} {r.route}" for r, _ in MATRIX} == {f"{m} {p}" for m, p, _ in ROUTES}
    assert all(signed_in for _, _, signed_in in ROUTES)


def test_given_an_admin_when_granting_then_the_user_shows_the_role(users: ApiCall) -> None:
    status, body = users(GRANT, ADMIN)
    assert status == 200 and body["groups"] == ["broadcaster"], body


@pytest.mark.parametrize(
    ("request_", "status", "field"),
    [
        (
            Request("PUT", "/users/{username}/roles/{role}", {"username": ADA, "role": "superuser"}),
            400,
            "role",
        ),
        (Request("GET", "/users", query={"email": ""}), 400, "email"),
        (Request("GET", "/users"), 400, "email"),
    ],
    ids=["unknown role", "empty email", "no email"],
)
def test_given_bad_input_then_4xx_names_the_field(
    users: ApiCall, request_: Request, status: int, field: str
) -> None:
    code, body = users(request_, ADMIN)
    assert code == status, body
    assert any(error["location"].endswith(field) for error in body["errors"]), body


def test_given_an_unknown_user_then_404_names_it(users: ApiCall) -> None:
    unknown = Request("PUT", "/users/{username}/roles/{role}", {"username": "nobody", "role": "broadcaster"})
    code, body = users(unknown, ADMIN)
    assert code == 404 and "nobody" in body["message"], body


def test_given_an_admin_when_revoking_their_own_admin_role_then_409(users: ApiCall) -> None:
    own = Request("DELETE", "/users/{username}/roles/{role}", {"username": ADMIN.name, "role": "admin"})
    code, body = users(own, ADMIN)
    assert code == 409, body
