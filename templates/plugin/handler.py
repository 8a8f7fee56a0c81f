"""A plugin in a dozen lines: the decorator parses the invocation and publishes the completion."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler, plugin_input, write_artefact


class Candidate(BaseModel):
    title: str


class Titles(BaseModel):  # the part of the titles plugin's output this plugin reads
    candidates: list[Candidate]


def word_count(invocation: PluginInvoked, s3: Any = None) -> dict[str, Any]:
    if invocation.video.duration_ms == 0:
        raise PluginFailure("EmptyVideo", "nothing to count in a zero-length video")
    titles = plugin_input(invocation, "titles", Titles)  # None if titles gave no output
    words = sum(len(c.title.split()) for c in titles.candidates) if titles else 0
    key = write_artefact(invocation, "report.json", json.dumps({"words": words}).encode(), s3=s3)
    return {"words": words, "report_key": key}


handler = plugin_handler("word-count")(word_count)  # the Lambda entry point
