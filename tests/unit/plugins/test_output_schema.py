"""Output schemas: jsonschema with RE2 patterns. Catastrophic patterns in a registered manifest meet crafted
outputs and validation still ends at once; what RE2 cannot run, or a schema too big or deep, is refused."""

from __future__ import annotations

import time
from typing import Any

import pytest

from services.plugins import output_schema
from services.plugins.manifest import ManifestError, PluginManifest
from shared.events import LifecycleCompleted
from tests.unit.plugins.fakes import Harness, manifest, video_processed

# Patterns that take exponential (or high polynomial) time on a backtracking engine, each with an output
# string that makes a backtracking engine try every split before failing, and one that matches.
CATASTROPHIC: list[tuple[str, str, str]] = [
    (r"^(a+)+$", "a" * 40 + "!", "a" * 40),
    (r"^(a|aa)+$", "a" * 4000 + "!", "a" * 4000),
    (r"^(a|a?)+$", "a" * 4000 + "!", "a" * 4000),
    (r"^(x+x+)+y$", "x" * 4000, "x" * 40 + "y"),
    (r"^(\w+\s?)*$", "word " * 800 + "!", "word " * 800),
    (r"^(([a-z])+.)+[A-Z]([a-z])+$", "a" * 4000, "ab" * 20 + "Cd"),
    (
        r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
        "a" * 4000 + "!",
        "someone.else@example.com",
    ),
    (r"(.*a){12}", "a" * 11 + "b" * 4000, "ba" * 12),
]
SAFETY_BOUND_S = 1.0  # far above what RE2 needs; a backtracking engine takes hours on these


def registered(patterns: list[str]) -> PluginManifest:
    """A manifest registered with one string property per pattern (the registry's own parser)."""
    properties = {f"p{i}": {"type": "string", "pattern": p} for i, p in enumerate(patterns)}
    return manifest(
        "regex-trap",
        output_schema={"type": "object", "properties": {"value": {"type": "string"}, **properties},
                       "propertyNames": {"pattern": r"^(v|p)([a-z]+|[0-9]+)+$"}},
    )  # fmt: skip


@pytest.mark.parametrize(("pattern", "adversarial", "matching"), CATASTROPHIC)
def test_given_a_catastrophic_pattern_when_an_output_attacks_it_then_validation_rejects_it_at_once(
    pattern: str, adversarial: str, matching: str
) -> None:
    plugin = registered([pattern])

    started = time.perf_counter()
    rejected = plugin.output_errors({"value": "x", "p0": adversarial})
    accepted = plugin.output_errors({"value": "x", "p0": matching})
    elapsed_ms = (time.perf_counter() - started) * 1000

    print(f"pattern {pattern[:40]!r}: both validations in {elapsed_ms:.2f} ms")
    assert len(rejected) == 1
    assert rejected[0].startswith("/p0: ") and "does not match" in rejected[0]
    assert accepted == []
    assert elapsed_ms < SAFETY_BOUND_S * 1000


def test_given_every_catastrophic_pattern_in_one_manifest_when_the_lifecycle_completes_then_it_ends_at_once(
) -> None:
    harness = Harness(registered([p for p, _, _ in CATASTROPHIC]))
    harness.service.start(video_processed())
    output: dict[str, Any] = {"value": "x", **{f"p{i}": bad for i, (_, bad, _) in enumerate(CATASTROPHIC)}}
    output["v" + "a" * 3000 + "!"] = "an attacking property name"

    started = time.perf_counter()
    harness.answer("regex-trap", output)
    elapsed_ms = (time.perf_counter() - started) * 1000

    print(f"{len(CATASTROPHIC)} catastrophic patterns + propertyNames: completed in {elapsed_ms:.2f} ms")
    [end] = harness.publisher.of_type(LifecycleCompleted)
    result = end.results[0]
    assert result.status == "rejected"
    for index in range(len(CATASTROPHIC)):
        assert f"/p{index}: " in (result.reason or "")
    assert elapsed_ms < SAFETY_BOUND_S * 1000


def string_with(pattern: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"a": {"type": "string", "pattern": pattern}}}


def nested_items(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "array", "items": schema}
    return schema


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        (string_with(r"(a)\1"), "/properties/a/pattern"),
        (string_with(r"^(?=a)"), "not a 'regex'"),
        (string_with("a{1000}{1000}"), "'regex'"),
        (string_with("a" * 1001), "longer than 1000"),
        ({"type": "object", "propertyNames": {"pattern": "(?<!a)b"}}, "/propertyNames/pattern"),
        ({"type": "object", "description": "x" * 17_000}, "over 16384"),
        ({"type": "object", "properties": {"a": nested_items(20)}}, "nested deeper than 16"),
        ({"type": "object", "$ref": "#/$defs/missing"}, "points at nothing"),
        ({"type": "object", "$id": "https://example.com/me"}, "/$id"),
    ],
)
def test_given_a_schema_that_cannot_be_run_safely_when_registered_then_it_is_refused_naming_where(
    schema: dict[str, Any], words: str
) -> None:
    with pytest.raises(ManifestError) as caught:
        manifest("unsafe", output_schema=schema)
    [(field, message)] = caught.value.problems
    assert field == "/output_schema"
    assert words in message, message


def test_given_standard_keywords_when_validating_then_jsonschema_semantics_apply() -> None:
    schema = {
        "type": "object",
        "required": ["tags"],
        "additionalProperties": False,
        "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5}},
        "properties": {
            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 2},
            "score": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }
    output_schema.check_schema(schema)
    assert output_schema.errors(schema, {"tags": ["ok"], "score": None}) == []
    assert output_schema.errors(schema, {"tags": ["UPPER", "toolong"], "extra": 1}) == [
        "/: Additional properties are not allowed ('extra' was unexpected)",
        "/tags/0: 'UPPER' does not match '^[a-z]+$'",
        "/tags/1: 'toolong' is too long",
    ]


def test_given_an_output_over_32_kb_when_validated_then_only_its_size_is_reported() -> None:
    plugin = registered([r"^(a+)+$"])
    problems = plugin.output_errors({"value": "x", "p0": "a" * 40_000 + "!"})
    assert problems == ["/: output is 40022 bytes, over 32768: store it in S3 and output the key"]
