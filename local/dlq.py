"""Dead-letter queue tools: find every DLQ the deployed resources name, show their depth, and redrive them.

Redrive follows what each DLQ holds: messages an EventBridge rule target dead-lettered (RULE_ARN/TARGET_ARN
attributes) are delivered again to that target, messages a schedule dead-lettered (SCHEDULE_ARN) to the
schedule's target, and messages SQS moved after maxReceiveCount go back to their source queue. A message is
deleted from the DLQ only once it is delivered; failures stay for the next redrive.
Routes (for `svideo dlq list|redrive`): `GET /_svideo/dlq`, `POST /_svideo/dlq/redrive` with `{"queue": ...}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.contracts import DeliveryError

log = logging.getLogger("svideo.local.dlq")

_RECEIVE_BATCH = 10
_REDRIVE_VISIBILITY_SECONDS = 30  # failed messages stay hidden for the rest of one redrive


class DeadLetterQueues:
    def __init__(self, cloud: Any, *, events: Any = None, scheduler: Any = None) -> None:
        self._cloud = cloud
        self._events = events
        self._scheduler = scheduler

    # ------------------------------------------------------------ listing

    def queues(self) -> list[dict[str, Any]]:
        """Every queue used as a DLQ, with its depth and what sends to it."""
        sources: dict[str, list[dict[str, Any]]] = {}

        def add(arn: str | None, source: dict[str, Any]) -> None:
            if arn and str(arn).startswith("arn:aws:sqs:"):
                sources.setdefault(str(arn), []).append(source)

        if self._events is not None:
            for rule_arn, target in self._events.rule_targets():
                add(
                    (target.get("DeadLetterConfig") or {}).get("Arn"),
                    {"kind": "rule-target", "rule": rule_arn, "target": target.get("Arn")},
                )
        if self._scheduler is not None:
            for schedule in self._scheduler.schedules():
                add(
                    (schedule.get("Target", {}).get("DeadLetterConfig") or {}).get("Arn"),
                    {"kind": "schedule", "schedule": schedule["Arn"]},
                )
        for queue_arn, dlq_arn in self._redrive_policies():
            add(dlq_arn, {"kind": "sqs-redrive", "queue": queue_arn})
        for function_arn, dlq_arn in self._lambda_failure_queues():
            add(dlq_arn, {"kind": "lambda", "function": function_arn})
        return [
            {
                "arn": arn,
                "name": arn.split(":")[5],
                "url": self._url(arn),
                "depth": self._depth(arn),
                "sources": found,
            }
            for arn, found in sorted(sources.items())
        ]

    def _redrive_policies(self) -> list[tuple[str, str]]:
        sqs = self._cloud.client("sqs")
        pairs = []
        try:
            urls = sqs.list_queues().get("QueueUrls", [])
            for url in urls:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"]
                )
                policy = attributes.get("Attributes", {}).get("RedrivePolicy")
                if policy:
                    pairs.append(
                        (
                            attributes["Attributes"]["QueueArn"],
                            json.loads(policy).get("deadLetterTargetArn", ""),
                        )
                    )
        except (ClientError, BotoCoreError, ValueError) as exc:
            log.warning("reading SQS redrive policies failed: %s", exc)
        return pairs

    def _lambda_failure_queues(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        try:
            client = self._cloud.client("lambda")
            for function in client.list_functions().get("Functions", []):
                arn = function["FunctionArn"]
                if target := (function.get("DeadLetterConfig") or {}).get("TargetArn"):
                    pairs.append((arn, target))
                try:
                    configs = client.list_function_event_invoke_configs(FunctionName=arn)
                except (ClientError, BotoCoreError):
                    continue
                for config in configs.get("FunctionEventInvokeConfigs", []):
                    destination = (config.get("DestinationConfig", {}).get("OnFailure") or {}).get(
                        "Destination"
                    )
                    if destination:
                        pairs.append((arn, destination))
        except (ClientError, BotoCoreError) as exc:
            log.warning("reading Lambda failure destinations failed: %s", exc)
        return pairs

    def _url(self, arn: str) -> str | None:
        account, name = arn.split(":")[4], arn.split(":")[5]
        try:
            return str(
                self._cloud.client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
                    "QueueUrl"
                ]
            )
        except (ClientError, BotoCoreError):
            return None

    def _depth(self, arn: str) -> int | None:
        url = self._url(arn)
        if url is None:
            return None
        attributes = self._cloud.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))

    # ------------------------------------------------------------ redrive

    def redrive(self, queue: str) -> dict[str, Any]:
        """Move every message of `queue` (name, URL or ARN) back where it came from."""
        url = self._resolve(queue)
        sqs = self._cloud.client("sqs")
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sources = [source for source, dlq in self._redrive_policies() if dlq == arn]
        moved, failed, errors = 0, 0, []
        while True:
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=_RECEIVE_BATCH,
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
                VisibilityTimeout=_REDRIVE_VISIBILITY_SECONDS,
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                try:
                    self._redrive_one(message, sources)
                except (DeliveryError, ClientError, BotoCoreError, ValueError) as exc:
                    failed += 1
                    errors.append(str(exc))
                    continue
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        log.info("redrive of %s: %d moved, %d failed", arn, moved, failed)
        return {"queue": arn, "moved": moved, "failed": failed, "errors": errors[:10]}

    def _redrive_one(self, message: dict[str, Any], sources: list[str]) -> None:
        attributes = {
            key: value.get("StringValue", "")
            for key, value in (message.get("MessageAttributes") or {}).items()
        }
        body = message["Body"]
        if "RULE_ARN" in attributes and self._events is not None:
            self._events.redeliver(attributes["RULE_ARN"], attributes["TARGET_ARN"], json.loads(body))
            return
        if "SCHEDULE_ARN" in attributes and self._scheduler is not None:
            target = self._scheduler.target_for(attributes["SCHEDULE_ARN"])
            if target is None:
                raise DeliveryError(
                    "NO_RESOURCE", f"schedule {attributes['SCHEDULE_ARN']} no longer exists", retryable=False
                )
            self._cloud.targets.deliver(target, body, source_arn=attributes["SCHEDULE_ARN"])
            return
        if not sources:
            raise ValueError(
                "no source is known for this message (no EventBridge attributes, no redrive policy)"
            )
        source_arn = sources[0]
        sqs = self._cloud.client("sqs")
        url = sqs.get_queue_url(
            QueueName=source_arn.split(":")[5], QueueOwnerAWSAccountId=source_arn.split(":")[4]
        )["QueueUrl"]
        request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
        if message.get("MessageAttributes"):
            request["MessageAttributes"] = {
                key: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for key, value in message["MessageAttributes"].items()
            }
        if source_arn.endswith(".fifo"):
            request["MessageGroupId"] = message.get("Attributes", {}).get("MessageGroupId", "redrive")
            request["MessageDeduplicationId"] = message["MessageId"]
        sqs.send_message(**request)

    def _resolve(self, queue: str) -> str:
        sqs = self._cloud.client("sqs")
        if queue.startswith("http"):
            return queue
        name, account = queue, self._cloud.account_id
        if queue.startswith("arn:"):
            account, name = queue.split(":")[4], queue.split(":")[5]
        try:
            return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])
        except ClientError as exc:
            raise AwsError("ResourceNotFoundException", f"queue {queue} does not exist", 404) from exc


def register_routes(cloud: Any) -> None:
    """`GET /_svideo/dlq` and `POST /_svideo/dlq/redrive`; the event services are looked up on each call."""

    def serving(signing_name: str) -> Any:
        # by the API they answer, not by class: the services import this module, not the other way round
        services = cloud.gateway.services()
        return next((s for s in services if signing_name in getattr(s, "signing_names", ())), None)

    def tools() -> DeadLetterQueues:
        return DeadLetterQueues(cloud, events=serving("events"), scheduler=serving("scheduler"))

    def list_queues(_: AwsRequest) -> Response:
        return json_response({"queues": tools().queues()}, content_type="application/json")

    def redrive(request: AwsRequest) -> Response:
        queue = request.json().get("queue")
        if not isinstance(queue, str) or not queue:
            raise AwsError("ValidationException", 'body must be {"queue": "<name, URL or ARN>"}')
        return json_response(tools().redrive(queue), content_type="application/json")

    cloud.add_internal_route("GET", "/_svideo/dlq", list_queues)
    cloud.add_internal_route("POST", "/_svideo/dlq/redrive", redrive)
