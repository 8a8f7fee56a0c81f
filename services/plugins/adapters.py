"""AWS adapters of the plugin service's ports: DynamoDB tables, EventBridge Scheduler, Secrets Manager."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from services.plugins.invocation_log import (
    ITEM_KEY_PREFIX,
    LOG_RETENTION,
    PLUGIN_ATTRIBUTE,
    PLUGIN_INDEX,
    TABLE_KEY,
    TIME_ATTRIBUTE,
    InvocationEntry,
    InvocationPage,
    decode_token,
    encode_token,
    log_at_key,
)
from services.plugins.lifecycle import DeadlineMessage, LifecycleState
from services.plugins.registry import RegisteredPlugin, after_outcome

log = logging.getLogger(__name__)

_CONDITION_FAILED = "ConditionalCheckFailedException"
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == _CONDITION_FAILED


class DynamoRegistryStore:
    """One item per plugin, keyed by `name`; the registration lives in `document` as JSON."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, name: str) -> RegisteredPlugin | None:
        item = self.table.get_item(Key={"name": name}, ConsistentRead=True).get("Item")
        return RegisteredPlugin.model_validate_json(item["document"]) if item else None

    def all(self) -> list[RegisteredPlugin]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = self.table.scan(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [RegisteredPlugin.model_validate_json(item["document"]) for item in items]

    def _item(self, plugin: RegisteredPlugin) -> dict[str, Any]:
        return {
            "name": plugin.name,
            "hook": plugin.manifest.hook,
            "owner_id": plugin.owner_id,
            "enabled": plugin.enabled,
            "document": plugin.model_dump_json(),
        }

    def create(self, plugin: RegisteredPlugin) -> bool:
        try:
            self.table.put_item(Item=self._item(plugin), ConditionExpression="attribute_not_exists(#n)",
                                ExpressionAttributeNames={"#n": "name"})  # fmt: skip
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def put(self, plugin: RegisteredPlugin) -> None:
        self.table.put_item(Item=self._item(plugin))

    def replace(self, current: RegisteredPlugin, updated: RegisteredPlugin) -> bool:
        """Writes `updated` only if the stored document is still `current`'s; False when it changed."""
        try:
            self.table.put_item(
                Item=self._item(updated),
                ConditionExpression="#d = :current",
                ExpressionAttributeNames={"#d": "document"},
                ExpressionAttributeValues={":current": current.model_dump_json()},
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        self.table.delete_item(Key={"name": name})


def invocation_item(entry: InvocationEntry) -> dict[str, Any]:
    """A log row in the lifecycle table: a key no video has, the index's keys, a TTL, the entry as JSON."""
    return {
        TABLE_KEY: f"{ITEM_KEY_PREFIX}{entry.invocation_id}",
        PLUGIN_ATTRIBUTE: entry.plugin,
        TIME_ATTRIBUTE: log_at_key(entry),
        "expires_at": int((entry.logged_at + LOG_RETENTION).timestamp()),
        "document": entry.model_dump_json(),
    }


class DynamoLifecycleStore:
    """One item per video: `video_id`, `version` (optimistic lock), `status`, and the state as JSON.

    A write that starts or ends invocations also puts their log rows (`invocation_item`) in one transaction.
    """

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, video_id: str) -> LifecycleState | None:
        item = self.table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item")
        if not item:
            return None
        state = LifecycleState.from_json(item["state"])
        state.version = int(item["version"])
        return state

    def forget(self, video_id: str) -> int:
        state = self.get(video_id)
        if state is None:
            return 0
        keys = [{TABLE_KEY: f"{ITEM_KEY_PREFIX}{record.id}"} for record in state.invocations.values()]
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        self.table.delete_item(Key={TABLE_KEY: video_id})
        return len(keys) + 1

    def _item(self, state: LifecycleState, version: int) -> dict[str, Any]:
        return {
            "video_id": state.video_id,
            "version": version,
            "status": state.status,
            "verdict": state.verdict or "-",
            "state": state.model_copy(update={"version": version}).to_json(),
        }

    def create(self, state: LifecycleState, log: Sequence[InvocationEntry] = ()) -> bool:
        condition = {"ConditionExpression": "attribute_not_exists(video_id)"}
        if not self._write(self._item(state, 1), condition, log):
            return False
        state.version = 1
        return True

    def save(self, state: LifecycleState, expected_version: int, log: Sequence[InvocationEntry] = ()) -> bool:
        condition = {
            "ConditionExpression": "#v = :expected",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":expected": expected_version},
        }
        if not self._write(self._item(state, expected_version + 1), condition, log):
            return False
        state.version = expected_version + 1
        return True

    def _write(self, item: dict[str, Any], condition: dict[str, Any], log: Sequence[InvocationEntry]) -> bool:
        """False when the condition on the state item fails; nothing is written then."""
        if not log:
            try:
                self.table.put_item(Item=item, **condition)
            except ClientError as exc:
                if _condition_failed(exc):
                    return False
                raise
            return True
        # The resource's client takes plain values, as the table does (it serializes them itself).
        rows = [invocation_item(entry) for entry in log]
        puts = [{"TableName": self.table.name, "Item": item, **condition}]
        puts += [{"TableName": self.table.name, "Item": row} for row in rows[: MAX_TRANSACTION_ITEMS - 1]]
        try:
            self.table.meta.client.transact_write_items(TransactItems=[{"Put": put} for put in puts])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or [{}]
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException" and (
                reasons[0].get("Code") == "ConditionalCheckFailed"
            ):
                return False
            raise
        for row in rows[MAX_TRANSACTION_ITEMS - 1 :]:  # past a transaction's size: after it, one by one
            self.table.put_item(Item=row)
        return True


