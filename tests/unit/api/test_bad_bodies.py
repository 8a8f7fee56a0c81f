"""Every route of the public API answers an unreadable body with a 4xx naming what is wrong, never a 500:
non-UTF-8 bytes, malformed JSON, JSON nested 1,000 deep, an integer Python will not convert, an oversized
body. Events are built as API Gateway builds them (a body that is not UTF-8 arrives base64-encoded) and go to
each service's own resolver (`app.resolve`, what every API handler returns)."""

from __future__ import annotations

import base64
import importlib
import json
import re
from typing import Any

import pytest

from services.video.openapi import PUBLIC_API_MODULES, _service_document
from shared.api import MAX_BODY_BYTES, MAX_JSON_DEPTH, check_body, json_depth
from tests.unit.api.conftest import call_handler
from tests.unit.api.support import OWNER, Request, http_event

DEEP = "[" * 1000 + "]" * 1000
LATIN_1 = base64.b64encode('{"name":"café"}'.encode("latin-1")).decode()
BAD_BODIES: dict[str, tuple[str, bool, int, str]] = {
    # name: (body as sent, base64-encoded?, status, words of the message)
    "not UTF-8": (LATIN_1, True, 400, "not UTF-8: byte 0xe9 at offset 12"),
    "malformed JSON": ('{"name": "x",', False, 400, "not valid JSON: Expecting property name"),
    "nested 1000 deep": (DEEP, False, 400, f"deeper than {MAX_JSON_DEPTH} levels"),
    "nested 40 deep": ('{"a":' * 40 + "1" + "}" * 40, False, 400, f"deeper than {MAX_JSON_DEPTH} levels"),
    "a 5000-digit integer": ('{"n": ' + "9" * 5000 + "}", False, 400, "not valid JSON"),
    "oversized": (json.dumps({"name": "x" * MAX_BODY_BYTES}), False, 413, "bytes, over the limit of"),
    "not base64": ("%%%", True, 400, "not valid base64"),
    "multipart": ('{"name": "x"}', False, 415, "must be application/json, not multipart/form-data"),
}


def _operations() -> list[tuple[str, str, str]]:
    found = []
    for module in PUBLIC_API_MODULES:
        for path, operations in _service_document(module).get("paths", {}).items():
            found.extend((module, method.upper(), path) for method in operations)
    return found


OPERATIONS = _operations()


def _parameters(route: str) -> dict[str, str]:
    names = re.findall(r"{(\w+)}", route)
    return {name: "ch-0123456789ab" if name == "channel_id" else "vid-1" for name in names}


def test_given_the_public_api_then_every_route_is_covered() -> None:
    assert len(OPERATIONS) >= 24  # every route of docs/openapi.json


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
@pytest.mark.parametrize(("module", "method", "route"), OPERATIONS, ids=lambda v: str(v).split(".")[-1])
def test_given_an_unreadable_body_when_any_route_is_called_then_a_4xx_names_the_problem(
    module: str, method: str, route: str, bad: str
) -> None:
    body, encoded, status, words = BAD_BODIES[bad]
    request = Request(method, route, path_parameters=_parameters(route), body=body)
    event = http_event(request, OWNER, signed_in_route=True)
    event["isBase64Encoded"] = encoded
    if bad == "multipart":
        event["headers"]["content-type"] = "multipart/form-data"
    app: Any = importlib.import_module(module).app

    answered, payload = call_handler(app.resolve, event)

    assert (answered, payload) == (status, {"message": payload["message"]})
    assert words in payload["message"]


def test_given_readable_bodies_then_check_body_lets_them_through() -> None:
    for body in ('{"name": "café"}', "[]", "1", '{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH):
        check_body({"body": body, "isBase64Encoded": False})
    for media_type in ("application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"):
        check_body({"body": "{}", "headers": {"Content-Type": media_type}})
    check_body({"body": base64.b64encode("{\"name\": \"café\"}".encode()).decode(), "isBase64Encoded": True})
    check_body({})
    assert json_depth({"a": [1, {"b": []}]}) == 4
