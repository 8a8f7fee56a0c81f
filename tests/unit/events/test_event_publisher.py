"""The publisher, with a recording client: entries from the models, chunks, trace header, size, failures."""

import json
from pathlib import Path
from typing import Any

import pytest

from shared.events import publisher as publisher_module
from shared.events.publisher import (
    DetailTooLargeError,
    EventPublisher,
    Publisher,
    PublishError,
    build_entry,
    chunks,
    entry_size,
)
from shared.events.registry import parse_event
from shared.events.testing import FakePublisher
from shared.events.video import VideoStatusChanged

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def canonical_detail(detail_type: str) -> Any:
    for path in sorted(EVENTS_DIR.rglob("*.json")):
        raw = json.loads(path.read_text())
        if raw["detail-type"] == detail_type:
            return parse_event(raw, strict=True).detail
    raise LookupError(detail_type)


class RecordingClient:
    """Answers PutEvents like EventBridge; `fail` maps an entry's position in a call to an error code."""

    def __init__(self, fail: dict[int, str] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail = fail or {}

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        results: list[dict[str, Any]] = []
        for index, _ in enumerate(Entries):
            if index in self.fail:
                results.append({"ErrorCode": self.fail[index], "ErrorMessage": "try later"})
            else:
                results.append({"EventId": f"id-{len(self.calls)}-{index}"})
        return {"FailedEntryCount": len(self.fail), "Entries": results}


@pytest.fixture(autouse=True)
def no_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)


def test_given_a_detail_when_published_then_the_entry_comes_from_the_model_class_vars_and_aliases() -> None:
    client = RecordingClient()
    detail = canonical_detail("Video.StatusChanged")

    ids = EventPublisher("svideo-dev", client=client).publish(detail, resources=["arn:aws:ivs:x"])

    (entry,) = client.calls[0]
    assert ids == ["id-1-0"]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "svideo.video",
        "Video.StatusChanged",
        "svideo-dev",
    )
    assert entry["Resources"] == ["arn:aws:ivs:x"]
    body = json.loads(entry["Detail"])
    assert (body["from"], body["to"]) == ("processing", "enriching")
    assert "TraceHeader" not in entry


def test_given_a_plugin_completion_when_published_then_the_source_names_the_plugin() -> None:
    client = RecordingClient()

    EventPublisher("bus", client=client).publish(canonical_detail("Plugin.Completed"))

    assert client.calls[0][0]["Source"] == "svideo.plugin.duration"


def test_given_a_lambda_trace_id_when_published_then_it_is_passed_as_trace_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    client = RecordingClient()

    EventPublisher("bus", client=client).publish(canonical_detail("Video.Published"))

    assert client.calls[0][0]["TraceHeader"] == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"


def test_given_25_details_when_published_then_three_calls_of_10_10_5_return_ids_in_order() -> None:
    client = RecordingClient()
    detail = canonical_detail("Video.Published")

    ids = EventPublisher("bus", client=client).publish(*[detail] * 25)

    assert [len(call) for call in client.calls] == [10, 10, 5]
    assert ids[:2] == ["id-1-0", "id-1-1"] and ids[-1] == "id-3-4" and len(ids) == 25


def test_given_entries_that_together_pass_256_kb_when_chunked_then_a_batch_never_does() -> None:
    entry = {"Source": "s", "DetailType": "d", "Detail": "x" * 60_000}

    batches = list(chunks([entry] * 9))

    assert [len(b) for b in batches] == [4, 4, 1]
    assert all(sum(entry_size(e) for e in b) <= 256 * 1024 for b in batches)


def test_given_an_oversized_detail_when_published_then_nothing_is_sent() -> None:
    client = RecordingClient()
    big = canonical_detail("Video.Published").model_copy(update={"title": "x" * 70_000})

    with pytest.raises(DetailTooLargeError, match=r"svideo\.video/Video\.Published detail is \d+ bytes"):
        EventPublisher("bus", client=client).publish(canonical_detail("Video.Published"), big)

    assert client.calls == []


def test_given_a_tighter_budget_when_building_an_entry_then_it_applies() -> None:
    with pytest.raises(DetailTooLargeError):
        build_entry(canonical_detail("Recording.Ended"), "bus", max_detail_bytes=100)


def test_given_failed_entries_when_published_then_publish_error_lists_code_message_and_keeps_ids() -> None:
    client = RecordingClient(fail={1: "ThrottlingException"})
    first, second = canonical_detail("Video.Published"), canonical_detail("Video.StatusChanged")

    with pytest.raises(PublishError) as caught:
        EventPublisher("bus", client=client).publish(first, second)

    (failure,) = caught.value.failures
    assert (failure.index, failure.detail_type, failure.error_code) == (
        1,
        "Video.StatusChanged",
        "ThrottlingException",
    )
    assert caught.value.event_ids == ["id-1-0", None]
    assert "ThrottlingException try later" in str(caught.value)


def test_given_no_client_when_the_publisher_is_built_then_boto3_is_not_touched_until_publish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    monkeypatch.setattr(publisher_module.boto3, "client", lambda name: made.append(name) or RecordingClient())

    publisher = EventPublisher("bus")
    assert made == []
    publisher.publish(canonical_detail("Video.Published"))
    publisher.publish(canonical_detail("Video.Published"))

    assert made == ["events"]


def test_given_the_fake_when_domain_code_publishes_then_it_records_and_checks_like_the_real_one() -> None:
    fake: Publisher = FakePublisher()
    status = canonical_detail("Video.StatusChanged")

    fake.publish(status, canonical_detail("Video.Published"))

    assert isinstance(fake, FakePublisher)
    assert fake.of_type(VideoStatusChanged) == [status]
    assert fake.details_json()[0]["to"] == "enriching"
    assert fake.entries[1]["Source"] == "svideo.video"
    with pytest.raises(DetailTooLargeError):
        fake.publish(canonical_detail("Video.Published").model_copy(update={"title": "x" * 70_000}))
