"""Patterns EventBridge refuses are refused here too, with a message naming the field.

Rules come from the user guide (EB-OPS, EB-CONTENT: see test_patterns_docs) and the aws/event-ruler
README and JsonRuleCompiler (RULER): leaf values are arrays, no empty arrays or objects, no
unknown operators, no ``**`` in wildcards, anything-but lists of one type, numeric ranges of the
form [">"|">=", n, "<"|"<=", m] with n < m, ``$or`` with at least two objects.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.patterns import InvalidPatternError, compile_pattern, matches

# (description, pattern, field path the message must start with, words the reason must contain)
INVALID: list[tuple[str, Any, str, str]] = [
    (
        "unknown operator",
        {"detail": {"recording": {"duration_ms": [{"bogus": 1}]}}},
        "detail.recording.duration_ms",
        'unrecognized match type "bogus"',
    ),
    ("!= is not an operator", {"a": [{"!=": "x"}]}, "a", 'unrecognized match type "!="'),
    (
        "leaf is a string, not an array",
        {"source": "svideo.channel"},
        "source",
        "must be an object or an array",
    ),
    ("leaf is a number", {"detail": {"n": 5}}, "detail.n", "must be an object or an array"),
    ("leaf is null", {"detail": {"n": None}}, "detail.n", "must be an object or an array"),
    ("empty leaf array", {"detail": {"state": []}}, "detail.state", "empty arrays are not allowed"),
    ("empty object", {"detail": {}}, "detail", "empty objects are not allowed"),
    ("empty pattern", {}, "<pattern>", "empty objects are not allowed"),
    ("pattern is an array", "[1, 2]", "<pattern>", "must be a JSON object"),
    ("pattern is not JSON", "{source: x}", "<pattern>", "not valid JSON"),
    ("nested array in a leaf", {"a": [["x"]]}, "a", "match values must be"),
    ("two keys in a match expression", {"a": [{"prefix": "x", "suffix": "y"}]}, "a", "exactly one key"),
    ("empty match expression", {"a": [{}]}, "a", "exactly one key"),
    ("prefix of a number", {"a": [{"prefix": 1}]}, "a", "prefix match pattern must be a string"),
    ("suffix of a list", {"a": [{"suffix": ["x"]}]}, "a", "suffix match pattern must be a string"),
    (
        "prefix with an unknown inner operator",
        {"a": [{"prefix": {"wildcard": "x"}}]},
        "a",
        'unsupported prefix pattern "wildcard"',
    ),
    (
        "prefix ignore-case of a number",
        {"a": [{"prefix": {"equals-ignore-case": 3}}]},
        "a",
        "must be a string",
    ),
    ("equals-ignore-case of a number", {"a": [{"equals-ignore-case": 3}]}, "a", "must be a string"),
    ("wildcard **", {"a": [{"wildcard": "abc**def"}]}, "a", "consecutive wildcard"),
    ("wildcard escapes a letter", {"a": [{"wildcard": "a\\bc"}]}, "a", "backslash may only escape"),
    ("wildcard ends with a backslash", {"a": [{"wildcard": "abc\\"}]}, "a", "backslash may only escape"),
    ("wildcard of a number", {"a": [{"wildcard": 5}]}, "a", "must be a string"),
    ("anything-but mixed list", {"a": [{"anything-but": ["x", 1]}]}, "a", "only strings or only numbers"),
    ("anything-but empty list", {"a": [{"anything-but": []}]}, "a", "must not be empty"),
    ("anything-but null", {"a": [{"anything-but": None}]}, "a", "strings or numbers"),
    ("anything-but boolean in a list", {"a": [{"anything-but": [True]}]}, "a", "strings or numbers"),
    (
        "anything-but prefix list of a non-string (lists of prefixes are accepted)",
        {"a": [{"anything-but": {"prefix": ["x", 1]}}]},
        "a",
        "must be strings",
    ),
    ("anything-but empty prefix", {"a": [{"anything-but": {"prefix": ""}}]}, "a", "empty prefix"),
    ("anything-but empty suffix", {"a": [{"anything-but": {"suffix": ""}}]}, "a", "empty suffix"),
    (
        "anything-but numeric inside",
        {"a": [{"anything-but": {"numeric": [">", 1]}}]},
        "a",
        'unsupported anything-but pattern "numeric"',
    ),
    (
        "anything-but ignore-case number",
        {"a": [{"anything-but": {"equals-ignore-case": 1}}]},
        "a",
        "values must be strings",
    ),
    ("anything-but wildcard **", {"a": [{"anything-but": {"wildcard": ["ok*", "x**"]}}]}, "a", "consecutive"),
    ("numeric not an array", {"a": [{"numeric": ">"}]}, "a", "non-empty array"),
    ("numeric empty", {"a": [{"numeric": []}]}, "a", "non-empty array"),
    ("numeric unknown operator", {"a": [{"numeric": ["!=", 5]}]}, "a", 'unrecognized operator "!="'),
    ("numeric odd arity", {"a": [{"numeric": [">", 0, "<"]}]}, "a", "must be followed by a number"),
    ("numeric operator without number", {"a": [{"numeric": [">"]}]}, "a", "must be followed by a number"),
    ("numeric value is a string", {"a": [{"numeric": [">", "5"]}]}, "a", "must be followed by a number"),
    ("numeric value is a boolean", {"a": [{"numeric": ["=", True]}]}, "a", "must be followed by a number"),
    ("numeric = with a second term", {"a": [{"numeric": ["=", 1, "<", 5]}]}, "a", "too many elements"),
    ("numeric < then >", {"a": [{"numeric": ["<", 10, ">", 0]}]}, "a", "too many elements"),
    ("numeric > then >", {"a": [{"numeric": [">", 0, ">", 5]}]}, "a", 'upper bound must use "<" or "<="'),
    ("numeric five terms", {"a": [{"numeric": [">", 0, "<", 5, 6]}]}, "a", "too many elements"),
    ("numeric reversed range", {"a": [{"numeric": [">", 10, "<", 5]}]}, "a", "must be below"),
    ("numeric empty range", {"a": [{"numeric": [">=", 5, "<=", 5]}]}, "a", "must be below"),
    ("numeric beyond 5e9", {"a": [{"numeric": [">", 6e9]}]}, "a", "outside the supported range"),
    ("exists non-boolean", {"a": [{"exists": "true"}]}, "a", "exists must be true or false"),
    ("exists null", {"a": [{"exists": None}]}, "a", "exists must be true or false"),
    ("cidr without prefix length", {"a": [{"cidr": "10.0.0.1"}]}, "a", "malformed CIDR"),
    ("cidr bad address", {"a": [{"cidr": "10.0.0.300/24"}]}, "a", "malformed CIDR"),
    ("cidr prefix length too long", {"a": [{"cidr": "10.0.0.0/33"}]}, "a", "malformed CIDR"),
    ("cidr IPv6 prefix too long", {"a": [{"cidr": "2001:db8::/129"}]}, "a", "malformed CIDR"),
    ("cidr not a string", {"a": [{"cidr": 10}]}, "a", "must be a string"),
    ("$or with one object", {"$or": [{"a": ["x"]}]}, "$or", "at least 2 objects"),
    ("$or not an array", {"$or": {"a": ["x"]}}, "$or", "must be an array of objects"),
    ("$or holding a string", {"$or": [{"a": ["x"]}, "b"]}, "$or[1]", "only objects are allowed"),
    ("$or holding an empty object", {"$or": [{"a": ["x"]}, {}]}, "$or[1]", "empty objects"),
    (
        "operator name as a field inside $or",
        {"$or": [{"numeric": [123]}, {"prefix": ["abc"]}]},
        "$or[0].numeric",
        "operator name",
    ),
    (
        "error inside a nested $or names the branch",
        {"detail": {"$or": [{"a": ["x"]}, {"b": [{"bogus": 1}]}]}},
        "detail.$or[1].b",
        'unrecognized match type "bogus"',
    ),
]


@pytest.mark.parametrize(
    ("description", "pattern", "field_path", "reason"), INVALID, ids=[case[0] for case in INVALID]
)
def test_given_invalid_pattern_when_compiled_then_error_names_the_field(
    description: str, pattern: Any, field_path: str, reason: str
) -> None:
    with pytest.raises(InvalidPatternError) as caught:
        compile_pattern(pattern)
    assert str(caught.value).startswith(f"{field_path}: ")
    assert reason in str(caught.value)
    assert caught.value.field_path == field_path


def test_given_invalid_pattern_when_matched_then_value_error_subclass_is_raised() -> None:
    with pytest.raises(ValueError, match='unrecognized match type "bogus"'):
        matches({"a": [{"bogus": 1}]}, {"a": 1})


@pytest.mark.parametrize("pattern", [None, 5, ["a"], "null"])
def test_given_non_object_pattern_when_compiled_then_rejected(pattern: Any) -> None:
    with pytest.raises(InvalidPatternError, match="must be a JSON object"):
        compile_pattern(pattern)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("[1]", "event must be a JSON object, got list"),
        ("not json", "event is not valid JSON"),
        ('"text"', "got str"),
        (["a"], "got list"),
        (None, "got NoneType"),
    ],
)
def test_given_event_that_is_not_an_object_when_matched_then_value_error(event: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        matches({"a": ["x"]}, event)
    assert not isinstance(caught.value, InvalidPatternError)


VALID_EDGES: list[tuple[str, Any]] = [
    ("numeric at the documented limits", {"a": [{"numeric": [">=", -5.0e9, "<=", 5.0e9]}]}),
    ("prefix may be empty", {"a": [{"prefix": ""}]}),
    ("wildcard with an escaped star then a star", {"a": [{"wildcard": "a\\**"}]}),
    ("anything-but a single number", {"a": [{"anything-but": 1.5}]}),
    ("anything-but ignore-case list", {"a": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}),
    (
        "mixed values and operators in one leaf",
        {"a": ["x", 1, True, None, {"prefix": "p"}, {"exists": False}]},
    ),
    ("$or at several levels", {"$or": [{"a": ["x"]}, {"b": {"$or": [{"c": ["y"]}, {"d": ["z"]}]}}]}),
    ("cidr with host bits set", {"a": [{"cidr": "10.0.0.1/24"}]}),
]


@pytest.mark.parametrize(("description", "pattern"), VALID_EDGES, ids=[case[0] for case in VALID_EDGES])
def test_given_valid_edge_pattern_when_compiled_then_accepted(description: str, pattern: Any) -> None:
    compile_pattern(pattern)


def test_given_compiled_pattern_when_mutated_then_refused() -> None:
    compiled = compile_pattern({"a": ["x"]})
    with pytest.raises(AttributeError):
        compiled.source = "{}"  # type: ignore[misc]
