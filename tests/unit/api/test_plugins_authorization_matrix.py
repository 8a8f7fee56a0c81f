"""The /plugins routes by every role → status, through the real registry handler with an in-memory store.

Every route sits behind the JWT authorizer: an anonymous call never reaches the handler (401 at the gateway).
A plugin developer manages their own plugins; an admin, everyone's; other roles, none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infra.stacks.plugins_stack import ROUTES
from services.plugins.adapters import DynamoInvocationLog
from services.plugins.handlers import api as plugins_api
from services.plugins.registry import RegisteredPlugin, Registry
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
from tests.unit.plugins.fakes import FakeLifecycleStore, manifest
from tests.unit.plugins.test_manifest_registry import MemoryRegistryStore

ORDER = (VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)
NEW = manifest("fresh").model_dump(mode="json")
MINE = manifest("mine")
NAME = {"name": "mine"}
# route → expected status per role in ORDER
MATRIX: dict[tuple[str, str], tuple[Any, tuple[int, ...]]] = {
    ("POST", "/plugins"): ({"body": NEW}, (403, 403, 403, 201, 201)),
    ("GET", "/plugins"): ({}, (403, 403, 403, 200, 200)),
    ("GET", "/plugins/{name}"): ({"path_parameters": NAME}, (403, 403, 403, 200, 200)),
    ("PUT", "/plugins/{name}"): (
        {"path_parameters": NAME, "body": MINE.model_dump(mode="json")}, (403, 403, 403, 200, 200),
    ),
    ("DELETE", "/plugins/{name}"): ({"path_parameters": NAME}, (403, 403, 403, 204, 204)),
    ("POST", "/plugins/{name}/enable"): ({"path_parameters": NAME}, (403, 403, 403, 200, 200)),
    ("POST", "/plugins/{name}/disable"): ({"path_parameters": NAME}, (403, 403, 403, 200, 200)),
    ("GET", "/plugins/{name}/invocations"): ({"path_parameters": NAME}, (403, 403, 403, 200, 200)),
}  # fmt: skip


def test_given_the_matrix_then_it_covers_every_route_of_the_stack() -> None:
    assert set(MATRIX) == set(ROUTES)


@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
@pytest.mark.parametrize("role", ORDER, ids=lambda r: r.name)
def test_given_a_role_when_calling_a_plugins_route_then_the_status_is_the_matrix_one(
    monkeypatch: pytest.MonkeyPatch, method: str, route: str, role: Role
) -> None:
    store = MemoryRegistryStore()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    store.items["mine"] = RegisteredPlugin(
        manifest=MINE, owner_id=PLUGIN_DEVELOPER.sub or "", registered_at=now, updated_at=now
    )
    monkeypatch.setattr(plugins_api, "registry", lambda: Registry(store))
    monkeypatch.setattr(plugins_api, "invocation_log", FakeLifecycleStore)
    options, statuses = MATRIX[(method, route)]
    event = http_event(Request(method, route, **options), role, signed_in_route=True)
    status, _ = call_handler(plugins_api.handler, event)
    assert status == statuses[ORDER.index(role)]


def test_given_another_developers_plugin_when_a_developer_asks_then_it_is_not_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryRegistryStore()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    store.items["mine"] = RegisteredPlugin(
        manifest=MINE, owner_id="someone-else", registered_at=now, updated_at=now
    )
    monkeypatch.setattr(plugins_api, "registry", lambda: Registry(store))
    monkeypatch.setattr(plugins_api, "invocation_log", FakeLifecycleStore)
    for route in ("/plugins/{name}", "/plugins/{name}/invocations"):
        event = http_event(
            Request("GET", route, path_parameters=NAME), PLUGIN_DEVELOPER, signed_in_route=True
        )
        assert call_handler(plugins_api.handler, event)[0] == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"next_token": "not-a-token"}, 400),
        ({"limit": "0"}, 422),
        ({"limit": "101"}, 422),
        ({"limit": "5"}, 200),
    ],
)
def test_given_a_page_request_when_listing_invocations_then_bad_tokens_and_limits_are_refused(
    monkeypatch: pytest.MonkeyPatch, query: dict[str, str], status: int
) -> None:
    store = MemoryRegistryStore()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    store.items["mine"] = RegisteredPlugin(
        manifest=MINE, owner_id=PLUGIN_DEVELOPER.sub or "", registered_at=now, updated_at=now
    )
    monkeypatch.setattr(plugins_api, "registry", lambda: Registry(store))
    monkeypatch.setattr(plugins_api, "invocation_log", lambda: DynamoInvocationLog(EmptyIndex()))
    request = Request("GET", "/plugins/{name}/invocations", path_parameters=NAME, query=query)
    answered, payload = call_handler(plugins_api.handler, http_event(request, ADMIN, signed_in_route=True))
    assert answered == status, payload
    if status == 200:
        assert payload == {"invocations": [], "next_token": None}


class EmptyIndex:
    """A table whose plugin index holds nothing (the adapter's token checks run before the query)."""

    def query(self, **_: Any) -> dict[str, Any]:
        return {"Items": []}


def test_given_a_broken_manifest_when_registering_then_422_lists_each_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plugins_api, "registry", lambda: Registry(MemoryRegistryStore()))
    body = {**NEW, "version": "one", "timeout_seconds": 5000}
    event = http_event(Request("POST", "/plugins", body=body), PLUGIN_DEVELOPER, signed_in_route=True)
    status, payload = call_handler(plugins_api.handler, event)
    assert status == 422
    assert {p["field"] for p in payload["problems"]} == {"/version", "/timeout_seconds"}
