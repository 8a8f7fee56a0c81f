"""EventPublisher against in-process moto: bus → rule → SQS, PutEvents chunking, failed entries."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from shared.events.publisher import EventPublisher, PublishError
from shared.events.registry import parse_detail, parse_event

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
REGION = "us-east-1"
BUS = "svideo-test"


def canonical_detail(detail_type: str) -> Any:
    for path in sorted(EVENTS_DIR.rglob("*.json")):
        raw = json.loads(path.read_text())
        if raw["detail-type"] == detail_type:
            return parse_event(raw, strict=True).detail
    raise LookupError(detail_type)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A bus whose rule sends every `svideo.video` event to an SQS queue."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "_X_AMZN_TRACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        queue_url = sqs.create_queue(QueueName="video-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="video-events", EventBusName=BUS, EventPattern=json.dumps({"source": ["svideo.video"]})
        )
        events.put_targets(Rule="video-events", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
        yield {"events": events, "sqs": sqs, "queue_url": queue_url}


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return received
        received.extend(json.loads(message["Body"]) for message in batch)


def test_given_a_rule_to_sqs_when_details_are_published_then_the_queue_receives_parseable_events(aws) -> None:
    published = [canonical_detail("Video.StatusChanged"), canonical_detail("Video.Published")]
    other = canonical_detail("Recording.Ended")

    ids = EventPublisher(BUS, client=aws["events"]).publish(*published, other)

    received = drain(aws["sqs"], aws["queue_url"])
    assert len(ids) == 3
    assert sorted(e["detail-type"] for e in received) == ["Video.Published", "Video.StatusChanged"]
    assert {e["id"] for e in received} <= set(ids)
    # moto's SQS delivery leaves out `account`, so the details are checked rather than whole envelopes.
    parsed = [parse_detail(e["source"], e["detail-type"], e["detail"], strict=True) for e in received]
    assert sorted(parsed, key=lambda d: d.detail_type) == sorted(published, key=lambda d: d.detail_type)


def test_given_25_events_when_published_then_three_put_events_calls_deliver_all_25(aws) -> None:
    calls: list[int] = []
    client = aws["events"]
    client.meta.events.register(
        "provide-client-params.events.PutEvents", lambda params, **_: calls.append(len(params["Entries"]))
    )

    ids = EventPublisher(BUS, client=client).publish(*[canonical_detail("Video.Published")] * 25)

    assert calls == [10, 10, 5]
    assert len(set(ids)) == 25
    assert len(drain(aws["sqs"], aws["queue_url"])) == 25


def test_given_eventbridge_rejects_an_entry_when_published_then_publish_error_names_it() -> None:
    client = boto3.client(
        "events", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    details = [canonical_detail("Video.Published"), canonical_detail("Title.Selected")]
    with Stubber(client) as stubber:
        stubber.add_response(
            "put_events",
            {
                "FailedEntryCount": 1,
                "Entries": [
                    {"EventId": "11111111-2222-3333-4444-555555555555"},
                    {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service error"},
                ],
            },
        )

        with pytest.raises(PublishError) as caught:
            EventPublisher(BUS, client=client).publish(*details)

    (failure,) = caught.value.failures
    assert (failure.index, failure.source, failure.detail_type) == (1, "svideo.video", "Title.Selected")
    assert (failure.error_code, failure.error_message) == ("InternalFailure", "Internal service error")
    assert caught.value.event_ids == ["11111111-2222-3333-4444-555555555555", None]
