"""DLQ tools over the internal routes: DLQs are listed with their depth and sources, and redrive moves each
message back where it came from (the rule's target, or the SQS source queue)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from local.cloud import LocalCloud
from local.contracts import InvokeResult
from tests.integration.local.helpers import StartCloud, queue

pytestmark = pytest.mark.timeout(60)


class FlakyLambdas:
    def __init__(self) -> None:
        self.healthy = False
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def invoke(self, function: str, payload: bytes, **_: Any) -> InvokeResult:
        with self._lock:
            self.calls.append(json.loads(payload))
        return InvokeResult(status_code=202 if self.healthy else 503, payload=b"")


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(lambdas=FlakyLambdas(), events={"retry_time_scale": 0.001})


def depth(cloud: LocalCloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return bool(condition())


def test_given_a_rule_target_dlq_when_the_target_recovers_and_redrive_runs_then_the_event_is_redelivered(
    cloud,
):
    events = cloud.client("events")
    lambdas: FlakyLambdas = cloud.lambdas  # type: ignore[assignment]
    dlq_url, dlq_arn = queue(cloud, "catalog-dlq")
    events.put_rule(Name="to-catalog", EventPattern=json.dumps({"detail-type": ["Video.Published"]}))
    events.put_targets(
        Rule="to-catalog",
        Targets=[
            {
                "Id": "fn",
                "Arn": "arn:aws:lambda:us-east-1:123456789012:function:catalog",
                "InputPath": "$.detail",
                "RetryPolicy": {"MaximumRetryAttempts": 1},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )
    events.put_events(
        Entries=[
            {
                "Source": "svideo.video",
                "DetailType": "Video.Published",
                "Detail": json.dumps({"video_id": "v1"}),
            }
        ]
    )
    assert wait_until(lambda: depth(cloud, dlq_url) == 1)

    listed = requests.get(f"{cloud.endpoint}/_svideo/dlq", timeout=10).json()["queues"]
    entry = next(q for q in listed if q["arn"] == dlq_arn)
    assert entry["depth"] == 1
    assert entry["sources"] == [
        {
            "kind": "rule-target",
            "rule": "arn:aws:events:us-east-1:123456789012:rule/to-catalog",
            "target": "arn:aws:lambda:us-east-1:123456789012:function:catalog",
        }
    ]

    lambdas.healthy = True
    calls_before = len(lambdas.calls)
    result = requests.post(
        f"{cloud.endpoint}/_svideo/dlq/redrive", json={"queue": "catalog-dlq"}, timeout=10
    ).json()

    assert result["moved"] == 1 and result["failed"] == 0
    assert lambdas.calls[calls_before:] == [{"video_id": "v1"}]  # rendered again with the target's InputPath
    assert depth(cloud, dlq_url) == 0


def test_given_an_sqs_redrive_dlq_when_redriven_then_messages_return_to_the_source_queue(cloud):
    sqs = cloud.client("sqs")
    dlq_url, dlq_arn = queue(cloud, "work-dlq")
    work_url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}),
            "VisibilityTimeout": "0",
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=work_url, MessageBody="poison")
    for _ in range(3):  # received once without delete, then moved to the DLQ by SQS
        sqs.receive_message(QueueUrl=work_url, MaxNumberOfMessages=1)
    assert wait_until(lambda: depth(cloud, dlq_url) == 1)

    listed = requests.get(f"{cloud.endpoint}/_svideo/dlq", timeout=10).json()["queues"]
    assert {"kind": "sqs-redrive", "queue": dlq_arn.replace("work-dlq", "work")} in next(
        q for q in listed if q["arn"] == dlq_arn
    )["sources"]

    result = requests.post(
        f"{cloud.endpoint}/_svideo/dlq/redrive", json={"queue": dlq_arn}, timeout=10
    ).json()

    assert result["moved"] == 1
    messages = sqs.receive_message(QueueUrl=work_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["poison"]
    assert depth(cloud, dlq_url) == 0


def test_given_a_bad_redrive_request_when_posted_then_it_is_a_client_error(cloud):
    response = requests.post(f"{cloud.endpoint}/_svideo/dlq/redrive", json={}, timeout=10)
    assert response.status_code == 400
    response = requests.post(
        f"{cloud.endpoint}/_svideo/dlq/redrive", json={"queue": "no-such-queue"}, timeout=10
    )
    assert response.status_code == 404