class DynamoInvocationLog:
    """Reads the log rows of one plugin through the lifecycle table's plugin index, newest first."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def page(self, plugin: str, limit: int, token: str | None) -> InvocationPage:
        start = decode_token(token, plugin)
        response = self.table.query(
            IndexName=PLUGIN_INDEX,
            KeyConditionExpression=Key(PLUGIN_ATTRIBUTE).eq(plugin),
            ScanIndexForward=False,
            Limit=limit,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        items = response.get("Items", [])
        return InvocationPage(
            invocations=[InvocationEntry.model_validate_json(item["document"]) for item in items],
            next_token=encode_token(response.get("LastEvaluatedKey")),
        )


class RegistryCatalog:
    """The lifecycle's view of the registry: the enabled manifests, and each invocation's outcome."""

    def __init__(self, store: DynamoRegistryStore) -> None:
        self.store = store

    def enabled_manifests(self) -> list[Any]:
        return [plugin.manifest for plugin in self.store.all() if plugin.enabled]

    def record_outcome(self, plugin: str, video_id: str, outcome: str) -> None:
        for _ in range(5):  # lifecycles of other videos count too: write only over the document read
            current = self.store.get(plugin)
            if current is None:
                return
            updated = after_outcome(current, video_id, outcome, datetime.now(UTC))
            if updated == current:
                return
            if not updated.enabled and current.enabled:
                log.warning("plugin disabled", extra={"plugin": plugin, "reason": updated.disabled_reason})
            if self.store.replace(current, updated):
                return


class EventBridgeDeadlineScheduler:
    """One-time `at()` schedules sending a DeadlineMessage to the lifecycle queue, deleted once fired."""

    def __init__(
        self, client: Any, *, group: str, queue_arn: str, role_arn: str, dead_letter_arn: str
    ) -> None:
        self.client = client
        self.group = group
        self.queue_arn = queue_arn
        self.role_arn = role_arn
        self.dead_letter_arn = dead_letter_arn

    def schedule(self, name: str, at: datetime, message: DeadlineMessage) -> None:
        try:
            self.client.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self.queue_arn,
                    "RoleArn": self.role_arn,
                    "Input": message.model_dump_json(),
                    "DeadLetterConfig": {"Arn": self.dead_letter_arn},
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise

    def cancel(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise


def token_key(secrets_client: Any, secret_id: str) -> bytes:
    """The HMAC key: the secret's string (base64 or plain text), never logged."""
    value = secrets_client.get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    text = parsed["key"] if isinstance(parsed, dict) else str(parsed)
    try:
        return base64.b64decode(text, validate=True) if len(text) >= 44 else text.encode()
    except ValueError:
        return text.encode()
