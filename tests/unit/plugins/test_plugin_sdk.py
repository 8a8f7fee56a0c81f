"""The plugin SDK on Powertools: the BatchProcessor reports only the records whose completion could not be
published, the parser refuses what is not a `Plugin.Invoked`, info lines carry the correlation id, and
`plugin_input` reads an earlier plugin's output as a typed model."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import BaseModel

from shared.events.testing import FakePublisher
from shared.observability import logger
from shared.plugin_sdk import PluginClient, PluginFailure, parse_invocation, plugin_handler, plugin_input

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _event(**inputs: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / "svideo.plugins" / "Plugin.Invoked.json").read_text())
    event["detail"]["inputs"] = inputs
    return dict(event)


class Refusing(FakePublisher):
    def publish(self, *details: Any, resources: Sequence[str] = ()) -> list[str]:
        raise ConnectionError("the bus is unreachable")


def test_given_a_batch_when_one_completion_cannot_be_published_then_only_that_record_fails() -> None:
    event = _event()
    plugin = event["detail"]["plugin"]
    calls = []

    def run(invocation: Any) -> dict[str, Any]:
        calls.append(invocation.video_id)
        return {}

    body = json.dumps(event)
    records: list[dict[str, Any]] = [
        {"messageId": m, "body": body, "attributes": {}, "messageAttributes": {}} for m in ("m1", "m2")
    ]
    ok = plugin_handler(plugin, client=PluginClient(plugin, FakePublisher()))(run)
    assert ok({"Records": records}) == {"batchItemFailures": []}
    refused = plugin_handler(plugin, client=PluginClient(plugin, Refusing()))(run)
    assert refused({"Records": records[:1]}) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(calls) == 3


def test_given_another_event_when_parsed_then_it_is_refused_and_a_webhook_body_is_accepted() -> None:
    event = _event()
    with pytest.raises(ValueError, match=r"not a Plugin\.Invoked event: 'Plugin\.Completed'"):
        parse_invocation({**event, "detail-type": "Plugin.Completed"})
    assert parse_invocation(event["detail"]).video_id == event["detail"]["video_id"]
    assert parse_invocation(json.dumps(event)).invocation.id == event["detail"]["invocation"]["id"]


def test_given_a_plugin_when_it_completes_then_an_info_line_carries_the_correlation_id() -> None:
    event = _event()
    plugin = event["detail"]["plugin"]
    handler = plugin_handler(plugin, client=PluginClient(plugin, FakePublisher()))(lambda invocation: {})
    written = io.StringIO()  # the JSON lines the function's log receives
    stream = cast(logging.StreamHandler[Any], logger.registered_handler).setStream(written)
    try:
        handler({"Records": [{"messageId": "m1", "body": json.dumps(event)}]})
    finally:
        cast(logging.StreamHandler[Any], logger.registered_handler).setStream(stream)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    [done] = [line for line in lines if line.get("message") == "invocation completed"]
    assert done["level"] == "INFO"
    assert done["correlation_id"] == event["detail"]["meta"]["correlation_id"]
    assert (done["plugin"], done["video_id"]) == (plugin, event["detail"]["video_id"])


class Candidate(BaseModel):
    title: str


class Titles(BaseModel):
    candidates: list[Candidate]


def test_given_earlier_outputs_when_read_as_a_model_then_they_are_typed_and_a_bad_one_is_named() -> None:
    good = parse_invocation(_event(titles={"candidates": [{"title": "Bees", "evidence": [0]}], "round": 1}))
    titles = plugin_input(good, "titles", Titles)
    assert titles is not None and [c.title for c in titles.candidates] == ["Bees"]
    assert plugin_input(good, "transcript", Titles) is None
    bad = parse_invocation(_event(titles={"candidates": [{"name": "Bees"}]}))
    with pytest.raises(PluginFailure) as failure:
        plugin_input(bad, "titles", Titles)
    assert failure.value.code == "InvalidInput"
    assert failure.value.message.startswith("inputs/titles/candidates/0/title: Field required")
