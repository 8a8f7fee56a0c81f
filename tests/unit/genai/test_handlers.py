"""The plugin handlers end to end through the SDK with fakes: a `Plugin.Invoked` SQS record in, the plugin's
own event and a `Plugin.Completed` (succeeded or failed, with the reason) out, metrics flushed as EMF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.avatars import handler as avatars
from plugins.titles import handler as titles
from services.genai import runtime
from shared.events.generative import AvatarsGenerated, TitlesGenerated
from shared.events.plugins import PluginCompleted
from tests.unit.genai.fakes import OWNER, VIDEO, World, invocation_event, transcript_inputs


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(monkeypatch)
    runtime.use(None)


def _completed(world: World) -> PluginCompleted:
    (completed,) = world.publisher.of_type(PluginCompleted)
    return completed


def test_given_a_transcript_when_titles_run_then_round_one_is_published_completed_and_booked(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    result = titles.handler(invocation_event("titles", transcript_inputs()), None)

    assert result == {"batchItemFailures": []}
    completed = _completed(world)
    assert completed.status == "succeeded" and completed.output is not None
    assert len(completed.output["candidates"]) >= 3
    (generated,) = world.publisher.of_type(TitlesGenerated)
    assert generated.round == 1 and generated.generation.model_id == completed.output["model_id"]
    assert all(c.evidence for c in generated.candidates)
    book = world.books.get(VIDEO)
    assert (
        book is not None
        and book.owner_id == OWNER
        and book.provisional_title == generated.candidates[0].title
    )
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert metrics and metrics[-1]["video_id"] == VIDEO and "EstimatedCostUSD" in metrics[-1]


def test_given_no_transcript_when_titles_run_then_the_invocation_fails_with_the_reason(world: World) -> None:
    titles.handler(invocation_event("titles", {}), None)

    completed = _completed(world)
    assert completed.status == "failed" and completed.error is not None
    assert "no transcript" in completed.error.message
    assert not world.publisher.of_type(TitlesGenerated)


def test_given_a_transcript_when_avatars_run_then_images_are_stored_and_published(world: World) -> None:
    avatars.handler(invocation_event("avatars", transcript_inputs()), None)

    completed = _completed(world)
    assert completed.status == "succeeded" and completed.output is not None
    (generated,) = world.publisher.of_type(AvatarsGenerated)
    keys = [a.image_key for a in generated.avatars]
    assert keys and all(world.s3.objects[(generated.bucket, k)].startswith(b"\x89PNG") for k in keys)


def test_given_a_publisher_that_fails_when_a_plugin_runs_then_the_record_is_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> list[str]:
        raise RuntimeError("PutEvents failed")

    monkeypatch.setattr(world.publisher, "publish", refuse)
    result = titles.handler(invocation_event("titles", transcript_inputs()), None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
