"""The catalog table: one item per video, its history items beside it, channel owners; sparse GSIs for lists.

| item | PK | SK |
|---|---|---|
| video | `VIDEO#<id>` | `VIDEO` |
| history entry | `VIDEO#<id>` | `HISTORY#<occurred_at>#<event_id>` (one event, one key, however often) |
| its parts | `VIDEO#<id>` | `HISTORY#<occurred_at>#<event_id>#<part>` (e.g. one per plugin result) |
| channel owner | `CHANNEL#<id>` | `CHANNEL` |
| outbox entry | `VIDEO#<id>` | `OUTBOX#<occurred_at>#<event_id>#<n>` (to publish, same transaction) |
| parked fact | `VIDEO#<id>` | `PARKED#<event_id>` (a change ahead of the video, kept until it applies) |

Events leave through the outbox: the table's stream feeds EventBridge Pipes that put each new outbox item's
`detail` on the bus, so an event is published if and only if its change was written. Outbox items carry no
GSI key attribute and expire through the table's TTL (`expires_at`).

GSIs (all Query, newest first, never a Scan): `by-channel` (channel_id, created_key), `by-owner` (owner_id,
created_key: a broadcaster's videos across channels), `by-status` (status,
status_key = deadline for non-terminal statuses, so the sweeper's overdue query is a key condition),
`published` (published_partition, published_key) and `published-by-channel` (published_channel,
published_key), both sparse: only published videos carry their keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from services.video.models import HistoryEntry, Page, VersionPage, Video, timestamp_key
from services.video.ports import (
    TRANSACTION_ITEMS,
    ConcurrentChangeError,
    DuplicateEventError,
)
from shared.errors import BadRequestError
from shared.events.base import EventDetail, VideoStatus
from shared.events.entries import DETAIL_BUDGET_BYTES, build_entry
from shared.pagination import PageTokenError, decode_page_token, encode_page_token

PUBLISHED_PARTITION = "published"
INDEX_KEYS: dict[str | None, tuple[str, str]] = {
    None: ("PK", "SK"),
    "by-channel": ("channel_id", "created_key"),
    "by-owner": ("owner_id", "created_key"),
    "by-status": ("status", "status_key"),
    "published": ("published_partition", "published_key"),
    "published-by-channel": ("published_channel", "published_key"),
}
HISTORY_LIMIT = 1000
OUTBOX_PREFIX = "OUTBOX#"
PARKED_PREFIX = "PARKED#"
# A parked fact whose video never appears expires; every fact that names the owner creates the video.
PARKED_RETENTION = timedelta(days=14)
# Long enough for the Pipe's retries (stream records live 24 h); the item is only a vehicle for the stream.
OUTBOX_RETENTION = timedelta(days=2)


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    return encode_page_token(last_key)


def decode_token(token: str | None, index: str | None, partition_value: str) -> dict[str, str] | None:
    """The LastEvaluatedKey a token stands for, checked to belong to this index and this query."""
    partition, sort = INDEX_KEYS[index]
    try:
        return decode_page_token(
            token, attributes={partition, sort, "PK", "SK"}, equal={partition: partition_value}
        )
    except PageTokenError as exc:
        raise BadRequestError(str(exc)) from exc


def _item(video: Video) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": f"VIDEO#{video.video_id}",
        "SK": "VIDEO",
        **video.model_dump(mode="json", exclude_none=True),
        "created_key": f"{timestamp_key(video.created_at)}#{video.video_id}",
        "status_key": f"{timestamp_key(video.deadline_at or video.updated_at)}#{video.video_id}",
    }
    if video.status == "published":
        published_key = f"{timestamp_key(video.published_at or video.updated_at)}#{video.video_id}"
        item |= {
            "published_partition": PUBLISHED_PARTITION,
            "published_channel": video.channel_id,
            "published_key": published_key,
        }
    return item


def _video(item: dict[str, Any]) -> Video:
    return Video.model_validate({name: item[name] for name in Video.model_fields if name in item})


def _history_item(video_id: str, entry: HistoryEntry) -> dict[str, Any]:
    # A part sorts right after its event's entry: `#` orders before every character of an event id.
    suffix = "" if entry.part is None else f"#{entry.part:04d}"
    return {
        "PK": f"VIDEO#{video_id}",
        "SK": f"HISTORY#{timestamp_key(entry.at)}#{entry.event_id}{suffix}",
        **entry.model_dump(mode="json", exclude_none=True),
    }


def _history_puts(
    table_name: str, video_id: str, entry: HistoryEntry, parts: Sequence[HistoryEntry]
) -> list[dict[str, Any]]:
    """The event's entry first, guarded (a duplicate cancels the transaction at index 0), then its parts."""
    guarded = {
        "Put": {
            "TableName": table_name,
            "Item": _floats_to_decimal(_history_item(video_id, entry)),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    unguarded = [
        {"Put": {"TableName": table_name, "Item": _floats_to_decimal(_history_item(video_id, part))}}
        for part in parts
    ]
    return [guarded, *unguarded]


def check_transaction_size(
    outbox: Sequence[EventDetail], parts: Sequence[HistoryEntry], unparked: str | None = None
) -> None:
    """The history entry, the video, the parts, the outbox items and an unparked fact travel in one
    transaction."""
    items = 2 + len(parts) + len(outbox) + (unparked is not None)
    if items > TRANSACTION_ITEMS:
        raise ValueError(f"{items} items exceed one transaction ({TRANSACTION_ITEMS})")


def _parked_key(video_id: str, event_id: str) -> dict[str, str]:
    return {"PK": f"VIDEO#{video_id}", "SK": f"{PARKED_PREFIX}{event_id}"}


def outbox_items(video_id: str, entry: HistoryEntry, details: Sequence[EventDetail]) -> list[dict[str, Any]]:
    """One item per event: Pipes filter on `outbox_type` and put `detail` (JSON text) on the bus."""
    expires_at = int((datetime.now(UTC) + OUTBOX_RETENTION).timestamp())
    items = []
    for index, detail in enumerate(details):
        built = build_entry(detail, "outbox", (), None, DETAIL_BUDGET_BYTES)  # the size check PutEvents makes
        items.append(
            {
                "PK": f"VIDEO#{video_id}",
                "SK": f"{OUTBOX_PREFIX}{timestamp_key(entry.at)}#{entry.event_id}#{index}",
                "outbox_source": built["Source"],
                "outbox_type": built["DetailType"],
                "detail": built["Detail"],
                "expires_at": expires_at,
            }
        )
    return items


def _purged(sort_key: str, keep_event_id: str) -> bool:
    """What a deletion removes under the video's key: every history item, every outbox item but its own."""
    if sort_key.startswith("HISTORY#"):
        return True
    return sort_key.startswith(OUTBOX_PREFIX) and f"#{keep_event_id}#" not in sort_key


def _page_request(
    index: str, partition_value: str, limit: int, token: str | None, sort_condition: Any, newest_first: bool
) -> dict[str, Any]:
    """The Query for one page of an index's partition, from where `token` left off."""
    partition, _ = INDEX_KEYS[index]
    condition = Key(partition).eq(partition_value)
    request: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition if sort_condition is None else condition & sort_condition,
        "ScanIndexForward": not newest_first,
        "Limit": limit,
    }
    start = decode_token(token, index, partition_value)
    if start:
        request["ExclusiveStartKey"] = start
    return request


def _numbers_to_int(value: Any) -> Any:
    """The resource API returns numbers as Decimal; the records hold ints."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _numbers_to_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_to_int(v) for v in value]
    return value


def _floats_to_decimal(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _floats_to_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_to_decimal(v) for v in value]
    return value


class DynamoVideoRepository:
    """The catalog on DynamoDB (a boto3 `Table` resource, injected)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, video_id: str) -> Video | None:
        item = self.table.get_item(Key={"PK": f"VIDEO#{video_id}", "SK": "VIDEO"}, ConsistentRead=True).get(
            "Item"
        )
        return _video(_numbers_to_int(item)) if item else None

    def save(
        self,
        before: Video | None,
        after: Video,
        entry: HistoryEntry,
        outbox: Sequence[EventDetail] = (),
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        check_transaction_size(outbox, parts, unparked)
        client = self.table.meta.client
        video_put: dict[str, Any] = {
            "TableName": self.table.name,
            "Item": _floats_to_decimal(_item(after)),
        }
        if before is None:
            video_put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            video_put["ConditionExpression"] = "#version = :version"
            video_put["ExpressionAttributeNames"] = {"#version": "version"}
            video_put["ExpressionAttributeValues"] = {":version": before.version}
        try:
            client.transact_write_items(
                TransactItems=[
                    *_history_puts(self.table.name, after.video_id, entry, parts),
                    {"Put": video_put},
                    *(
                        {"Put": {"TableName": self.table.name, "Item": item}}
                        for item in outbox_items(after.video_id, entry, outbox)
                    ),
                    *self._unpark_deletes(after.video_id, unparked),
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise DuplicateEventError(entry.event_id) from error
            raise ConcurrentChangeError(after.video_id) from error

    def _unpark_deletes(self, video_id: str, unparked: str | None) -> list[dict[str, Any]]:
        if unparked is None:
            return []
        return [{"Delete": {"TableName": self.table.name, "Key": _parked_key(video_id, unparked)}}]

    def record(
        self,
        video_id: str,
        entry: HistoryEntry,
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        if parts or unparked:
            check_transaction_size((), parts, unparked)
            try:
                self.table.meta.client.transact_write_items(
                    TransactItems=[
                        *_history_puts(self.table.name, video_id, entry, parts),
                        *self._unpark_deletes(video_id, unparked),
                    ]
                )
            except ClientError as error:
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise DuplicateEventError(entry.event_id) from error
                raise  # a conflicting transaction: the consumer's redelivery retries it
            return
        try:
            self.table.put_item(
                Item=_floats_to_decimal(_history_item(video_id, entry)),
                ConditionExpression=Attr("PK").not_exists(),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DuplicateEventError(entry.event_id) from error
            raise

    def park(self, video_id: str, event_id: str, change: str) -> None:
        expires_at = int((datetime.now(UTC) + PARKED_RETENTION).timestamp())
        try:
            self.table.put_item(
                Item={**_parked_key(video_id, event_id), "change": change, "expires_at": expires_at},
                ConditionExpression=Attr("PK").not_exists(),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DuplicateEventError(event_id) from error
            raise

    def parked(self, video_id: str) -> list[str]:
        response = self.table.query(
            KeyConditionExpression=Key("PK").eq(f"VIDEO#{video_id}") & Key("SK").begins_with(PARKED_PREFIX),
            ConsistentRead=True,
        )
        return [str(item["change"]) for item in response.get("Items", [])]

    def unpark(self, video_id: str, event_id: str) -> None:
        self.table.delete_item(Key=_parked_key(video_id, event_id))

    def history(self, video_id: str) -> list[HistoryEntry]:
        response = self.table.query(
            KeyConditionExpression=Key("PK").eq(f"VIDEO#{video_id}") & Key("SK").begins_with("HISTORY#"),
            Limit=HISTORY_LIMIT,
        )
        return [HistoryEntry.model_validate(_numbers_to_int(item)) for item in response.get("Items", [])]

    def purge(self, video_id: str, *, keep_event_id: str) -> int:
        keys: list[dict[str, str]] = []
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(f"VIDEO#{video_id}"),
            "ProjectionExpression": "PK, SK",
        }
        while True:
            page = self.table.query(**request)
            keys += [
                {"PK": str(item["PK"]), "SK": str(item["SK"])}
                for item in page.get("Items", [])
                if _purged(str(item["SK"]), keep_event_id)
            ]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        return len(keys)

    def _page(
        self,
        index: str,
        partition_value: str,
        limit: int,
        token: str | None,
        *,
        sort_condition: Any = None,
        newest_first: bool = True,
    ) -> Page:
        request = _page_request(index, partition_value, limit, token, sort_condition, newest_first)
        response = self.table.query(**request)
        videos = [_video(_numbers_to_int(item)) for item in response.get("Items", [])]
        return Page(videos=videos, next_token=encode_token(response.get("LastEvaluatedKey")))

    def published_versions(self, *, limit: int, token: str | None) -> VersionPage:
        request = _page_request("published", PUBLISHED_PARTITION, limit, token, None, True)
        request["ProjectionExpression"] = "video_id, #version"
        request["ExpressionAttributeNames"] = {"#version": "version"}
        response = self.table.query(**request)
        entries = [(str(item["video_id"]), int(item["version"])) for item in response.get("Items", [])]
        return VersionPage(entries, encode_token(response.get("LastEvaluatedKey")))

    def get_many(self, video_ids: Sequence[str]) -> list[Video]:
        keys = [{"PK": f"VIDEO#{video_id}", "SK": "VIDEO"} for video_id in sorted(set(video_ids))]
        return [_video(_numbers_to_int(item)) for item in self._batch_get(keys, consistent=True)]

    def list_by_channel(
        self, channel_id: str, *, published_only: bool, limit: int, token: str | None
    ) -> Page:
        index = "published-by-channel" if published_only else "by-channel"
        return self._page(index, channel_id, limit, token)

    def list_published(self, *, limit: int, token: str | None) -> Page:
        return self._page("published", PUBLISHED_PARTITION, limit, token)

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page:
        return self._page("by-owner", owner_id, limit, token)

    def list_by_status(
        self, status: VideoStatus, *, due_before: datetime | None, limit: int, token: str | None
    ) -> Page:
        if due_before is None:
            return self._page("by-status", status, limit, token)
        # Oldest deadline first for the sweeper; `~` sorts after the `#<id>` suffix of the same instant.
        page = self._page(
            "by-status",
            status,
            limit,
            token,
            sort_condition=Key("status_key").lt(timestamp_key(due_before) + "~"),
            newest_first=False,
        )
        return page

    def channel_owner(self, channel_id: str) -> str | None:
        item = self.table.get_item(Key={"PK": f"CHANNEL#{channel_id}", "SK": "CHANNEL"}).get("Item")
        if not item or item.get("deleted"):
            return None
        return str(item["owner_id"])

    def put_channel(
        self, channel_id: str, owner_id: str, *, deleted: bool = False, name: str | None = None
    ) -> None:
        # A deleted channel stays deleted: a late Broadcast event cannot bring it back.
        values: dict[str, Any] = {
            ":owner": owner_id,
            ":channel": channel_id,
            ":deleted": deleted,
            ":true": True,
            ":false": False,
        }
        update = "SET owner_id = :owner, channel_id = :channel, deleted = :deleted"
        if name is not None:
            update += ", channel_name = :name"
            values[":name"] = name
        try:
            self.table.update_item(
                Key={"PK": f"CHANNEL#{channel_id}", "SK": "CHANNEL"},
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(deleted) OR deleted = :false OR :deleted = :true",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        keys = [{"PK": f"CHANNEL#{c}", "SK": "CHANNEL"} for c in sorted(set(channel_ids))]
        items = self._batch_get(keys, projection="channel_id, channel_name")
        return {str(i["channel_id"]): str(i["channel_name"]) for i in items if i.get("channel_name")}

    def _batch_get(
        self, keys: Sequence[dict[str, str]], *, projection: str | None = None, consistent: bool = False
    ) -> list[dict[str, Any]]:
        """Every item of `keys` that exists, in BatchGetItem's chunks, unprocessed keys asked again."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):  # BatchGetItem's ceiling
            wanted: dict[str, Any] = {"Keys": list(keys[start : start + 100]), "ConsistentRead": consistent}
            if projection:
                wanted["ProjectionExpression"] = projection
            request: dict[str, Any] = {self.table.name: wanted}
            while request:
                response = self.table.meta.client.batch_get_item(RequestItems=request)
                found += response.get("Responses", {}).get(self.table.name, [])
                request = response.get("UnprocessedKeys") or {}
        return found
