"""EventBridge Pipes filtering of SQS, Kinesis and DynamoDB stream records.

From the user guide page "Event filtering in Amazon EventBridge Pipes":
- SQS: ``body`` is matched as JSON when it is valid JSON, otherwise as a plain string; a JSON body
  with a plain-string ``body`` pattern, or a plain body with a JSON ``body`` pattern, is dropped.
- Kinesis: ``data`` is base64; decoded valid JSON is matched as JSON. A ``data`` pattern must be
  JSON (an object), else the pipe is rejected at creation; a non-JSON record with a ``data``
  pattern is dropped.
- DynamoDB: the record is matched as it is; a ``dynamodb`` pattern must be an object.
- A pattern without a data-field pattern filters on the metadata fields only.
- Anything-but with prefix, suffix, equals-ignore-case or wildcard is not supported by Pipes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from shared.patterns.compiler import CompiledPattern, compile_pattern
from shared.patterns.errors import InvalidPatternError

PipeSource = Literal["sqs", "kinesis", "dynamodb"]

_DATA_FIELD: dict[str, str] = {"sqs": "body", "kinesis": "data", "dynamodb": "dynamodb"}
_UNSUPPORTED_IN_PIPES = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard"})
_NOT_JSON = object()


def matches_pipe_record(pattern: dict[str, Any] | str, record: dict[str, Any], source: PipeSource) -> bool:
    """True when a Pipes filter ``pattern`` keeps ``record`` from an SQS/Kinesis/DynamoDB source."""
    if source not in _DATA_FIELD:
        raise ValueError(f'source must be "sqs", "kinesis" or "dynamodb", got {source!r}')
    if not isinstance(record, dict):
        raise ValueError(f"record must be a JSON object, got {type(record).__name__}")
    compiled = compile_pattern(pattern)
    spec: dict[str, Any] = json.loads(compiled.source)
    _reject_unsupported_operators(spec, "")
    field = _DATA_FIELD[source]
    data_pattern = spec.get(field)
    if source in ("kinesis", "dynamodb") and data_pattern is not None and not isinstance(data_pattern, dict):
        raise InvalidPatternError(field, f"the {field} pattern of a {source} pipe must be a JSON object")
    if source == "dynamodb" or field not in record:
        return compiled.matches(record)
    return _match_data_field(compiled, record, field, data_pattern, _decode(record[field], source))


def _decode(raw: Any, source: PipeSource) -> Any:
    """The parsed JSON inside a record's data field, or _NOT_JSON."""
    if source == "kinesis":
        if not isinstance(raw, str):
            return _NOT_JSON
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _NOT_JSON
    if not isinstance(raw, str):
        return _NOT_JSON
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return _NOT_JSON


def _match_data_field(
    compiled: CompiledPattern, record: dict[str, Any], field: str, data_pattern: Any, parsed: Any
) -> bool:
    is_json = parsed is not _NOT_JSON
    if data_pattern is not None and isinstance(data_pattern, dict) != is_json:
        return False
    if not is_json:
        return compiled.matches(record)
    return compiled.matches({**record, field: parsed})


def _reject_unsupported_operators(spec: dict[str, Any], display: str) -> None:
    for key, value in spec.items():
        here = f"{display}.{key}" if display else key
        if isinstance(value, dict):
            _reject_unsupported_operators(value, here)
            continue
        for item in value:
            if key == "$or":
                _reject_unsupported_operators(item, here)
            elif isinstance(item, dict) and isinstance(item.get("anything-but"), dict):
                unsupported = sorted(_UNSUPPORTED_IN_PIPES.intersection(item["anything-but"]))
                if unsupported:
                    raise InvalidPatternError(
                        here, f"anything-but/{unsupported[0]} is not supported by EventBridge Pipes"
                    )
