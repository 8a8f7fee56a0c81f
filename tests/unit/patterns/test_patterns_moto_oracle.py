"""moto's matcher as a second oracle, on the cases where it is known to be right.

Known disagreements (moto 5.2.x, ``moto.events.models.EventPattern``), each a moto defect:
- arrays of objects: its flattening stops at lists, so crushed fields never match;
- booleans: ``True == 1`` in Python, so [1] matches true and numeric matches booleans;
- numeric beyond the documented +/-5.0e9 range still matches;
- ``exists`` on empty arrays and inside arrays of objects;
- wildcard ``*`` does not span newlines.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from shared.patterns import matches
from tests.unit.patterns.test_patterns_docs import CASES as DOC_CASES
from tests.unit.patterns.test_patterns_semantics import CASES as EDGE_CASES

MOTO_KNOWN_WRONG = {
    "array of objects is crushed",
    "array consistency: Anna Smith is one element",
    "multi-level arrays are crushed too",
    "[1] does not match true",
    "[0] does not match false",
    "[true] does not match 1",
    "numeric never matches a boolean",
    "numeric = 1 does not match true",
    "numeric outside 5e9 does not match",
    "exists true does not match an empty array",
    "exists false matches an empty array",
    "exists false across array elements when none has it",
    "exists true inside an array of objects",
    "array consistency through two levels, same element",
    "$or branch satisfied within one element",
    "wildcard spans newlines",
}

ROWS: list[tuple[str, Any, dict[str, Any]]] = [(case[1], case[2], case[3]) for case in DOC_CASES] + [
    (case[0], case[1], case[2]) for case in EDGE_CASES
]
AGREED = [row for row in ROWS if row[0] not in MOTO_KNOWN_WRONG]


@pytest.mark.parametrize(("description", "pattern", "event"), AGREED, ids=[row[0] for row in AGREED])
def test_given_case_moto_gets_right_when_matched_then_engines_agree(
    description: str, pattern: Any, event: dict[str, Any]
) -> None:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    assert matches(pattern, event) is EventPattern.load(text).matches_event(event)


def test_given_known_moto_defects_when_listed_then_each_still_disagrees() -> None:
    """If moto fixes one, move it back to the agreed set."""
    known = [row for row in ROWS if row[0] in MOTO_KNOWN_WRONG]
    assert len(known) == len(MOTO_KNOWN_WRONG)
    for description, pattern, event in known:
        text = pattern if isinstance(pattern, str) else json.dumps(pattern)
        assert matches(pattern, event) is not EventPattern.load(text).matches_event(event), description
