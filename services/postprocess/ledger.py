"""Who holds a video and whether its outcome was emitted: one item per video, changed by conditional writes.

- `acquire` takes a lease on the video unless its outcome is already emitted or another attempt holds an
  unexpired lease; a crashed attempt's lease runs out and the next delivery takes over.
- `complete` records the emitted outcome; `release` gives the lease up (hand-over to Fargate).
The DynamoDB adapter is the real one; the in-memory one (same rules) serves unit tests and the benchmark.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Outcome = Literal["processed", "failed"]


@dataclass(frozen=True)
class Acquired:
    attempts: int  # attempts that took the lease so far, this one included


@dataclass(frozen=True)
class AlreadyEmitted:
    outcome: str


@dataclass(frozen=True)
class HeldElsewhere:
    owner: str
    lease_until: float


Claim = Acquired | AlreadyEmitted | HeldElsewhere


class Ledger(Protocol):
    def acquire(self, video_id: str, owner: str, *, now: float, lease_s: float) -> Claim: ...

    def complete(self, video_id: str, owner: str, outcome: Outcome, *, now: float) -> None: ...

    def release(self, video_id: str, owner: str) -> None: ...

    def outcome(self, video_id: str) -> str | None:
        """The emitted outcome, if any."""
        ...


class MemoryLedger:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def acquire(self, video_id: str, owner: str, *, now: float, lease_s: float) -> Claim:
        with self._lock:
            item = self.items.get(video_id)
            if item and item.get("outcome"):
                return AlreadyEmitted(item["outcome"])
            if item and item["owner"] != owner and item["lease_until"] > now:
                return HeldElsewhere(item["owner"], item["lease_until"])
            attempts = (item or {}).get("attempts", 0) + 1
            self.items[video_id] = {"owner": owner, "lease_until": now + lease_s, "attempts": attempts}
            return Acquired(attempts)

    def complete(self, video_id: str, owner: str, outcome: Outcome, *, now: float) -> None:
        with self._lock:
            item = self.items.setdefault(video_id, {"owner": owner, "attempts": 1})
            item.update(outcome=outcome, lease_until=0.0, completed_at=now)

    def release(self, video_id: str, owner: str) -> None:
        with self._lock:
            item = self.items.get(video_id)
            if item and item["owner"] == owner and not item.get("outcome"):
                item["lease_until"] = 0.0

    def outcome(self, video_id: str) -> str | None:
        item = self.items.get(video_id)
        return item.get("outcome") if item else None


class DynamoLedger:
    """Table with partition key `video_id` (S); the client is injected (created lazily by the handlers)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    def _is_condition_failure(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        return bool(code == "ConditionalCheckFailedException")

    def acquire(self, video_id: str, owner: str, *, now: float, lease_s: float) -> Claim:
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key={"video_id": {"S": video_id}},
                UpdateExpression="SET #owner = :owner, lease_until = :until ADD attempts :one",
                ConditionExpression=(
                    "attribute_not_exists(video_id) OR "
                    "(attribute_not_exists(outcome) AND (#owner = :owner OR lease_until < :now))"
                ),
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": repr(now + lease_s)},
                    ":now": {"N": repr(now)},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as error:
            if not self._is_condition_failure(error):
                raise
            item = self.client.get_item(
                TableName=self.table, Key={"video_id": {"S": video_id}}, ConsistentRead=True
            ).get("Item", {})
            if "outcome" in item:
                return AlreadyEmitted(item["outcome"]["S"])
            return HeldElsewhere(item.get("owner", {}).get("S", "?"), float(item["lease_until"]["N"]))
        return Acquired(int(response["Attributes"]["attempts"]["N"]))

    def complete(self, video_id: str, owner: str, outcome: Outcome, *, now: float) -> None:
        self.client.update_item(
            TableName=self.table,
            Key={"video_id": {"S": video_id}},
            UpdateExpression="SET outcome = :outcome, completed_at = :now, lease_until = :zero",
            ExpressionAttributeValues={
                ":outcome": {"S": outcome},
                ":now": {"N": repr(now)},
                ":zero": {"N": "0"},
            },
        )

    def release(self, video_id: str, owner: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"video_id": {"S": video_id}},
                UpdateExpression="SET lease_until = :zero",
                ConditionExpression="#owner = :owner AND attribute_not_exists(outcome)",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}, ":zero": {"N": "0"}},
            )
        except Exception as error:
            if not self._is_condition_failure(error):
                raise

    def outcome(self, video_id: str) -> str | None:
        item = self.client.get_item(
            TableName=self.table, Key={"video_id": {"S": video_id}}, ConsistentRead=True
        ).get("Item", {})
        return item["outcome"]["S"] if "outcome" in item else None
