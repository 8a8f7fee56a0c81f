"""PatternIndex answers exactly what trying every pattern in turn answers, only faster."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.patterns import PatternIndex, matches

FIELDS = ["source", "detail-type", "plugin", "n", "tags"]
STRINGS = st.sampled_from(["svideo.channel", "svideo.plugins", "titles", "transcript", "", "x"])
NUMBERS = st.sampled_from([0, 1, 300, 300.0, 3.5, -2])
SCALARS = st.one_of(STRINGS, NUMBERS, st.booleans(), st.none())

OPERATORS = st.one_of(
    st.builds(lambda s: {"prefix": s}, STRINGS),
    st.builds(lambda s: {"suffix": s}, STRINGS),
    st.builds(lambda s: {"anything-but": s}, STRINGS),
    st.builds(lambda n: {"numeric": [">", n]}, st.sampled_from([0, 1, 100])),
    st.builds(lambda b: {"exists": b}, st.booleans()),
)
LEAF = st.lists(st.one_of(SCALARS, OPERATORS), min_size=1, max_size=3)


def _object(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(FIELDS), children, min_size=1, max_size=3)


PATTERN_BODY = st.recursive(LEAF, lambda inner: _object(inner), max_leaves=4)
PATTERNS = st.one_of(
    _object(PATTERN_BODY),
    st.builds(
        lambda base, a, b: {**base, "$or": [a, b]},
        _object(LEAF),
        _object(PATTERN_BODY),
        _object(PATTERN_BODY),
    ),
)
EVENT_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)
    ),
    max_leaves=6,
)
EVENTS = st.dictionaries(st.sampled_from(FIELDS), EVENT_VALUES, max_size=5)


@settings(max_examples=150, deadline=None)
@given(patterns=st.lists(PATTERNS, min_size=1, max_size=12), events=st.lists(EVENTS, min_size=1, max_size=4))
def test_given_random_patterns_when_indexed_then_same_keys_as_naive_matching(
    patterns: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    index = PatternIndex()
    for position, pattern in enumerate(patterns):
        index.add(f"rule-{position}", pattern)
    for event in events:
        naive = [f"rule-{position}" for position, pattern in enumerate(patterns) if matches(pattern, event)]
        assert index.match(event) == naive


def _plugin_rule(plugin: str) -> dict[str, Any]:
    return {"source": ["svideo.plugins"], "detail-type": ["Plugin.Invoked"], "detail": {"plugin": [plugin]}}


def test_given_rules_when_added_and_removed_then_match_follows_in_insertion_order() -> None:
    index = PatternIndex()
    index.add("titles", _plugin_rule("titles"))
    index.add("everything", {"source": [{"prefix": "svideo."}]})
    index.add("transcript", _plugin_rule("transcript"))
    event = {"source": "svideo.plugins", "detail-type": "Plugin.Invoked", "detail": {"plugin": "titles"}}

    assert index.match(event) == ["titles", "everything"]
    index.remove("titles")
    assert index.match(event) == ["everything"]
    index.add("titles", _plugin_rule("titles"))
    assert index.match(event) == ["everything", "titles"]
    assert len(index) == 3
    assert "titles" in index


def test_given_key_added_twice_when_matched_then_latest_pattern_keeps_first_place() -> None:
    index = PatternIndex()
    index.add("a", {"source": ["one"]})
    index.add("b", {"source": ["two"]})
    index.add("a", {"source": ["two"]})
    assert index.match({"source": "two"}) == ["a", "b"]
    assert index.match({"source": "one"}) == []


def test_given_unknown_key_when_removed_then_key_error() -> None:
    with pytest.raises(KeyError):
        PatternIndex().remove("missing")


def test_given_event_array_hitting_a_bucket_twice_when_matched_then_key_reported_once() -> None:
    index = PatternIndex()
    index.add("r", {"tags": ["a", "b"]})
    assert index.match({"tags": ["a", "b"]}) == ["r"]


def test_given_number_forms_when_indexed_then_numeric_equality_holds() -> None:
    index = PatternIndex()
    index.add("r", {"n": [300]})
    index.add("s", {"n": ["300"]})
    assert index.match({"n": 3.0e2}) == ["r"]
    assert index.match({"n": "300"}) == ["s"]
    assert index.match({"n": True}) == []


def test_given_many_rules_when_matched_then_only_the_bucket_is_evaluated() -> None:
    index = PatternIndex()
    for position in range(500):
        index.add(f"p{position}", _plugin_rule(f"plugin-{position}"))
    event = {"source": "svideo.plugins", "detail-type": "Plugin.Invoked", "detail": {"plugin": "plugin-7"}}
    assert index.match(event) == ["p7"]
    snapshot = index._snapshot
    assert snapshot is not None
    # Every rule shares source and detail-type, so the index files them under detail.plugin.
    assert list(snapshot.by_path) == [("detail", "plugin")]


def test_given_invalid_pattern_when_added_then_rejected_and_index_unchanged() -> None:
    index = PatternIndex()
    with pytest.raises(ValueError, match="bogus"):
        index.add("bad", {"a": [{"bogus": 1}]})
    assert len(index) == 0


def test_given_concurrent_match_and_updates_when_running_then_results_stay_consistent() -> None:
    index = PatternIndex()
    for position in range(50):
        index.add(f"p{position}", _plugin_rule(f"plugin-{position}"))
    event = {"source": "svideo.plugins", "detail-type": "Plugin.Invoked", "detail": {"plugin": "plugin-3"}}
    failures: list[object] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                found = index.match(event)
                if found not in (["p3"], ["p3", "extra"]):
                    failures.append(found)
            except Exception as error:  # a reader must never crash while rules change
                failures.append(error)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    for _ in range(200):
        index.add("extra", _plugin_rule("plugin-3"))
        index.remove("extra")
    stop.set()
    for thread in readers:
        thread.join()
    assert failures == []


def test_given_prefix_rules_when_indexed_then_filed_by_prefix_and_still_exact() -> None:
    index = PatternIndex()
    for name in ("titles", "transcript", "avatars"):
        index.add(
            name, {"source": [{"prefix": f"svideo.plugin.{name}"}], "detail-type": ["Plugin.Completed"]}
        )
    index.add("any-plugin", {"source": [{"prefix": ""}], "detail-type": ["Plugin.Completed"]})
    event = {"source": "svideo.plugin.transcript", "detail-type": "Plugin.Completed"}
    assert index.match(event) == ["transcript", "any-plugin"]
    assert index.match({**event, "source": 5}) == []
    snapshot = index._snapshot
    assert snapshot is not None
    assert ("source",) in snapshot.by_prefix
