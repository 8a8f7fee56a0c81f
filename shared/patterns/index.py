"""Many patterns against one event: look up candidates by exact values, evaluate only those.

Each pattern is filed under one of its exact-value leaves (``source``, ``detail-type``,
``detail.plugin`` ...) or prefix-only leaves, the one whose buckets are smallest across the index,
so an event only evaluates the patterns whose key value it carries plus the few patterns with no
such leaf. Candidates are then evaluated in full, so the index never changes an answer.
The lookup tables are rebuilt lazily after add/remove and published as one immutable snapshot,
so ``match`` never takes a lock on the hot path.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, NamedTuple

from shared.patterns.compiler import (
    CompiledPattern,
    Path,
    compile_pattern,
    expand_dotted,
    is_number,
    leaf_values,
)

_Entry = tuple[int, str, CompiledPattern]


class _Snapshot(NamedTuple):
    by_path: dict[Path, dict[Any, tuple[_Entry, ...]]]
    by_prefix: dict[Path, tuple[tuple[int, ...], dict[str, tuple[_Entry, ...]]]]
    unindexed: tuple[_Entry, ...]


# An index option: (kind, path, keys); kind is "exact" (keys are _index_key values) or "prefix".
_Option = tuple[str, Path, frozenset[Any]]


def _index_key(value: Any) -> Any:
    """One hashable key per JSON value class, so 300 and 3.0e2 share a key and "1" and 1 do not."""
    if type(value) is str:
        return value
    if value is None or type(value) is bool:
        return ("literal", value)
    if is_number(value):
        try:
            return ("number", float(value))
        except OverflowError:
            return ("number", value)
    return ("other", repr(value))


class PatternIndex:
    """Keys of the patterns an event matches, in insertion order; safe for concurrent use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._sequence = 0
        self._snapshot: _Snapshot | None = _Snapshot({}, {}, ())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, key: str, pattern: dict[str, Any] | str | CompiledPattern) -> None:
        """File ``pattern`` under ``key``; re-adding a key replaces its pattern and keeps its place."""
        compiled = compile_pattern(pattern)
        with self._lock:
            previous = self._entries.get(key)
            if previous is None:
                self._sequence += 1
                sequence = self._sequence
            else:
                sequence = previous[0]
            self._entries[key] = (sequence, key, compiled)
            self._snapshot = None

    def remove(self, key: str) -> None:
        """Forget ``key``; KeyError when it was never added."""
        with self._lock:
            del self._entries[key]
            self._snapshot = None

    def match(self, event: dict[str, Any]) -> list[str]:
        if type(event) is not dict:
            raise ValueError(f"event must be a JSON object, got {type(event).__name__}")
        event = expand_dotted(event)
        return [key for _, key, compiled in self._candidates(event) if compiled.matches_expanded(event)]

    def candidates(self, event: dict[str, Any]) -> list[str]:
        """Keys of the patterns ``match`` evaluates in full for ``event`` (the rest it never looks at)."""
        return [key for _, key, _ in self._candidates(expand_dotted(event))]

    def _candidates(self, event: dict[str, Any]) -> Any:
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._rebuild()
        groups: list[tuple[_Entry, ...]] = [snapshot.unindexed] if snapshot.unindexed else []
        for path, table in snapshot.by_path.items():
            for value in leaf_values(event, path):
                bucket = table.get(_index_key(value))
                if bucket is not None:
                    groups.append(bucket)
        for path, (lengths, prefixes) in snapshot.by_prefix.items():
            for value in leaf_values(event, path):
                if type(value) is str:
                    for length in lengths:
                        bucket = prefixes.get(value[:length])
                        if bucket is not None:
                            groups.append(bucket)
        if not groups:
            return ()
        if len(groups) == 1:
            return groups[0]
        # An event may hit one pattern twice (array values); dedupe, then restore insertion order.
        return sorted({entry[0]: entry for group in groups for entry in group}.values())

    def _rebuild(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is not None:
                return self._snapshot
            entries = sorted(self._entries.values())
            options = {entry[1]: _options(entry[2]) for entry in entries}
            popularity: Counter[tuple[str, Path, Any]] = Counter(
                (kind, path, key)
                for choices in options.values()
                for kind, path, keys in choices
                for key in keys
            )

            def cost(option: _Option) -> tuple[int, int, bool]:
                kind, path, keys = option
                return sum(popularity[(kind, path, key)] for key in keys), len(keys), kind != "exact"

            exact: dict[Path, dict[Any, list[_Entry]]] = {}
            prefixed: dict[Path, dict[str, list[_Entry]]] = {}
            unindexed: list[_Entry] = []
            for entry in entries:
                choices = options[entry[1]]
                if not choices:
                    unindexed.append(entry)
                    continue
                # The leaf whose buckets hold the fewest patterns makes the smallest candidate set.
                kind, path, keys = min(choices, key=cost)
                table: dict[Any, list[_Entry]] = (exact if kind == "exact" else prefixed).setdefault(path, {})
                for key in keys:
                    table.setdefault(key, []).append(entry)
            snapshot = _Snapshot(
                {path: _frozen(table) for path, table in exact.items()},
                {
                    path: (tuple(sorted({len(prefix) for prefix in table})), _frozen(table))
                    for path, table in prefixed.items()
                },
                tuple(unindexed),
            )
            self._snapshot = snapshot
            return snapshot


def _options(compiled: CompiledPattern) -> list[_Option]:
    found: list[_Option] = [
        ("exact", path, frozenset(_index_key(value) for value in values))
        for path, values in compiled.exact_conjuncts()
    ]
    found.extend(("prefix", path, frozenset(prefixes)) for path, prefixes in compiled.prefix_conjuncts())
    return found


def _frozen(table: dict[Any, list[_Entry]]) -> dict[Any, tuple[_Entry, ...]]:
    return {key: tuple(bucket) for key, bucket in table.items()}
