"""EventBridge target input (Input, InputPath, InputTransformer) and Pipes InputTemplate, the AWS way.

Behaviour taken from the EventBridge user guide ("Amazon EventBridge input transformation", its "Common
issues" section, and "Amazon EventBridge Pipes input transformation"), with the details the guide leaves
open taken from responses recorded against AWS:

- a placeholder standing alone as a JSON value is rendered as JSON: strings are quoted, objects and arrays are
  inlined, numbers/booleans/null stay literal; a path missing from the event renders as `""` there;
- inside a JSON string a placeholder is inserted raw and unescaped (AWS does not escape extracted values):
  an object or array keeps its quotes there, so the rendered template is invalid JSON and the event is
  dropped for that target ("can only be used as a value for a JSON field, as its contents are not
  escaped"); in a plain-text template objects and arrays lose their internal quotes
  ("Detail is {key1: value1}"); a missing path renders as nothing;
- a template that starts with `{` or `[` must render valid JSON, otherwise the event is not delivered
  (error code INVALID_JSON, not retried); any other template is plain text and placeholders are inserted raw;
- `<aws.events.event>` is the event without `detail`, with `detail-type` named `detailType`;
  `<aws.events.event.json>` is the whole event; both are meant as JSON values;
- PutTargets rejects a template placeholder that names no variable:
  "InputTemplate for target <id> contains invalid placeholder <name>."
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_INPUT_PATHS = 100
EVENTS_PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
PIPES_PREDEFINED = (
    "aws.pipes.pipe-arn",
    "aws.pipes.pipe-name",
    "aws.pipes.source-arn",
    "aws.pipes.enrichment-arn",
    "aws.pipes.target-arn",
    "aws.pipes.event.ingestion-time",
    "aws.pipes.event",
    "aws.pipes.event.json",
)

_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
# The JSONPath subset AWS documents: dots, dashes, underscores, alphanumerics, slashes, indices, wildcards.
_PATH = re.compile(r"^\$(?:\.(?:[A-Za-z0-9_\-/:@]+|\*)|\[(?:\d+|\*)\])*$")
_PATH_STEP = re.compile(r"\.([A-Za-z0-9_\-/:@]+|\*)|\[(\d+|\*)\]")
_MISSING = object()


class TransformError(Exception):
    """The event cannot be rendered for the target; `code` is the DLQ ERROR_CODE AWS uses."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TargetInputInvalid(ValueError):
    """A target's Input/InputPath/InputTransformer that PutTargets must reject (ValidationException)."""


# ---------------------------------------------------------------- JSONPath subset


def is_valid_path(path: str) -> bool:
    return bool(_PATH.match(path))


def extract_path(document: Any, path: str) -> Any:
    """The value at `path`, a list for wildcard paths, or `_MISSING` when the path is not in the document."""
    if not is_valid_path(path):
        return _MISSING
    values: list[Any] = [document]
    wildcard = False
    for match in _PATH_STEP.finditer(path[1:]):
        key, index = match.group(1), match.group(2)
        step = key if key is not None else index
        next_values: list[Any] = []
        for value in values:
            if step == "*":
                wildcard = True
                if isinstance(value, dict):
                    next_values.extend(value.values())
                elif isinstance(value, list):
                    next_values.extend(value)
            elif index is not None and isinstance(value, list):
                position = int(index)
                if position < len(value):
                    next_values.append(value[position])
            elif key is not None and isinstance(value, dict) and key in value:
                next_values.append(value[key])
        values = next_values
    if wildcard:
        return values
    return values[0] if values else _MISSING


# ---------------------------------------------------------------- validation at PutTargets


