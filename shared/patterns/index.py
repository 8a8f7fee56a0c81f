"""Many patterns against one event: look up candidates by exact values, evaluate only those.

Each pattern is filed under one of its exact-value leaves (``source``, ``detail-type``,
``detail.plugin`` ...), the one whose bucket is smallest across the index, so an event only
evaluates the patterns whose key value it carries plus the few patterns with no exact leaf.
The lookup tables are rebuilt lazily after add/remove and published as one immutable snapshot,
so ``match`` never takes a lock on the hot path.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, NamedTuple

from shared.patterns.compiler import CompiledPattern, Path, compile_pattern, is_number, leaf_values

_Entry = tuple[int, str, CompiledPattern]


class _Snapshot(NamedTuple):
    by_path: dict[Path, dict[Any, tuple[_Entry, ...]]]
    unindexed: tuple[_Entry, ...]


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
        self._snapshot: _Snapshot | None = _Snapshot({}, ())

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
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self._rebuild()
        groups: list[tuple[_Entry, ...]] = [snapshot.unindexed] if snapshot.unindexed else []
        for path, table in snapshot.by_path.items():
            for value in leaf_values(event, path):
                bucket = table.get(_index_key(value))
                if bucket is not None:
                    groups.append(bucket)
        if not groups:
            return []
        if len(groups) == 1:
            candidates: Any = groups[0]
        else:
            # An event may hit one pattern twice (array values); dedupe, then restore insertion order.
            candidates = sorted({entry[0]: entry for group in groups for entry in group}.values())
        return [key for _, key, compiled in candidates if compiled.matches(event)]

    def _rebuild(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is not None:
                return self._snapshot
            entries = sorted(self._entries.values())
            conjuncts = {
                entry[1]: [
                    (path, {_index_key(v) for v in values}) for path, values in entry[2].exact_conjuncts()
                ]
                for entry in entries
            }
            popularity: Counter[tuple[Path, Any]] = Counter(
                (path, key) for options in conjuncts.values() for path, keys in options for key in keys
            )
            by_path: dict[Path, dict[Any, list[_Entry]]] = {}
            unindexed: list[_Entry] = []
            for entry in entries:
                options = conjuncts[entry[1]]
                if not options:
                    unindexed.append(entry)
                    continue
                # The leaf whose buckets hold the fewest patterns makes the smallest candidate set.
                path, keys = min(
                    options,
                    key=lambda option: (sum(popularity[(option[0], k)] for k in option[1]), len(option[1])),
                )
                table = by_path.setdefault(path, {})
                for key in keys:
                    table.setdefault(key, []).append(entry)
            snapshot = _Snapshot(
                {
                    path: {key: tuple(bucket) for key, bucket in table.items()}
                    for path, table in by_path.items()
                },
                tuple(unindexed),
            )
            self._snapshot = snapshot
            return snapshot
