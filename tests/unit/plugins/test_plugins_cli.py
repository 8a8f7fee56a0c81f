"""The plugin tester's judgement of a completion, and the duration plugin answering through the SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cli.plugins import check_completion, sample_invocation
from services.plugins.manifest import load_manifest
from shared.events.testing import FakePublisher
from shared.plugin_sdk import PluginClient, parse_invocation, plugin_handler
from tests.unit.plugins.fakes import Harness, manifest, video_processed

DURATION = load_manifest("plugins/duration/manifest.yaml")


def _completion(invoked: dict[str, Any], **detail: Any) -> dict[str, Any]:
    return {
        "source": "svideo.plugin.duration",
        "detail-type": "Plugin.Completed",
        "detail": {"plugin": "duration", "video_id": invoked["video_id"],
                   "token": invoked["invocation"]["token"], "status": "succeeded",
                   "output": {"valid": True, "duration_ms": 5}, **detail},
    }  # fmt: skip


def test_given_a_good_answer_when_checked_then_the_tester_finds_nothing() -> None:
    invoked = sample_invocation(DURATION, datetime.now(UTC) + timedelta(seconds=30))
    assert check_completion(DURATION, invoked, _completion(invoked), datetime.now(UTC)) == []


def test_given_a_wrong_token_bad_output_and_lateness_when_checked_then_each_is_named() -> None:
    invoked = sample_invocation(DURATION, datetime.now(UTC) + timedelta(seconds=30))
    event = _completion(invoked, token="v1.nope-nope-nope-nope", output={"duration_ms": -1})
    problems = check_completion(DURATION, invoked, event, datetime.now(UTC) + timedelta(seconds=60))
    assert any(p.startswith("token:") for p in problems)
    assert any(p.startswith("late:") for p in problems)
    assert "output/: 'valid' is a required property" in problems


def test_given_the_duration_plugin_when_invoked_through_sqs_then_the_lifecycle_accepts_its_answer() -> None:
    from plugins.duration.handler import check

    harness = Harness(DURATION, manifest("later", "postMetadata"))
    harness.service.start(video_processed())
    invoked = harness.invocation("duration")
    publisher = FakePublisher()

    @plugin_handler("duration", client=PluginClient("duration", publisher))
    def handler(invocation: Any) -> dict[str, Any]:
        return check(invocation, min_duration_ms=10_000)

    event = {
        "version": "0", "id": "e1", "account": "123456789012", "time": "2026-11-22T14:00:00Z",
        "region": "us-east-1", "resources": [], "source": "svideo.plugins", "detail-type": "Plugin.Invoked",
        "detail": invoked.model_dump(mode="json"),
    }  # fmt: skip
    record = {"messageId": "m1", "body": json.dumps(event)}
    assert parse_invocation(record).invocation.id == invoked.invocation.id
    assert handler({"Records": [record]}) == {"batchItemFailures": []}
    [completed] = publisher.published
    harness.service.complete(completed, "svideo.plugin.duration")  # type: ignore[arg-type]
    assert harness.state().invocations["duration"].status == "succeeded"
    assert harness.state().video_fields() == {"duration_checked_ms": invoked.video.media.duration_ms}