def validate_target_input(target: Mapping[str, Any]) -> None:
    """What PutTargets checks about a target's input; raises TargetInputInvalid with AWS's message."""
    target_id = target.get("Id", "")
    given = [name for name in ("Input", "InputPath", "InputTransformer") if target.get(name) is not None]
    if len(given) > 1:
        raise TargetInputInvalid(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if "Input" in given:
        try:
            json.loads(target["Input"])
        except (TypeError, ValueError) as exc:
            raise TargetInputInvalid(f"Input for target {target_id} must be valid JSON text.") from exc
    if "InputPath" in given and not is_valid_path(str(target["InputPath"])):
        raise TargetInputInvalid(f"Invalid InputPath for target {target_id}.")
    transformer = target.get("InputTransformer")
    if transformer is not None:
        validate_input_transformer(str(target_id), transformer)


def validate_input_transformer(target_id: str, transformer: Mapping[str, Any]) -> None:
    template = transformer.get("InputTemplate")
    if not isinstance(template, str) or not template:
        raise TargetInputInvalid(f"InputTemplate for target {target_id} must be specified.")
    paths = transformer.get("InputPathsMap") or {}
    if not isinstance(paths, Mapping):
        raise TargetInputInvalid(f"InputPathsMap for target {target_id} must be a map.")
    if len(paths) > MAX_INPUT_PATHS:
        raise TargetInputInvalid(
            f"InputPathsMap for target {target_id} has more than {MAX_INPUT_PATHS} entries."
        )
    for name, path in paths.items():
        if name.lower().startswith("aws.") or name in EVENTS_PREDEFINED:
            raise TargetInputInvalid(
                f"InputPathsMap for target {target_id} contains invalid key {name}: "
                "keys starting with aws. are reserved."
            )
        if not isinstance(path, str) or not is_valid_path(path):
            raise TargetInputInvalid(
                f"InputPathsMap for target {target_id} contains invalid JSONPath {path} for key {name}."
            )
    for placeholder in _PLACEHOLDER.findall(template):
        if placeholder not in paths and placeholder not in EVENTS_PREDEFINED:
            raise TargetInputInvalid(
                f"InputTemplate for target {target_id} contains invalid placeholder {placeholder}."
            )


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RuleContext:
    """What the predefined `aws.events.*` variables refer to for one delivery."""

    rule_arn: str
    rule_name: str
    ingestion_time: str


def render_target_input(
    target: Mapping[str, Any], event: Mapping[str, Any], rule: RuleContext, *, event_json: str | None = None
) -> str | None:
    """The payload string the target receives, or None when AWS sends nothing (InputPath not in the event).

    `event_json`, when given, is `event` already serialised as compact JSON (the whole-event payload).
    Raises TransformError when a JSON template renders invalid JSON."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        value = extract_path(event, str(target["InputPath"]))
        return None if value is _MISSING else json.dumps(value, separators=(",", ":"))
    transformer = target.get("InputTransformer")
    if transformer is None:
        return event_json if event_json is not None else json.dumps(event, separators=(",", ":"))
    variables: dict[str, Any] = {
        name: extract_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    variables.update(_events_predefined(event, rule))
    return render_template(str(transformer["InputTemplate"]), variables)


def _events_predefined(event: Mapping[str, Any], rule: RuleContext) -> dict[str, Any]:
    without_detail = {
        ("detailType" if key == "detail-type" else key): value
        for key, value in event.items()
        if key != "detail"
    }
    without_detail["time"] = rule.ingestion_time
    return {
        "aws.events.rule-arn": rule.rule_arn,
        "aws.events.rule-name": rule.rule_name,
        "aws.events.event.ingestion-time": rule.ingestion_time,
        "aws.events.event": without_detail,
        "aws.events.event.json": dict(event),
    }


def render_template(template: str, variables: Mapping[str, Any]) -> str:
    """Substitute `<name>` placeholders (unknown names stay as written) the way EventBridge does."""
    json_shaped = template.lstrip().startswith(("{", "["))
    out: list[str] = []
    in_string = False
    position = 0
    length = len(template)
    while position < length:
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match and match.group(1) in variables:
                value = variables[match.group(1)]
                as_json_value = json_shaped and not in_string
                if as_json_value:
                    out.append(_as_json_value(value))
                elif json_shaped and isinstance(value, dict | list):
                    out.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
                else:
                    out.append(_as_text(value))
                position = match.end()
                continue
        if in_string and char == "\\" and position + 1 < length:
            out.append(template[position : position + 2])
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        position += 1
    rendered = "".join(out)
    if json_shaped:
        try:
            json.loads(rendered)
        except ValueError as exc:
            raise TransformError("INVALID_JSON", f"Transformed input is not valid JSON: {exc}") from exc
    return rendered


def _as_json_value(value: Any) -> str:
    if value is _MISSING:
        return '""'
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _as_text(value: Any) -> str:
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace('"', "")
    return json.dumps(value)


# ---------------------------------------------------------------- Pipes


def render_pipe_template(template: str, record: Any, context: Mapping[str, str]) -> str:
    """A Pipes InputTemplate: `<$.path>` placeholders on the record (SQS `body` / Kinesis `data` parsed when
    they hold JSON) and `<aws.pipes.*>` variables.

    `context` keys: pipe-arn, pipe-name, source-arn, enrichment-arn, target-arn, ingestion-time (ISO 8601)."""
    parsed = parse_pipe_record(record)
    variables: dict[str, Any] = {
        "aws.pipes.pipe-arn": context.get("pipe-arn", ""),
        "aws.pipes.pipe-name": context.get("pipe-name", ""),
        "aws.pipes.source-arn": context.get("source-arn", ""),
        "aws.pipes.enrichment-arn": context.get("enrichment-arn", ""),
        "aws.pipes.target-arn": context.get("target-arn", ""),
        "aws.pipes.event.ingestion-time": context.get("ingestion-time", ""),
        "aws.pipes.event": record,
        "aws.pipes.event.json": parsed if _is_json_document(parsed) else _MISSING,
    }
    for placeholder in _PLACEHOLDER.findall(template):
        if placeholder.startswith("$"):
            variables[placeholder] = extract_path(parsed, placeholder)
    return render_template(template, variables)


def parse_pipe_record(record: Any) -> Any:
    """A copy of the record with JSON-escaped SQS `body` and base64 Kinesis `data` decoded, as Pipes do for
    filtering and input templates."""
    if not isinstance(record, dict):
        return record
    parsed = dict(record)
    body = parsed.get("body")
    if isinstance(body, str):
        decoded = _json_or_missing(body)
        if decoded is not _MISSING:
            parsed["body"] = decoded
    kinesis = parsed.get("kinesis")
    if isinstance(kinesis, dict) and isinstance(kinesis.get("data"), str):
        parsed["kinesis"] = {**kinesis, "data": _base64_json(kinesis["data"])}
    elif isinstance(parsed.get("data"), str):
        parsed["data"] = _base64_json(parsed["data"])
    return parsed


def _base64_json(data: str) -> Any:
    try:
        text = base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return data
    decoded = _json_or_missing(text)
    return data if decoded is _MISSING else decoded


def _json_or_missing(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def _is_json_document(value: Any) -> bool:
    return isinstance(value, dict | list)
