"""A plugin in a dozen lines: the decorator parses the invocation and publishes the completion."""

from __future__ import annotations

import json
from typing import Any

from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler, write_artefact


def word_count(invocation: PluginInvoked, s3: Any = None) -> dict[str, Any]:
    if invocation.video.duration_ms == 0:
        raise PluginFailure("EmptyVideo", "nothing to count in a zero-length video")
    candidates = invocation.inputs.get("titles", {}).get("candidates", [])
    words = sum(len(str(candidate.get("title", "")).split()) for candidate in candidates)
    key = write_artefact(invocation, "report.json", json.dumps({"words": words}).encode(), s3=s3)
    return {"words": words, "report_key": key}


handler = plugin_handler("word-count")(word_count)  # the Lambda entry point
