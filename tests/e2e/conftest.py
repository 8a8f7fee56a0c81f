"""Helpers the end-to-end tests share on top of `local.platform_client`: a copy of the bus's events they can
read, and putting an event on the bus."""

from __future__ import annotations

import json
from typing import Any

from infra.naming import bus_name
from local.cloud import LocalCloud

STAGE = "dev"


class BusTap:
    """Every svideo event on the bus, copied by a rule to the queue `<name>-events` the test drains."""

    def __init__(self, cloud: LocalCloud, name: str, stage: str = STAGE) -> None:
        self.cloud = cloud
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        sqs = cloud.client("sqs")
        self.queue_url: str = sqs.create_queue(QueueName=f"{name}-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        rules = cloud.client("events")
        pattern = json.dumps({"source": [{"prefix": "svideo."}]})
        rule_arn = rules.put_rule(Name=f"{name}-everything", EventBusName=bus_name(stage),
                                  EventPattern=pattern)["RuleArn"]  # fmt: skip
        allow_rule_to_send(cloud, self.queue_url, arn, rule_arn)
        rules.put_targets(Rule=f"{name}-everything", EventBusName=bus_name(stage),
                          Targets=[{"Id": "q", "Arn": arn}])  # fmt: skip

    def drain(self) -> list[dict[str, Any]]:
        """Every event seen so far, in arrival order."""
        sqs = self.cloud.client("sqs")
        while messages := sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                self.raw.append(message["Body"])
                self.events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.events

    def of_video(self, video_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        """The video's events seen so far, of one type if given."""
        return [
            e
            for e in self.drain()
            if e["detail"].get("video_id") == video_id and detail_type in (None, e["detail-type"])
        ]


def allow_rule_to_send(cloud: LocalCloud, queue_url: str, queue_arn: str, rule_arn: str) -> None:
    """The queue policy a rule's SQS target needs, as on AWS (what CDK's `SqsQueue` target adds)."""
    statement = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                 "Action": "sqs:SendMessage", "Resource": queue_arn,
                 "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}  # fmt: skip
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    cloud.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})


def put_event(cloud: LocalCloud, event: dict[str, Any], stage: str = STAGE) -> str:
    """One event (`source`, `detail-type`, `detail`, as a rule delivers it) on the stage's bus; its id."""
    entry = {"Source": event["source"], "DetailType": event["detail-type"],
             "Detail": json.dumps(event["detail"]), "EventBusName": bus_name(stage)}  # fmt: skip
    result = cloud.client("events").put_events(Entries=[entry])
    assert result["FailedEntryCount"] == 0, result
    return str(result["Entries"][0]["EventId"])
