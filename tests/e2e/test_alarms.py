"""Alarms on the local cloud, as an operator meets them: `svideo up` deploys the app's operations and core
stacks; an SQS queue subscribed to the stage's alarm topic stands in for the operator's mailbox; a rule whose
target is gone fills the core DLQ; `svideo alarms` shows the DLQ's depth alarm go to ALARM and the topic
delivers CloudWatch's notification; once the DLQ is purged the alarm returns to OK and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from infra.naming import resource_name

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "python tests/e2e/apps/operations_app.py"
STAGE = "local"  # `svideo up`'s default stage
DLQ_ALARM_PREFIX = f"CoreStack-{STAGE}-dlq-depth-EventsDeadLetterQueue"


def _svideo(state: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "SVIDEO_STATE_DIR": str(state)},
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("svideo")
    up = _svideo(directory, "up", "--detach", "--port", "0", "--app", APP)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"stack OperationsStack-{STAGE}: CREATE_COMPLETE" in up.stdout
        assert f"stack CoreStack-{STAGE}: CREATE_COMPLETE" in up.stdout
        yield directory
    finally:
        down = _svideo(directory, "down")
        assert down.returncode == 0, down.stderr


def _client(state: Path, service: str) -> Any:
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=json.loads((state / "cloud.json").read_text())["endpoint"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


def _eventually(check: Callable[[], Any], timeout: float = 90.0, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def _alarm_states(state: Path) -> dict[str, dict[str, Any]]:
    listed = _svideo(state, "alarms", "--json", timeout=60)
    assert listed.returncode == 0, listed.stderr
    return {alarm["AlarmName"]: alarm for alarm in json.loads(listed.stdout)}


def _notifications(inbox: Any, url: str) -> list[dict[str, Any]]:
    received = inbox.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    for message in received:
        inbox.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(json.loads(message["Body"])["Message"]) for message in received]


def test_given_a_filled_dlq_when_the_alarms_are_evaluated_then_alarm_and_the_topic_notifies_then_ok(
    state: Path,
) -> None:
    sqs, sns, events = (_client(state, name) for name in ("sqs", "sns", "events"))
    topic = next(
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].endswith(resource_name(STAGE, "alarms"))
    )
    inbox = sqs.create_queue(QueueName="operator-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)

    # Given: the deployed alarm, evaluated on an empty DLQ.
    alarms = _eventually(
        lambda: {
            n: a
            for n, a in _alarm_states(state).items()
            if n.startswith(DLQ_ALARM_PREFIX) and a["StateValue"] == "OK"
        }
    )
    assert len(alarms) == 1, _alarm_states(state)
    (name,) = alarms
    alarm = alarms[name]
    assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert (alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == (
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        60,
    )
    assert alarm["TreatMissingData"] == "notBreaching"
    dlq_name = alarm["Dimensions"][0]["Value"]
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]

    # When: a rule on the bus delivers to a queue that no longer exists, with the core DLQ as its DLQ.
    bus = resource_name(STAGE)
    events.put_rule(Name="orphaned", EventBusName=bus, EventPattern=json.dumps({"source": ["ops.test"]}))
    events.put_targets(
        Rule="orphaned",
        EventBusName=bus,
        Targets=[
            {
                "Id": "gone",
                "Arn": dlq_arn.rsplit(":", 1)[0] + ":deleted-queue",
                "DeadLetterConfig": {"Arn": dlq_arn},
                "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
            }
        ],
    )
    put = events.put_events(
        Entries=[{"EventBusName": bus, "Source": "ops.test", "DetailType": "Orphaned", "Detail": "{}"}]
    )
    assert put["FailedEntryCount"] == 0
    assert _eventually(
        lambda: int(
            sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
    )

    # Then: the alarm goes to ALARM, with CloudWatch's reason, and the topic delivers the notification.
    fired = _eventually(lambda: _alarm_states(state)[name]["StateValue"] == "ALARM")
    assert fired, _alarm_states(state)[name]
    listed = _svideo(state, "alarms", "--state", "ALARM")
    assert name in listed.stdout and "1 of 1 periods, missing data: notBreaching" in listed.stdout
    assert "Threshold Crossed: 1 out of the last 1 datapoints" in listed.stdout
    notified: list[dict[str, Any]] = []
    assert _eventually(
        lambda: any(
            n["AlarmName"] == name and n["NewStateValue"] == "ALARM"
            for n in notified.extend(_notifications(sqs, inbox)) or notified
        ),
        timeout=30,
    ), notified
    (alarmed,) = [n for n in notified if n["AlarmName"] == name and n["NewStateValue"] == "ALARM"]
    assert alarmed["OldStateValue"] == "OK"
    assert alarmed["Trigger"]["Dimensions"] == [{"value": dlq_name, "name": "QueueName"}]
    assert "Runbook: docs/operations.md#dlq-depth" in alarmed["AlarmDescription"]
    metrics = _svideo(
        state, "metrics", "--namespace", "AWS/SQS", "--name", "ApproximateNumberOfMessagesVisible"
    )
    assert f"QueueName={dlq_name}" in metrics.stdout

    # And: an operator who drains the DLQ sees the alarm recover once the breaching period has passed.
    sqs.purge_queue(QueueUrl=dlq_url)
    recovered = _eventually(lambda: _alarm_states(state)[name]["StateValue"] == "OK", timeout=150, interval=2)
    assert recovered, _alarm_states(state)[name]
    assert _eventually(
        lambda: any(
            n["AlarmName"] == name and n["NewStateValue"] == "OK"
            for n in notified.extend(_notifications(sqs, inbox)) or notified
        ),
        timeout=30,
    )
