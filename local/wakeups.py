"""Pollers sleep until what they poll is written to, as Lambda's and Pipes' pollers are pushed work on AWS.

The gateway notes every successful write to a DynamoDB table; a stream poller with nothing to read waits for
the next one instead of asking GetRecords every 0.2 s. A fallback timeout keeps it honest should a write
reach a table some other way. (SQS pollers need no help: they long-poll, as Lambda's do.)
"""

from __future__ import annotations

import threading
from collections import defaultdict

DYNAMODB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement",
     "BatchExecuteStatement", "ExecuteTransaction"}
)  # fmt: skip
FALLBACK_S = 5.0


class Wakeups:
    """A counter per topic ("dynamodb"); waiting returns once it moved past what the waiter saw."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._counts: defaultdict[str, int] = defaultdict(int)

    def seen(self, topic: str) -> int:
        with self._changed:
            return self._counts[topic]

    def notify(self, topic: str) -> None:
        with self._changed:
            self._counts[topic] += 1
            self._changed.notify_all()

    def wait(self, topic: str, seen: int, stop: threading.Event, timeout: float = FALLBACK_S) -> int:
        """Until `topic` moves past `seen`, `stop` is set (see `wake_all`) or `timeout`; the count now."""
        with self._changed:
            self._changed.wait_for(lambda: self._counts[topic] != seen or stop.is_set(), timeout)
            return self._counts[topic]

    def wake_all(self) -> None:
        """Every waiter checks its stop event again."""
        with self._changed:
            self._changed.notify_all()
