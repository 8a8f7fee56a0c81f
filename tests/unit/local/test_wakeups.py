"""A stream poller with nothing to read waits for the next write, and a stop, not a clock tick."""

from __future__ import annotations

import threading

from local.wakeups import Wakeups


def test_given_a_write_after_the_read_began_then_the_wait_returns_at_once() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    seen = wakeups.seen("dynamodb")
    wakeups.notify("dynamodb")  # landed between the poller's mark and its wait
    assert wakeups.wait("dynamodb", seen, stop, timeout=600) == seen + 1


def test_given_a_waiting_poller_when_a_write_lands_then_it_wakes() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    seen = wakeups.seen("dynamodb")
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(wakeups.wait("dynamodb", seen, stop, 600)))
    thread.start()
    wakeups.notify("other")  # another topic wakes nobody for good
    wakeups.notify("dynamodb")
    thread.join(timeout=30)
    assert result == [seen + 1]


def test_given_a_waiting_poller_when_it_is_stopped_then_it_returns_without_a_write() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(wakeups.wait("dynamodb", 0, stop, 600)))
    thread.start()
    stop.set()
    wakeups.wake_all()
    thread.join(timeout=30)
    assert result == [0] and not thread.is_alive()


def test_given_no_write_then_the_wait_ends_at_its_timeout() -> None:
    assert Wakeups().wait("dynamodb", 0, threading.Event(), timeout=0.05) == 0
