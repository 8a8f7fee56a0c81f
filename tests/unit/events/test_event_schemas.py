"""Schema Registry export: valid OpenAPI 3.0 and draft 4, no 2020-12 leftovers, examples round-trip."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_openapi_document

from shared.events.base import AwsEventDetail
from shared.events.registry import ALL_MODELS, model_for
from shared.events.schemas import _convert, registry_schemas, schema_name, to_draft4, to_openapi

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
CANONICAL = [json.loads(p.read_text()) for p in sorted(EVENTS_DIR.rglob("*.json"))]
SVIDEO_MODELS = [m for m in ALL_MODELS if not issubclass(m, AwsEventDetail)]


def keys_anywhere(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for sub in node.values() for k in keys_anywhere(sub)}
    if isinstance(node, list):
        return {k for sub in node for k in keys_anywhere(sub)}
    return set()


def openapi_validator(document: dict[str, Any], component: str) -> OAS30Validator:
    root = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def test_given_the_export_when_listed_then_names_are_source_at_detail_type_for_svideo_events() -> None:
    names = set(registry_schemas())

    assert "svideo.video@Video.StatusChanged" in names
    assert "svideo.plugin@Plugin.Completed" in names
    assert names == {schema_name(m) for m in SVIDEO_MODELS}
    assert not any(name.startswith("aws.") for name in names)
    assert "aws.ivs@IVSRecordingStateChange" in registry_schemas(include_aws=True)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.detail_type)
def test_given_a_model_when_exported_then_it_is_a_valid_openapi_30_document_in_registry_shape(model) -> None:
    document = to_openapi(model)

    validate_openapi_document(document)
    assert document["openapi"] == "3.0.0" and document["paths"] == {}
    aws_event = document["components"]["schemas"]["AWSEvent"]
    assert aws_event["x-amazon-events-source"] == model.source
    assert aws_event["x-amazon-events-detail-type"] == model.detail_type
    assert aws_event["properties"]["detail"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    assert keys_anywhere(document) & {"$defs", "const", "prefixItems", "$schema", "examples"} == set()
    assert "#/$defs/" not in json.dumps(document)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.detail_type)
def test_given_a_model_when_exported_as_draft4_then_the_schema_is_valid_draft4(model) -> None:
    schema = to_draft4(model)

    Draft4Validator.check_schema(schema)
    assert keys_anywhere(schema) & {"$defs", "const", "prefixItems"} == set()


@pytest.mark.parametrize("raw", CANONICAL, ids=lambda e: e["detail-type"])
def test_given_a_canonical_event_when_checked_against_the_exported_schemas_then_it_validates(raw) -> None:
    model = model_for(raw["source"], raw["detail-type"])
    document = to_openapi(model)

    openapi_validator(document, "AWSEvent").validate(raw)
    Draft4Validator(to_draft4(model), format_checker=FormatChecker()).validate(raw["detail"])
    model.model_validate(raw["detail"])


@pytest.mark.parametrize(
    ("detail_type", "field", "value"),
    [
        ("Video.Processed", "compute", "ec2"),
        ("Video.StatusChanged", "to", None),
        ("Recording.Ended", "video_id", "has spaces"),
        ("Broadcast.Ended", "ended_at", "not a time"),
    ],
)
def test_given_a_bad_detail_when_checked_against_the_exported_schema_then_it_is_rejected(
    detail_type: str, field: str, value: Any
) -> None:
    raw = next(e for e in CANONICAL if e["detail-type"] == detail_type)
    raw = json.loads(json.dumps(raw))
    raw["detail"][field] = value
    model = model_for(raw["source"], raw["detail-type"])

    assert list(openapi_validator(to_openapi(model), model.__name__).iter_errors(raw["detail"]))
    assert list(Draft4Validator(to_draft4(model), format_checker=FormatChecker()).iter_errors(raw["detail"]))


def test_given_a_nullable_field_when_exported_then_openapi_uses_nullable_and_keeps_null_valid() -> None:
    document = to_openapi(model_for("svideo.video", "Video.StatusChanged"))
    from_status = document["components"]["schemas"]["VideoStatusChanged"]["properties"]["from"]

    assert from_status["nullable"] is True
    assert "anyOf" not in from_status


@pytest.mark.parametrize(
    ("schema_2020", "openapi_30"),
    [
        ({"const": "1", "type": "string"}, {"enum": ["1"], "type": "string"}),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, {"type": "integer", "nullable": True}),
        ({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}, {"nullable": True, "allOf": [{"$ref": "#/x"}]}),
        ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
        (
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        ),
        (
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        ({"$ref": "#/x", "description": "d"}, {"allOf": [{"$ref": "#/x"}], "description": "d"}),
        ({"type": "string", "examples": ["a", "b"], "$comment": "c"}, {"type": "string", "example": "a"}),
        (
            {"type": "object", "properties": {"const": {"const": 1}, "examples": {"type": "string"}}},
            {"type": "object", "properties": {"const": {"enum": [1]}, "examples": {"type": "string"}}},
        ),
    ],
)
def test_given_2020_12_keywords_when_converted_then_openapi_30_equivalents_come_out(
    schema_2020: dict[str, Any], openapi_30: dict[str, Any]
) -> None:
    assert _convert(schema_2020, "openapi3") == openapi_30


def test_given_two_exports_when_one_is_mutated_then_the_other_is_unchanged() -> None:
    first, second = registry_schemas(), registry_schemas()
    first["svideo.video@Video.Published"]["info"]["title"] = "changed"

    assert second["svideo.video@Video.Published"]["info"]["title"] == "svideo.video@Video.Published"
    assert json.dumps(registry_schemas(), sort_keys=True) == json.dumps(second, sort_keys=True)


def test_given_the_export_then_every_schema_name_fits_the_registry_name_rules() -> None:
    # Registry schema names: at most 385 of letters, '.', '-', '_' and '@'.
    names = registry_schemas(include_aws=True)

    assert [name for name in names if not re.fullmatch(r"[A-Za-z._@-]{1,385}", name)] == []
