"""The connections table: one item per connection, one per (connection, topic), fanned out through a GSI.

Layout (single table, owned by this service):
- `pk=conn#<id>, sk=#meta`: the connection (principal, connected_at, expires_at for TTL)
- `pk=conn#<id>, sk=topic#<topic>`: a subscription, with `topic` and `connection_id`, indexed by `by-topic`
- `pk=video#<id>, sk=#published`: a video this service saw published (titles of published videos are public)
- `pk=video#<id>, sk=#owner`: the video's owner, from its first event that names one (plugin progress and
  title rounds do not name the owner, and only the owner may see them); both go when the video is deleted
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from services.live.domain import CONNECTION_TTL_S, Subscriber

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

TOPIC_INDEX = "by-topic"
META = "#meta"
PUBLISHED = "#published"
OWNER = "#owner"
PUBLISHED_TTL_S = 90 * 24 * 3600


def _connection_key(connection_id: str) -> str:
    return f"conn#{connection_id}"


class DynamoConnectionStore:
    """`ConnectionStore` on the connections table; the table resource is injected by the handler."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, connection_id: str, principal: str | None, connected_at: datetime) -> None:
        item: dict[str, Any] = {
            "pk": _connection_key(connection_id),
            "sk": META,
            "connection_id": connection_id,
            "connected_at": connected_at.isoformat(),
            "expires_at": int(connected_at.timestamp()) + CONNECTION_TTL_S,
        }
        if principal is not None:
            item["principal"] = principal
        self._table.put_item(Item=item)

    def principal(self, connection_id: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": _connection_key(connection_id), "sk": META}, ProjectionExpression="principal"
        ).get("Item")
        value = (item or {}).get("principal")
        return str(value) if value else None

    def subscribe(self, connection_id: str, principal: str | None, topics: list[str]) -> None:
        expires_at = int(time.time()) + CONNECTION_TTL_S
        with self._table.batch_writer() as batch:
            for topic in topics:
                item: dict[str, Any] = {
                    "pk": _connection_key(connection_id),
                    "sk": f"topic#{topic}",
                    "topic": topic,
                    "connection_id": connection_id,
                    "expires_at": expires_at,
                }
                if principal is not None:
                    item["principal"] = principal
                batch.put_item(Item=item)

    def unsubscribe(self, connection_id: str, topics: list[str]) -> None:
        with self._table.batch_writer() as batch:
            for topic in topics:
                batch.delete_item(Key={"pk": _connection_key(connection_id), "sk": f"topic#{topic}"})

    def topics(self, connection_id: str) -> list[str]:
        return [
            str(item["topic"]) for item in self._items(connection_id) if str(item["sk"]).startswith("topic#")
        ]

    def remove(self, connection_id: str) -> None:
        with self._table.batch_writer() as batch:
            for item in self._items(connection_id):
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def subscribers(self, topic: str) -> list[Subscriber]:
        found: list[Subscriber] = []
        request: dict[str, Any] = {"IndexName": TOPIC_INDEX, "KeyConditionExpression": Key("topic").eq(topic)}
        while True:
            page = self._table.query(**request)
            for item in page.get("Items", []):
                principal = item.get("principal")
                found.append(Subscriber(str(item["connection_id"]), str(principal) if principal else None))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def mark_published(self, video_id: str, channel_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": f"video#{video_id}",
                "sk": PUBLISHED,
                "channel_id": channel_id,
                "expires_at": int(time.time()) + PUBLISHED_TTL_S,
            }
        )

    def published_channel(self, video_id: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"video#{video_id}", "sk": PUBLISHED}).get("Item")
        return str(item["channel_id"]) if item else None

    def remember_owner(self, video_id: str, owner_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": f"video#{video_id}",
                "sk": OWNER,
                "owner_id": owner_id,
                "expires_at": int(time.time()) + PUBLISHED_TTL_S,
            }
        )

    def video_owner(self, video_id: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"video#{video_id}", "sk": OWNER}).get("Item")
        return str(item["owner_id"]) if item else None

    def forget_video(self, video_id: str) -> None:
        for sort_key in (PUBLISHED, OWNER):
            self._table.delete_item(Key={"pk": f"video#{video_id}", "sk": sort_key})

    def _items(self, connection_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(_connection_key(connection_id))}
        while True:
            page = self._table.query(**request)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
