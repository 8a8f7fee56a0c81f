"""The channels table: one item per channel and one ledger item per applied IVS event.

Keys: `pk` = `channel#<id>` | `ivs-event#<business key>` | `recording-configuration#<window seconds>` (the IVS
recording configuration made for that reconnect window) | `video#<id>` (the ledger keys of the events emitted
for a video, and its recording's bucket and prefix: what a deletion removes, services/channel/forget.py).
Indexes: `by-owner` (owner_id, created_at), `by-ivs-channel` (ivs_channel_arn), `live` (live_key, live_since;
sparse: only live channels carry `live_key`). The channel is stored whole in `doc` (JSON) beside the
attributes the indexes need.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from services.channel.errors import BadRequestError, StaleChannelError
from services.channel.forget import VideoRecord
from services.channel.models import AppliedEvent, Channel, Page
from shared.events.base import ChannelEvent
from shared.events.channel import CHANNEL_SOURCE, RecordingEnded
from shared.events.registry import model_for

BY_OWNER = "by-owner"
BY_IVS_CHANNEL = "by-ivs-channel"
LIVE = "live"
LIVE_KEY = "live"
LEDGER_TTL_SECONDS = 30 * 24 * 3600


def _channel_pk(channel_id: str) -> str:
    return f"channel#{channel_id}"


def _ledger_pk(event_key: str) -> str:
    return f"ivs-event#{event_key}"


def _video_pk(video_id: str) -> str:
    return f"video#{video_id}"


def _video_updates(table_name: str, event_key: str, events: Sequence[ChannelEvent]) -> list[dict[str, Any]]:
    """One update per video the events name: the ledger key joins its set; Recording.Ended adds where the
    recording lies."""
    by_video: dict[str, dict[str, str]] = {}
    for event in events:
        video_id = getattr(event, "video_id", None)
        if not video_id:
            continue
        values = by_video.setdefault(video_id, {"channel_id": str(getattr(event, "channel_id", ""))})
        if isinstance(event, RecordingEnded):
            values |= {"recording_bucket": event.recording.bucket, "recording_prefix": event.recording.prefix}
    updates = []
    for video_id, values in by_video.items():
        names = {f"#{name}": name for name in values}
        sets = ", ".join(f"#{name} = :{name}" for name in values)
        updates.append(
            {
                "Update": {
                    "TableName": table_name,
                    "Key": {"pk": _video_pk(video_id)},
                    "UpdateExpression": f"ADD ledger_keys :keys SET {sets}",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {
                        ":keys": {event_key},
                        **{f":{n}": v for n, v in values.items()},
                    },
                }
            }
        )
    return updates


def _item(channel: Channel) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _channel_pk(channel.channel_id),
        "owner_id": channel.owner_id,
        "created_at": channel.created_at.isoformat(),
        "ivs_channel_arn": channel.ivs_channel_arn,
        "version": channel.version,
        "doc": channel.model_dump_json(),
    }
    if channel.live and channel.live_since is not None:
        item |= {"live_key": LIVE_KEY, "live_since": channel.live_since.isoformat()}
    return item


def _channel(item: dict[str, Any]) -> Channel:
    return Channel.model_validate_json(item["doc"]).model_copy(update={"version": int(item["version"])})


def _encode_token(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def _decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        raise BadRequestError("next_token is not a token this API issued") from None
    if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
        raise BadRequestError("next_token is not a token this API issued")
    return key


class DynamoChannelRepository:
    """`ChannelRepository` on a boto3 DynamoDB Table resource (injected: no client at import)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def recording_configuration(self, window_seconds: int) -> str | None:
        item = self._table.get_item(Key={"pk": f"recording-configuration#{window_seconds}"}).get("Item")
        return str(item["arn"]) if item else None

    def remember_recording_configuration(self, window_seconds: int, arn: str) -> str:
        key = f"recording-configuration#{window_seconds}"
        try:
            self._table.put_item(Item={"pk": key, "arn": arn}, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return str(self._table.get_item(Key={"pk": key}, ConsistentRead=True)["Item"]["arn"])
        return arn

    def add(self, channel: Channel) -> None:
        self._table.put_item(Item=_item(channel), ConditionExpression="attribute_not_exists(pk)")

    def get(self, channel_id: str) -> Channel | None:
        item = self._table.get_item(Key={"pk": _channel_pk(channel_id)}, ConsistentRead=True).get("Item")
        return _channel(item) if item else None

    def by_ivs_channel(self, ivs_channel_arn: str) -> Channel | None:
        items = self._table.query(
            IndexName=BY_IVS_CHANNEL,
            KeyConditionExpression="ivs_channel_arn = :arn",
            ExpressionAttributeValues={":arn": ivs_channel_arn},
            Limit=1,
        )["Items"]
        # The index is eventually consistent: read the item itself for the version we write against.
        return self.get(_channel(items[0]).channel_id) if items else None

    def _page(
        self, index: str, condition: str, values: dict[str, str], limit: int, token: str | None
    ) -> Page:
        request: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = _decode_token(token)
        if start:
            request["ExclusiveStartKey"] = start
        response = self._table.query(**request)
        return Page(
            items=[_channel(item) for item in response["Items"]],
            next_token=_encode_token(response.get("LastEvaluatedKey")),
        )

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page:
        return self._page(BY_OWNER, "owner_id = :owner", {":owner": owner_id}, limit, token)

    def list_live(self, *, limit: int, token: str | None) -> Page:
        return self._page(LIVE, "live_key = :live", {":live": LIVE_KEY}, limit, token)

    def save(self, channel: Channel) -> Channel:
        saved = channel.model_copy(update={"version": channel.version + 1})
        try:
            self._table.put_item(
                Item=_item(saved),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": channel.version},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleChannelError(f"channel {channel.channel_id} changed meanwhile") from error
            raise
        return saved

    def remove(self, channel_id: str) -> None:
        self._table.delete_item(Key={"pk": _channel_pk(channel_id)})

    def applied(self, event_key: str) -> AppliedEvent | None:
        item = self._table.get_item(Key={"pk": _ledger_pk(event_key)}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        events = tuple(
            model_for(CHANNEL_SOURCE, entry["detail_type"]).model_validate_json(entry["detail"])
            for entry in json.loads(item["events"])
        )
        return AppliedEvent(events=events, published=bool(item.get("published")))  # type: ignore[arg-type]

    def apply(self, event_key: str, channel: Channel | None, events: Sequence[ChannelEvent]) -> bool:
        ledger = {
            "pk": _ledger_pk(event_key),
            "events": json.dumps(
                [{"detail_type": e.detail_type, "detail": e.model_dump_json(by_alias=True)} for e in events]
            ),
            "published": False,
            "expires_at": int(time.time()) + LEDGER_TTL_SECONDS,
        }
        table_name = self._table.name
        client = self._table.meta.client  # the resource's client: it serialises Python values itself
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table_name,
                    "Item": ledger,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        writes += _video_updates(table_name, event_key, events)
        if channel is not None:
            writes.append(
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": _item(channel.model_copy(update={"version": channel.version + 1})),
                        "ConditionExpression": "version = :expected",
                        "ExpressionAttributeValues": {":expected": channel.version},
                    }
                }
            )
        try:
            client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            raise StaleChannelError(f"channel changed while applying {event_key}") from error
        return True

    def mark_published(self, event_key: str) -> None:
        self._table.update_item(
            Key={"pk": _ledger_pk(event_key)},
            UpdateExpression="SET published = :yes",
            ExpressionAttributeValues={":yes": True},
        )

    def video_record(self, video_id: str) -> VideoRecord | None:
        item = self._table.get_item(Key={"pk": _video_pk(video_id)}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return VideoRecord(
            video_id=video_id,
            channel_id=item.get("channel_id") or None,
            recording_bucket=item.get("recording_bucket"),
            recording_prefix=item.get("recording_prefix"),
            ledger_keys=frozenset(item.get("ledger_keys", set())),
        )

    def forget_video(self, record: VideoRecord) -> None:
        with self._table.batch_writer() as batch:
            for key in sorted(record.ledger_keys):
                batch.delete_item(Key={"pk": _ledger_pk(key)})
        self._table.delete_item(Key={"pk": _video_pk(record.video_id)})
