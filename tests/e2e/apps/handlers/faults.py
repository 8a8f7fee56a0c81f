"""Handlers that fail the ways a runtime can: crash the process, hang past the timeout, exhaust memory."""

import os
import time
from typing import Any


def crash(event: dict[str, Any], context: Any) -> None:
    os._exit(3)


def hang(event: dict[str, Any], context: Any) -> None:
    time.sleep(60)


def hog(event: dict[str, Any], context: Any) -> int:
    blocks = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, far over the function's memory
    return len(blocks)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"echo": event, "remaining_ms": context.get_remaining_time_in_millis()}
