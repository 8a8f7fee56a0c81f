"""EventBridge forms beyond the user guide's examples, as AWS and aws/event-ruler answer them.

- ``anything-but`` with a list of prefixes, suffixes or wildcards (ruler's ``anythingButPrefix``
  and ``anythingButSuffix`` sets, EventBridge since 2024);
- keys containing dots, in the pattern and in the event: ruler flattens both to dot-joined names;
- wildcard validation: ``**``, bad escapes, and ruler's MachineComplexityEvaluator (its own test
  table, ``MachineComplexityEvaluatorTest``, is copied below with its expected figures);
- ``$or`` at the top level of a pattern, alone or beside other fields.

Each case is checked one-shot and through ``PatternIndex`` so both paths give AWS's answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.patterns import InvalidPatternError, PatternIndex, compile_pattern, matches
from shared.patterns.compiler import WILDCARD_COMPLEXITY, wildcard_complexity

# (description, pattern, event, expected)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # anything-but with lists of prefixes / suffixes / wildcards
    (
        "anything-but prefix list, one listed prefix",
        {"x": [{"anything-but": {"prefix": ["a", "b"]}}]},
        {"x": "apple"},
        False,
    ),
    (
        "anything-but prefix list, other listed prefix",
        {"x": [{"anything-but": {"prefix": ["a", "b"]}}]},
        {"x": "banana"},
        False,
    ),
    (
        "anything-but prefix list, no listed prefix",
        {"x": [{"anything-but": {"prefix": ["a", "b"]}}]},
        {"x": "cherry"},
        True,
    ),
    (
        "anything-but prefix list of one",
        {"x": [{"anything-but": {"prefix": ["init"]}}]},
        {"x": "running"},
        True,
    ),
    (
        "anything-but prefix list, array value one excluded",
        {"x": [{"anything-but": {"prefix": ["a"]}}]},
        {"x": ["apple", "cherry"]},
        True,
    ),
    (
        "anything-but suffix list, listed suffix",
        {"f": [{"anything-but": {"suffix": [".png", ".jpg"]}}]},
        {"f": "a.jpg"},
        False,
    ),
    (
        "anything-but suffix list, no listed suffix",
        {"f": [{"anything-but": {"suffix": [".png", ".jpg"]}}]},
        {"f": "a.gif"},
        True,
    ),
    (
        "anything-but suffix list, field missing",
        {"f": [{"anything-but": {"suffix": [".png"]}}]},
        {"g": "a.gif"},
        False,
    ),
    (
        "anything-but wildcard list, matches one",
        {"p": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"p": "/usr/bin/ls"},
        False,
    ),
    (
        "anything-but wildcard list, matches none",
        {"p": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"p": "/home/me"},
        True,
    ),
    (
        "anything-but wildcard single",
        {"p": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"p": "/usr/lib/x"},
        False,
    ),
    (
        "anything-but equals-ignore-case list",
        {"s": [{"anything-but": {"equals-ignore-case": ["ON", "off"]}}]},
        {"s": "Off"},
        False,
    ),
    # dotted keys
    ("dotted pattern key, nested event", {"detail.state": ["on"]}, {"detail": {"state": "on"}}, True),
    (
        "dotted pattern key, nested event, other value",
        {"detail.state": ["on"]},
        {"detail": {"state": "off"}},
        False,
    ),
    ("nested pattern, dotted event key", {"detail": {"state": ["on"]}}, {"detail.state": "on"}, True),
    ("dotted pattern key, dotted event key", {"a.b": ["x"]}, {"a.b": "x"}, True),
    ("dotted inside nested pattern", {"detail": {"a.b": [1]}}, {"detail": {"a": {"b": 1}}}, True),
    ("dotted event key inside nested event", {"detail": {"a": {"b": [1]}}}, {"detail": {"a.b": 1}}, True),
    ("three-level dotted key", {"a.b.c": [{"prefix": "v"}]}, {"a": {"b": {"c": "value"}}}, True),
    (
        "dotted key and nested key on one field: both hold",
        {"a.b": ["x"], "a": {"b": ["y"]}},
        {"a": {"b": ["x", "y"]}},
        True,
    ),
    (
        "dotted key and nested key on one field: one holds",
        {"a.b": ["x"], "a": {"b": ["y"]}},
        {"a": {"b": "x"}},
        False,
    ),
    (
        "dotted and nested siblings merge",
        {"detail.a": [1], "detail": {"b": [2]}},
        {"detail": {"a": 1, "b": 2}},
        True,
    ),
    (
        "dotted event key and nested key give both values",
        {"a": {"b": ["y"]}},
        {"a.b": "x", "a": {"b": "y"}},
        True,
    ),
    ("scalar field beside a dotted key under it", {"a": ["x"]}, {"a": "x", "a.b": 1}, True),
    ("dotted key beside a scalar field above it", {"a": {"b": [1]}}, {"a": "x", "a.b": 1}, True),
    ("dotted key before a scalar field above it", {"a": ["x"]}, {"a.b": 1, "a": "x"}, True),
    ("exists false on a dotted key", {"a.b": [{"exists": False}]}, {"a": {"c": 1}}, True),
    (
        "exists false on a dotted key, present dotted in event",
        {"a.b": [{"exists": False}]},
        {"a.b": 1},
        False,
    ),
    ("dotted key inside $or", {"$or": [{"a.b": ["x"]}, {"c": ["y"]}]}, {"a": {"b": "x"}}, True),
    # top-level $or
    (
        "top-level $or, first branch",
        {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]},
        {"source": "a", "detail-type": "z"},
        True,
    ),
    (
        "top-level $or, second branch",
        {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]},
        {"source": "x", "detail-type": "b"},
        True,
    ),
    (
        "top-level $or, no branch",
        {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]},
        {"source": "x", "detail-type": "y"},
        False,
    ),
    (
        "top-level $or with nested branches",
        {"$or": [{"detail": {"n": [{"numeric": [">", 5]}]}}, {"detail": {"s": ["on"]}}]},
        {"detail": {"n": 3, "s": "on"}},
        True,
    ),
    (
        "top-level $or beside a field",
        {"source": ["a"], "$or": [{"x": [1]}, {"y": [2]}]},
        {"source": "a", "y": 2},
        True,
    ),
    (
        "top-level $or beside a field, field fails",
        {"source": ["a"], "$or": [{"x": [1]}, {"y": [2]}]},
        {"source": "b", "y": 2},
        False,
    ),
    (
        "top-level $or, three branches with exists",
        {"$or": [{"a": [{"exists": True}]}, {"b": [1]}, {"c": [{"prefix": "z"}]}]},
        {"c": "zz"},
        True,
    ),
]


@pytest.mark.parametrize(("description", "pattern", "event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_given_aws_form_when_matched_then_aws_outcome_one_shot_and_through_the_index(
    description: str, pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected
    index = PatternIndex()
    index.add("rule", pattern)
    index.add("other", {"source": ["never.this"]})
    assert index.match(event) == (["rule"] if expected else [])


# ruler's MachineComplexityEvaluatorTest: (wildcards of one field, the most prefixes one input is in)
RULER_COMPLEXITY = [
    (["*"], 1),
    (["*", "ab*c"], 3),
    (["abc"], 1),
    (["*ab"], 2),
    (["*aa"], 3),
    (["a*b"], 2),
    (["aa*"], 2),
    (["a*bc"], 2),
    (["a*bb"], 3),
    (["a*bcb"], 3),
    (["a*bbb"], 4),
    (["*ab*ad"], 4),
    (["*ab*d"], 3),
    (["*aba*"], 4),
    (["a*b*bb"], 5),
    (["a*b*cb"], 4),
    (["a*b*cd"], 3),
    (["a*b*b"], 4),
    (["a*bb*"], 4),
    (["ab*b*"], 3),
    (["ab*c", "x*xx"], 3),
    (["*abc", "*abcde"], 4),
    (["a*bcd", "ab*cd"], 4),
    (["a*bc", "a*bcde"], 4),
    (["a*aaa", "aa*aa"], 7),
    (["a*bc", "abc*d"], 4),
    (["a*aaa", "aaa*a"], 6),
    (["a*aax", "aaa*x"], 5),
    (["a*bc", "abc*"], 4),
    (["a*aa", "aaa*"], 5),
    (["abc*", "abcde*"], 3),
    (["ab*cd", "ab*wx", "ab*yz"], 6),
    (["*ab*b*b*"], 7),
    (["*a*a*a*a*a*a*a*a*"], 17),
    (["ab*c", "ab*c"], 2),
]


@pytest.mark.parametrize(
    ("wildcards", "expected"), RULER_COMPLEXITY, ids=[" ".join(w) for w, _ in RULER_COMPLEXITY]
)
def test_given_ruler_complexity_table_when_evaluated_then_same_figure(
    wildcards: list[str], expected: int
) -> None:
    assert wildcard_complexity(wildcards) == expected


REJECTED_WILDCARDS = [
    ("consecutive stars", {"a": [{"wildcard": "abc**def"}]}, "consecutive wildcard"),
    ("consecutive stars at the start", {"a": [{"wildcard": "**"}]}, "consecutive wildcard"),
    ("escaped letter", {"a": [{"wildcard": "a\\bc"}]}, "backslash may only escape"),
    ("trailing backslash", {"a": [{"wildcard": "abc\\"}]}, "backslash may only escape"),
    ("not a string", {"a": [{"wildcard": ["a*"]}]}, "must be a string"),
    ("too complex", {"a": [{"wildcard": "*a" * 60}]}, "Rule is too complex"),
    (
        "too complex across one field's wildcards",
        {"a": [{"wildcard": "*a" * 40 + "*"}, {"wildcard": "*a" * 39 + "*b"}]},
        "Rule is too complex",
    ),
    (
        "anything-but wildcard with stars",
        {"a": [{"anything-but": {"wildcard": ["ok*", "x**"]}}]},
        "consecutive",
    ),
    (
        "anything-but wildcard too complex",
        {"a": [{"anything-but": {"wildcard": ["*a" * 60]}}]},
        "too complex",
    ),
    (
        "anything-but prefix list with a number",
        {"a": [{"anything-but": {"prefix": ["a", 1]}}]},
        "must be strings",
    ),
    ("anything-but prefix empty list", {"a": [{"anything-but": {"prefix": []}}]}, "must not be empty"),
    (
        "anything-but suffix list with an empty suffix",
        {"a": [{"anything-but": {"suffix": ["x", ""]}}]},
        "empty suffix",
    ),
]


@pytest.mark.parametrize(
    ("description", "pattern", "reason"), REJECTED_WILDCARDS, ids=[c[0] for c in REJECTED_WILDCARDS]
)
def test_given_pattern_aws_rejects_when_compiled_then_invalid_with_reason(
    description: str, pattern: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidPatternError, match=reason):
        compile_pattern(pattern)


ACCEPTED_WILDCARDS = [
    {"a": [{"wildcard": "*a*a*a*a*a*a*a*a*"}]},
    {"a": [{"wildcard": "a\\**"}]},
    {"a": [{"wildcard": "a\\\\*"}]},
    {"a": [{"wildcard": "*" + "a*" * 49}]},
]


@pytest.mark.parametrize("pattern", ACCEPTED_WILDCARDS, ids=range(len(ACCEPTED_WILDCARDS)))
def test_given_wildcard_within_aws_limits_when_compiled_then_accepted(pattern: dict[str, Any]) -> None:
    compiled = compile_pattern(pattern)
    assert compiled is not None


def test_given_long_repeating_wildcard_when_evaluated_then_complexity_is_past_the_limit() -> None:
    assert wildcard_complexity(["*a" * 60]) > WILDCARD_COMPLEXITY
    assert wildcard_complexity(["*" + "a*" * 49]) <= WILDCARD_COMPLEXITY
