"""Polled event sources shared by event source mappings and Pipes: SQS queues and DynamoDB streams."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from typing import Any

log = logging.getLogger("svideo.local.lambda")

# How long an idle SQS poller's ReceiveMessage waits for a message, as Lambda's and Pipes' pollers long-poll:
# a sent message is handed over at once, one whose visibility timeout ends within about a second, and an
# idle queue costs a call every few seconds instead of five a second.
LONG_POLL_S = 5


def arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 else ""


def is_stream_arn(arn: str) -> bool:
    return arn_service(arn) == "dynamodb" and "/stream/" in arn


class SqsSource:
    """Receives from one queue and shapes messages the way Lambda and Pipes hand them to targets."""

    def __init__(self, sqs: Any, queue_arn: str, region: str) -> None:
        self._sqs = sqs
        self.arn = queue_arn
        self._region = region
        parts = queue_arn.split(":")
        self.url = str(sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"])

    def receive(self, max_messages: int, wait_s: int = 0) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(max_messages, 10)),
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [self.record(message) for message in response.get("Messages", [])]

    def release(self, records: list[dict[str, Any]]) -> None:
        """Make received messages visible again at once (a poller stopped while its long poll got them)."""
        entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": 0}
                   for i, r in enumerate(records)]  # fmt: skip
        for start in range(0, len(entries), 10):
            chunk = entries[start : start + 10]
            try:
                self._sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=chunk)
            except Exception:  # without the grant they come back when their visibility timeout ends
                log.warning("could not release %d messages of %s", len(chunk), self.arn)

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {key: str(value) for key, value in (message.get("Attributes") or {}).items()}
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": attributes,
            "messageAttributes": {
                name: _message_attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody")
            or hashlib.md5(message.get("Body", "").encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self._region,
        }

    def delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            response = self._sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                    for index, record in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", []):
                log.warning("could not delete a message from %s: %s", self.arn, failure)


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType"),
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return shaped


class DynamoDbStreamSource:
    """Reads every shard of one stream from TRIM_HORIZON or LATEST; records keep the Lambda event shape."""

    def __init__(self, streams: Any, stream_arn: str, starting_position: str, region: str) -> None:
        self._streams = streams
        self.arn = stream_arn
        self._region = region
        self._position = (
            starting_position if starting_position in ("TRIM_HORIZON", "LATEST") else "TRIM_HORIZON"
        )
        self._iterators: dict[str, str | None] = {}
        self._refresh_shards()

    def _refresh_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType=self._position
                )["ShardIterator"]

    def poll(self, limit: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=max(1, min(limit, 1000)))
            self._iterators[shard_id] = response.get("NextShardIterator")
            records.extend(self.record(raw) for raw in response.get("Records", []))
        return records

    def record(self, raw: dict[str, Any]) -> dict[str, Any]:
        shaped = _wire(raw)
        shaped.setdefault("eventVersion", "1.1")
        shaped["eventSource"] = "aws:dynamodb"
        shaped["awsRegion"] = self._region
        shaped["eventSourceARN"] = self.arn
        return shaped


def _wire(value: Any) -> Any:
    """Back from boto3's parsed record to the JSON wire form (epoch seconds, base64 binaries)."""
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value
