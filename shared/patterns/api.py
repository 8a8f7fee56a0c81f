"""One-shot matching of a pattern against an event, either given as a dict or as JSON text."""

from __future__ import annotations

import json
from typing import Any

from shared.patterns.compiler import CompiledPattern, compile_pattern


def parse_event(event: dict[str, Any] | str) -> dict[str, Any]:
    """The event as a dict; ValueError when it is not a JSON object."""
    if isinstance(event, str | bytes):
        try:
            event = json.loads(event)
        except json.JSONDecodeError as error:
            raise ValueError(f"event is not valid JSON: {error}") from error
    if not isinstance(event, dict):
        raise ValueError(f"event must be a JSON object, got {type(event).__name__}")
    return event


def matches(pattern: dict[str, Any] | str | CompiledPattern, event: dict[str, Any] | str) -> bool:
    """True when ``event`` matches the EventBridge ``pattern``; InvalidPatternError for a bad pattern."""
    compiled = compile_pattern(pattern)
    return compiled.matches(parse_event(event))
