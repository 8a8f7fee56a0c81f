"""The asynchronous invocation queue: due-time ordered, a few dispatcher threads, retries rescheduled."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("svideo.local.lambda")


@dataclass
class AsyncEvent:
    """One `Event` invocation waiting for (another) attempt."""

    function_name: str
    qualifier: str | None
    payload: bytes
    request_id: str
    enqueued_at: float = field(default_factory=time.time)
    attempts: int = 0


class AsyncQueue:
    """Holds events until they are due and hands each to `process`, which reschedules or finishes it."""

    def __init__(self, process: Callable[[AsyncEvent], None], *, dispatchers: int = 4) -> None:
        self._process = process
        self._dispatchers = dispatchers
        self._heap: list[tuple[float, int, AsyncEvent]] = []
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._in_flight = 0

    def start(self) -> None:
        self._stopping = False
        for index in range(self._dispatchers):
            thread = threading.Thread(target=self._run, name=f"lambda-async-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def put(self, event: AsyncEvent, delay_s: float = 0.0) -> None:
        with self._condition:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._sequence), event))
            self._condition.notify()

    def pending(self) -> int:
        with self._condition:
            return len(self._heap) + self._in_flight

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._condition.wait(timeout)
                if self._stopping:
                    return
                _, _, event = heapq.heappop(self._heap)
                self._in_flight += 1
            try:
                self._process(event)
            except Exception:
                log.exception(
                    "async invocation %s of %s failed in the local runtime",
                    event.request_id,
                    event.function_name,
                )
            finally:
                with self._condition:
                    self._in_flight -= 1
