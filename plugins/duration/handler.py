"""SQS → Lambda: answers `{"valid": ..., "duration_ms": ...}` for each invocation of the duration check."""

from __future__ import annotations

import os
from typing import Any

from shared.plugin_sdk import PluginInvoked, plugin_handler

DEFAULT_MIN_DURATION_MS = 10_000


def check(invocation: PluginInvoked, min_duration_ms: int) -> dict[str, Any]:
    duration = invocation.video.media.duration_ms or invocation.video.duration_ms
    output: dict[str, Any] = {"valid": duration >= min_duration_ms, "duration_ms": duration,
                              "min_duration_ms": min_duration_ms}  # fmt: skip
    if not output["valid"]:
        output["reason"] = (
            f"the video lasts {duration / 1000:.1f} s, under the {min_duration_ms / 1000:.1f} s minimum"
        )
    return output


@plugin_handler("duration")
def handler(invocation: PluginInvoked) -> dict[str, Any]:
    return check(invocation, int(os.environ.get("MIN_DURATION_MS", DEFAULT_MIN_DURATION_MS)))
