"""A plugin's output schema: JSON Schema draft 2020-12 checked and applied by `jsonschema`, patterns by RE2.

`jsonschema` checks a schema against the draft's meta-schema at registration and validates outputs. Its
`pattern` keyword (and the meta-schema's `regex` format) is replaced by one that matches with RE2
(`google-re2`): RE2 runs in time linear in the input and never backtracks, so no pattern in a manifest can
stall the lifecycle on a crafted output. RE2 has no backreferences or lookaround; a schema that uses them is
refused at registration, naming the pattern. The schema's size and depth are bounded, `$ref` may point only
inside the schema (nothing is fetched), and `patternProperties` is refused (jsonschema matches its keys with
Python's `re` in `additionalProperties`; `propertyNames: {pattern: ...}` says the same through RE2).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError as MetaSchemaError
from referencing.exceptions import Unresolvable

MAX_SCHEMA_BYTES = 16 * 1024  # as JSON; a manifest's whole output schema
MAX_DEPTH = 16  # nesting of objects and arrays in the schema document
MAX_PATTERN_CHARS = 1000
RE2_MAX_MEM = 1 << 20  # bytes for one compiled pattern; RE2 refuses larger programs at compile time
MAX_MESSAGE_CHARS = 300
REFUSED_KEYWORDS: dict[str, str] = {
    "patternProperties": "use propertyNames: {pattern: ...} with additionalProperties instead",
    "$dynamicRef": "only local $ref is supported",
    "$dynamicAnchor": "only local $ref is supported",
    "$id": "the schema has no identifier of its own; $ref points inside it with #/...",
}


class SchemaError(ValueError):
    """The schema itself is wrong; `path` is a JSON pointer inside the schema."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '/'}: {message}")
        self.path = path
        self.message = message


@lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    """The RE2 program of a pattern (re2.error when RE2 cannot compile it)."""
    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    return re2.compile(pattern, options)


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
        yield ValidationError(f"{_short(instance, 60)} does not match {pattern!r}")


FORMATS = FormatChecker()


@FORMATS.checks("regex", raises=(re2.error,))
def _is_re2_pattern(instance: object) -> bool:
    if isinstance(instance, str):
        if len(instance) > MAX_PATTERN_CHARS:
            raise re2.error(f"longer than {MAX_PATTERN_CHARS} characters")
        compiled(instance)
    return True


OutputValidator = validators.extend(Draft202012Validator, {"pattern": _re2_pattern})


def check_schema(schema: Any) -> None:
    """Raises SchemaError naming the first place where the schema is malformed, too big or unsafe."""
    if not isinstance(schema, dict):
        raise SchemaError("", "a schema is a JSON object")
    size = len(json.dumps(schema, separators=(",", ":")).encode())
    if size > MAX_SCHEMA_BYTES:
        raise SchemaError("", f"is {size} bytes as JSON, over {MAX_SCHEMA_BYTES}")
    _check_shape(schema)
    try:
        Draft202012Validator.check_schema(schema, format_checker=FORMATS)
    except MetaSchemaError as exc:
        where = _pointer(exc.absolute_path)
        cause = f" ({exc.cause})" if exc.cause else ""
        raise SchemaError(where, _short_text(exc.message) + cause) from None


def _check_shape(schema: dict[str, Any]) -> None:
    """Depth, refused keywords and `$ref`s that must resolve inside the schema, without recursion."""
    stack: list[tuple[Any, str, int]] = [(schema, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaError(path, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for keyword, value in node.items():
                here = f"{path}/{_escape(keyword)}"
                if keyword in REFUSED_KEYWORDS and isinstance(value, str | dict):
                    raise SchemaError(here, f"is not supported: {REFUSED_KEYWORDS[keyword]}")
                if keyword == "$ref" and isinstance(value, str):
                    _check_ref(schema, value, here)
                stack.append((value, here, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{path}/{index}", depth + 1) for index, item in enumerate(node))


def _check_ref(schema: dict[str, Any], ref: str, here: str) -> None:
    if ref != "#" and not ref.startswith("#/"):
        raise SchemaError(here, f"{ref!r}: only references inside the schema (#/...) are supported")
    found, _ = resolve_pointer(schema, ref[1:])
    if not found:
        raise SchemaError(here, f"{ref!r} points at nothing in the schema")


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every way `instance` breaks `schema`, as `/pointer: message` (empty when it conforms)."""
    validator = OutputValidator(schema)
    try:
        found = sorted(validator.iter_errors(instance), key=lambda error: (error.json_path, error.message))
    except RecursionError:
        return ["/: the schema refers to itself without consuming the output ($ref loop)"]
    except Unresolvable as exc:
        return [f"/: the schema has an unresolvable $ref: {exc}"]
    return [f"{_pointer(error.absolute_path) or '/'}: {_short_text(error.message)}" for error in found]


def _pointer(parts: Any) -> str:
    return "".join(f"/{_escape(str(part))}" for part in parts)


def _short(value: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    return _short_text(repr(value), limit)


def _short_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
