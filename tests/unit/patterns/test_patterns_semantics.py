"""Edge semantics the user guide and event-ruler state, and where naive matchers slip.

Type strictness (a JSON boolean is not a number), numbers compared numerically, operators that
only test leaves, ``exists: false`` judged on the whole event, anything-but on absent fields and
on event arrays, and array-consistent matching of arrays of objects.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.patterns import matches

CASES: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("[1] does not match true", {"a": [1]}, {"a": True}, False),
    ("[0] does not match false", {"a": [0]}, {"a": False}, False),
    ("[true] does not match 1", {"a": [True]}, {"a": 1}, False),
    ("[true] matches true", {"a": [True]}, {"a": True}, True),
    ("[false] matches false only", {"a": [False]}, {"a": None}, False),
    ("numeric never matches a boolean", {"a": [{"numeric": [">", 0]}]}, {"a": True}, False),
    ("numeric = 1 does not match true", {"a": [{"numeric": ["=", 1]}]}, {"a": True}, False),
    ("300 equals 300.0", {"a": [300]}, {"a": 300.0}, True),
    ("3.0e2 equals 300", {"a": [3.0e2]}, {"a": 300}, True),
    ("number pattern does not match a numeric string", {"a": [300]}, {"a": "300"}, False),
    ("string pattern does not match a number", {"a": ["300"]}, {"a": 300}, False),
    ("string pattern does not match true", {"a": ["true"]}, {"a": True}, False),
    ("large account numbers compare exactly", {"account": [123456789012]}, {"account": 123456789012}, True),
    ("numeric outside 5e9 does not match", {"a": [{"numeric": [">", 0]}]}, {"a": 6e9}, False),
    ("numeric range: lower bound open", {"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 0}, False),
    ("numeric range: upper bound closed", {"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
    ("numeric >= includes the bound", {"a": [{"numeric": [">=", 5]}]}, {"a": 5}, True),
    ("numeric over an array: any element", {"a": [{"numeric": [">", 10]}]}, {"a": [1, 20]}, True),
    ("prefix does not match a number", {"a": [{"prefix": "1"}]}, {"a": 12}, False),
    ("prefix inside an event array", {"a": [{"prefix": "ab"}]}, {"a": ["x", "abc"]}, True),
    ("equals-ignore-case does not match a number", {"a": [{"equals-ignore-case": "1"}]}, {"a": 1}, False),
    ("wildcard does not match null", {"a": [{"wildcard": "*"}]}, {"a": None}, False),
    ("cidr does not match a non-address", {"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "ten"}, False),
    ("value on an object field does not match", {"detail": ["x"]}, {"detail": {"x": 1}}, False),
    ("nested pattern on a scalar field does not match", {"detail": {"x": ["1"]}}, {"detail": "x"}, False),
    ("null matches null inside an array", {"a": [None]}, {"a": ["x", None]}, True),
    ("empty string does not match absent", {"a": [""]}, {}, False),
    ("exists true matches null", {"a": [{"exists": True}]}, {"a": None}, True),
    ("exists true matches empty string", {"a": [{"exists": True}]}, {"a": ""}, True),
    ("exists true does not match an empty array", {"a": [{"exists": True}]}, {"a": []}, False),
    ("exists false matches an empty array", {"a": [{"exists": False}]}, {"a": []}, True),
    ("exists true does not match an object (leaf only)", {"a": [{"exists": True}]}, {"a": {"b": 1}}, False),
    (
        "exists false matches when the parent is absent",
        {"detail": {"c": [{"exists": False}]}},
        {"x": 1},
        True,
    ),
    (
        "exists false matches when the parent is a scalar",
        {"detail": {"c": [{"exists": False}]}},
        {"detail": "s"},
        True,
    ),
    (
        "exists false is judged on the whole event, across array elements",
        {"items": {"kind": ["b"], "middle": [{"exists": False}]}},
        {"items": [{"kind": "a", "middle": "m"}, {"kind": "b"}]},
        False,
    ),
    (
        "exists false across array elements when none has it",
        {"items": {"kind": ["b"], "middle": [{"exists": False}]}},
        {"items": [{"kind": "a"}, {"kind": "b"}]},
        True,
    ),
    (
        "exists true inside an array of objects",
        {"items": {"middle": [{"exists": True}]}},
        {"items": [{"kind": "a"}, {"middle": None}]},
        True,
    ),
    ("exists false OR a value: absent", {"a": [{"exists": False}, "x"]}, {}, True),
    ("exists false OR a value: the value", {"a": [{"exists": False}, "x"]}, {"a": "x"}, True),
    ("exists false OR a value: another value", {"a": [{"exists": False}, "x"]}, {"a": "y"}, False),
    ("anything-but does not match an absent field", {"a": [{"anything-but": "x"}]}, {}, False),
    ("anything-but does not match an object field", {"a": [{"anything-but": "x"}]}, {"a": {"b": 1}}, False),
    ("anything-but matches null", {"a": [{"anything-but": "x"}]}, {"a": None}, True),
    ("anything-but string matches a number", {"a": [{"anything-but": "x"}]}, {"a": 5}, True),
    ("anything-but number matches a string", {"a": [{"anything-but": [1, 2]}]}, {"a": "1"}, True),
    (
        "anything-but on an event array: some element differs",
        {"a": [{"anything-but": "x"}]},
        {"a": ["x", "y"]},
        True,
    ),
    (
        "anything-but on an event array: every element excluded",
        {"a": [{"anything-but": ["x", "y"]}]},
        {"a": ["x", "y"]},
        False,
    ),
    ("anything-but on an empty event array", {"a": [{"anything-but": "x"}]}, {"a": []}, False),
    ("anything-but prefix matches a non-string", {"a": [{"anything-but": {"prefix": "1"}}]}, {"a": 12}, True),
    (
        "array consistency through two levels",
        {"a": {"b": {"c": ["1"]}, "d": ["2"]}},
        {"a": [{"b": [{"c": "1"}], "d": "9"}, {"b": {"c": "0"}, "d": "2"}]},
        False,
    ),
    (
        "array consistency through two levels, same element",
        {"a": {"b": {"c": ["1"]}, "d": ["2"]}},
        {"a": [{"b": [{"c": "0"}, {"c": "1"}], "d": "2"}]},
        True,
    ),
    (
        "$or branches see the same array element",
        {"e": {"$or": [{"x": ["1"], "y": ["2"]}, {"z": ["3"]}]}},
        {"e": [{"x": "1"}, {"y": "2"}]},
        False,
    ),
    (
        "$or branch satisfied within one element",
        {"e": {"$or": [{"x": ["1"], "y": ["2"]}, {"z": ["3"]}]}},
        {"e": [{"x": "1", "y": "2"}]},
        True,
    ),
    ("unicode ignore-case", {"a": [{"equals-ignore-case": "ÉCLAIR"}]}, {"a": "éclair"}, True),
    ("wildcard spans newlines", {"a": [{"wildcard": "a*b"}]}, {"a": "a\nb"}, True),
    ("wildcard is anchored", {"a": [{"wildcard": "b*"}]}, {"a": "ab"}, False),
    ("regex characters are literal in wildcards", {"a": [{"wildcard": "a.c*"}]}, {"a": "abc"}, False),
]


@pytest.mark.parametrize(("description", "pattern", "event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_given_edge_case_when_matched_then_ruler_semantics(
    description: str, pattern: Any, event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected
