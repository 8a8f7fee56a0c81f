"""Schema Registry export: pydantic's JSON Schema 2020-12 converted to OpenAPI 3.0 (or JSON Schema draft 4).

The EventBridge Schema Registry accepts only `OpenApi3` and `JSONSchemaDraft4` documents. The conversion
moves `$defs` to `components/schemas` (or `definitions`), turns `const` into a one-value `enum`, nullable
`anyOf` into `nullable: true`, numeric `exclusiveMinimum` into the boolean form, wraps `$ref` that has
siblings in `allOf`, and drops keywords the older dialects lack.
"""

from __future__ import annotations

from typing import Any, Literal

from shared.events.base import SCHEMA_VERSION, AwsEventDetail, EventDetail
from shared.events.registry import ALL_MODELS

Dialect = Literal["openapi3", "draft4"]

_UNSUPPORTED = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "contentEncoding",
        "contentMediaType",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "contains",
        "minContains",
        "maxContains",
        "if",
        "then",
        "else",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
_SCHEMA_LISTS = frozenset({"allOf", "oneOf", "anyOf"})
_SCHEMA_VALUES = frozenset({"items", "additionalProperties", "not"})


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "null" and len(node) == 1


def _convert(node: Any, dialect: Dialect) -> Any:
    """One schema object, recursively; keys of `properties` are names, not keywords."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _UNSUPPORTED or key == "$defs":
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "examples":
            if dialect == "openapi3" and isinstance(value, list) and value:
                out["example"] = value[0]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "prefixItems":
            items = [_convert(item, dialect) for item in value]
            out["items"] = items if dialect == "draft4" else {"anyOf": items}
            out.setdefault("minItems", len(items))
            out.setdefault("maxItems", len(items))
        elif key == "patternProperties" and dialect == "openapi3":
            # OpenAPI 3.0 lacks patternProperties: keep the value schema, key pattern in an extension.
            (pattern, sub), *others = value.items()
            out["additionalProperties"] = _convert(sub if not others else {}, dialect)
            out["x-key-pattern"] = pattern
        elif key in _SCHEMA_MAPS:
            out[key] = {name: _convert(sub, dialect) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_convert(sub, dialect) for sub in value]
        elif key in _SCHEMA_VALUES:
            out[key] = _convert(value, dialect)
        else:
            out[key] = value
    if dialect == "openapi3":
        out = _openapi_nullable(out)
    if "$ref" in out and len(out) > 1:
        # Both dialects ignore siblings of $ref: keep the ref in allOf so descriptions and defaults survive.
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    return out


def _openapi_nullable(node: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 has no `null` type: `anyOf: [X, null]` and `type: [X, null]` become `nullable: true`."""
    types = node.get("type")
    if isinstance(types, list):
        rest = [t for t in types if t != "null"]
        if len(rest) < len(types):
            node["nullable"] = True
        if len(rest) == 1:
            node["type"] = rest[0]
        else:
            del node["type"]
            node["anyOf"] = [{"type": t} for t in rest]
    options = node.get("anyOf")
    if isinstance(options, list) and any(_is_null(option) for option in options):
        rest = [option for option in options if not _is_null(option)]
        del node["anyOf"]
        node["nullable"] = True
        if len(rest) == 1 and "$ref" not in rest[0]:
            node = {**rest[0], **node}
        elif len(rest) == 1:
            node["allOf"] = rest
        else:
            node["anyOf"] = rest
    return node


def _model_schemas(model: type[EventDetail], dialect: Dialect) -> tuple[dict[str, Any], dict[str, Any]]:
    """(detail schema, referenced definitions), with refs pointing where the dialect keeps definitions."""
    template = "#/components/schemas/{model}" if dialect == "openapi3" else "#/definitions/{model}"
    raw = model.model_json_schema(by_alias=True, ref_template=template, mode="validation")
    definitions = {name: _convert(sub, dialect) for name, sub in raw.get("$defs", {}).items()}
    return _convert(raw, dialect), definitions


def to_draft4(model: type[EventDetail]) -> dict[str, Any]:
    """The detail's JSON Schema in draft 4 (`definitions`, boolean exclusive bounds, no `const`)."""
    schema, definitions = _model_schemas(model, "draft4")
    document = {"$schema": "http://json-schema.org/draft-04/schema#", **schema}
    if definitions:
        document["definitions"] = definitions
    return document


def schema_name(model: type[EventDetail]) -> str:
    """Registry schema name `<source>@<DetailType>` (spaces dropped, as AWS names its own)."""
    return f"{model.source}@{model.detail_type.replace(' ', '')}"


def _aws_event(model: type[EventDetail], detail_ref: str) -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "type": "object",
        "required": [
            "detail-type",
            "resources",
            "detail",
            "id",
            "source",
            "time",
            "region",
            "version",
            "account",
        ],
        "x-amazon-events-detail-type": model.detail_type,
        "x-amazon-events-source": model.source,
        "properties": {
            "detail": {"$ref": f"#/components/schemas/{detail_ref}"},
            "account": string,
            "detail-type": string,
            "id": string,
            "region": string,
            "resources": {"type": "array", "items": string},
            "source": string,
            "time": {"type": "string", "format": "date-time"},
            "version": string,
        },
    }


def to_openapi(model: type[EventDetail]) -> dict[str, Any]:
    """An OpenAPI 3.0 document in the Schema Registry's shape: `AWSEvent` plus the detail's components."""
    detail, definitions = _model_schemas(model, "openapi3")
    detail_name = model.__name__
    summary = (model.__doc__ or model.detail_type).strip().splitlines()[0]
    return {
        "openapi": "3.0.0",
        "info": {"title": schema_name(model), "version": f"{SCHEMA_VERSION}.0.0", "description": summary},
        "paths": {},
        "components": {
            "schemas": {"AWSEvent": _aws_event(model, detail_name), detail_name: detail, **definitions},
        },
    }


def registry_schemas(include_aws: bool = False) -> dict[str, dict[str, Any]]:
    """Schema name → OpenAPI 3.0 document for every svideo event (AWS's own are in `aws.events` already)."""
    return {
        schema_name(model): to_openapi(model)
        for model in ALL_MODELS
        if include_aws or not issubclass(model, AwsEventDetail)
    }
