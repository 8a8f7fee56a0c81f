"""The JSON Schema subset a plugin's output schema may use, checked at registration and applied to outputs.

A subset of draft 2020-12 on purpose: small enough to validate in the Lambda layer without a compiled
dependency, and every schema that passes here means the same thing to any standard validator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

SUPPORTED_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
# keyword → the kinds of value it accepts ("schema", "schemas", "names", "int", "number", "bool", "any", ...)
KEYWORDS: dict[str, str] = {
    "$schema": "string",
    "title": "string",
    "description": "string",
    "examples": "list",
    "type": "type",
    "properties": "schemas",
    "required": "names",
    "additionalProperties": "bool_or_schema",
    "items": "schema",
    "minItems": "int",
    "maxItems": "int",
    "enum": "list",
    "const": "any",
    "minLength": "int",
    "maxLength": "int",
    "pattern": "regex",
    "format": "string",
    "minimum": "number",
    "maximum": "number",
}
MAX_DEPTH = 8


class SchemaError(ValueError):
    """The schema itself is wrong; `path` is a JSON pointer inside the schema."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '/'}: {message}")
        self.path = path
        self.message = message


def check_schema(schema: Any, path: str = "", depth: int = 0) -> None:
    """Raises SchemaError naming the first keyword that is unknown or malformed."""
    if not isinstance(schema, dict):
        raise SchemaError(path, "a schema is a JSON object")
    if depth > MAX_DEPTH:
        raise SchemaError(path, f"nested deeper than {MAX_DEPTH} levels")
    for keyword, value in schema.items():
        here = f"{path}/{keyword}"
        kind = KEYWORDS.get(keyword)
        if kind is None:
            supported = ", ".join(KEYWORDS)
            raise SchemaError(here, f"keyword {keyword!r} is not supported (supported: {supported})")
        _check_keyword(kind, value, here, depth)


def _check_keyword(kind: str, value: Any, here: str, depth: int) -> None:
    if kind == "string" and not isinstance(value, str):
        raise SchemaError(here, "must be a string")
    if kind == "list" and not isinstance(value, list):
        raise SchemaError(here, "must be an array")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise SchemaError(here, "must be a non-negative integer")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise SchemaError(here, "must be a number")
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        if not names or any(name not in SUPPORTED_TYPES for name in names):
            raise SchemaError(here, f"must be one of {sorted(SUPPORTED_TYPES)} or a list of them")
    if kind == "names" and (not isinstance(value, list) or not all(isinstance(n, str) for n in value)):
        raise SchemaError(here, "must be an array of property names")
    if kind == "regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            raise SchemaError(here, f"is not a valid regular expression: {exc}") from exc
    if kind == "schema":
        check_schema(value, here, depth + 1)
    if kind == "bool_or_schema" and not isinstance(value, bool):
        check_schema(value, here, depth + 1)
    if kind == "schemas":
        if not isinstance(value, dict):
            raise SchemaError(here, "must map property names to schemas")
        for name, sub in value.items():
            check_schema(sub, f"{here}/{_escape(name)}", depth + 1)


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every way `instance` breaks `schema`, as `/pointer: message` (empty when it conforms)."""
    return list(_errors(schema, instance, ""))


def _errors(schema: dict[str, Any], value: Any, path: str) -> Iterator[str]:
    where = path or "/"
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in names):
            yield f"{where}: expected {' or '.join(names)}, got {_type_name(value)}"
            return
    if "const" in schema and value != schema["const"]:
        yield f"{where}: must be {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        yield f"{where}: must be one of {schema['enum']!r}"
    if isinstance(value, str):
        yield from _string_errors(schema, value, where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where}: must be >= {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where}: must be <= {schema['maximum']}"
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield f"{where}: needs at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield f"{where}: allows at most {schema['maxItems']} items"
        if "items" in schema:
            for index, item in enumerate(value):
                yield from _errors(schema["items"], item, f"{path}/{index}")
    if isinstance(value, dict):
        yield from _object_errors(schema, value, path)


def _string_errors(schema: dict[str, Any], value: str, where: str) -> Iterator[str]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield f"{where}: shorter than {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield f"{where}: longer than {schema['maxLength']} characters"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        yield f"{where}: does not match {schema['pattern']!r}"


def _object_errors(schema: dict[str, Any], value: dict[str, Any], path: str) -> Iterator[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            yield f"{path}/{_escape(name)}: is required"
    for name, item in value.items():
        if name in properties:
            yield from _errors(properties[name], item, f"{path}/{_escape(name)}")
        elif schema.get("additionalProperties") is False:
            yield f"{path}/{_escape(name)}: is not allowed (additionalProperties is false)"
        elif isinstance(schema.get("additionalProperties"), dict):
            yield from _errors(schema["additionalProperties"], item, f"{path}/{_escape(name)}")


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    checks: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "null": type(None),
    }
    return isinstance(value, checks[name])


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def resolve_pointer(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) for an RFC 6901 pointer; `""` is the whole document."""
    if pointer == "":
        return True, document
    current = document
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return False, None
    return True, current


def schema_at_pointer(schema: dict[str, Any], pointer: str) -> dict[str, Any] | None:
    """The sub-schema that describes the value at `pointer`, or None when the schema cannot have it."""
    current: dict[str, Any] = schema
    for raw in [] if pointer == "" else pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if token in current.get("properties", {}):
            current = current["properties"][token]
        elif token.isdigit() and isinstance(current.get("items"), dict):
            current = current["items"]
        elif isinstance(current.get("additionalProperties"), dict):
            current = current["additionalProperties"]
        else:
            return None
    return current
