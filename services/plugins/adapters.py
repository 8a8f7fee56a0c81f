"""AWS adapters of the plugin service's ports: DynamoDB tables, EventBridge Scheduler, Secrets Manager."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from services.plugins.lifecycle import DeadlineMessage, LifecycleState
from services.plugins.registry import RegisteredPlugin

_CONDITION_FAILED = "ConditionalCheckFailedException"


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

    def delete(self, name: str) -> None:
        self.table.delete_item(Key={"name": name})


class DynamoLifecycleStore:
    """One item per video: `video_id`, `version` (optimistic lock), `status`, and the state as JSON."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, video_id: str) -> LifecycleState | None:
        item = self.table.get_item(Key={"video_id": video_id}, ConsistentRead=True).get("Item")
        if not item:
            return None
        state = LifecycleState.from_json(item["state"])
        state.version = int(item["version"])
        return state

    def _item(self, state: LifecycleState, version: int) -> dict[str, Any]:
        return {
            "video_id": state.video_id,
            "version": version,
            "status": state.status,
            "verdict": state.verdict or "-",
            "state": state.model_copy(update={"version": version}).to_json(),
        }

    def create(self, state: LifecycleState) -> bool:
        try:
            self.table.put_item(
                Item=self._item(state, 1), ConditionExpression="attribute_not_exists(video_id)"
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        state.version = 1
        return True

    def save(self, state: LifecycleState, expected_version: int) -> bool:
        try:
            self.table.put_item(
                Item=self._item(state, expected_version + 1),
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":expected": expected_version},
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        state.version = expected_version + 1
        return True


class RegistryCatalog:
    """The lifecycle's view of the registry: the enabled manifests."""

    def __init__(self, store: DynamoRegistryStore) -> None:
        self.store = store

    def enabled_manifests(self) -> list[Any]:
        return [plugin.manifest for plugin in self.store.all() if plugin.enabled]


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
