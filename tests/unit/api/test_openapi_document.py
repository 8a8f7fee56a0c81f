"""docs/openapi.json: one document for the public API, generated from every service's resolver."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from services.video.openapi import DOCUMENT, ConflictingDefinitionError, _merge, build_document, render
from services.video.routes import API_ROUTES


def test_given_the_services_resolvers_then_docs_openapi_json_is_current() -> None:
    assert DOCUMENT.read_text() == render(build_document()), "run: python -m services.video.openapi"


def test_given_the_merged_document_then_it_is_valid_openapi_with_every_public_route() -> None:
    document = build_document()
    validate(document)
    paths = set(document["paths"])
    video = {route.path for route in API_ROUTES if route.path not in ("/openapi.json", "/docs")}
    assert video - {"/swagger-ui/{asset}"} <= paths
    assert {
        "/channels",
        "/plugins",
        "/videos/{video_id}/title",
        "/videos/{video_id}/titles/regenerate",
    } <= paths
    operation_ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert "cognito" in document["components"]["securitySchemes"]


def test_given_two_services_defining_one_name_differently_then_the_merge_refuses() -> None:
    schemas = {"Video": {"type": "object"}}
    _merge(schemas, {"Video": {"type": "object"}}, "schema")  # the same definition twice is fine
    with pytest.raises(ConflictingDefinitionError):
        _merge(schemas, {"Video": {"type": "string"}}, "schema")
    assert json.loads(render({"a": 1})) == {"a": 1}
