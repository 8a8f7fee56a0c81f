"""The connections table store against moto's DynamoDB: fan-out lists by topic, removal, published videos."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.live.domain import Subscriber
from services.live.repository import TOPIC_INDEX, DynamoConnectionStore

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield dynamodb.create_table(
            TableName="connections",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "topic", "connection_id")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": TOPIC_INDEX,
                    "KeySchema": [
                        {"AttributeName": "topic", "KeyType": "HASH"},
                        {"AttributeName": "connection_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["principal"]},
                }
            ],
        )


def test_given_subscriptions_when_a_topic_is_queried_then_its_connections_come_back_with_their_principal(
    table: Any,
) -> None:
    store = DynamoConnectionStore(table)
    store.add("a", None, NOW)
    store.add("b", "owner-1", NOW)
    store.subscribe("a", None, ["videos", "channels"])
    store.subscribe("b", "owner-1", ["videos", "owner:owner-1"])
    assert store.subscribers("videos") == [Subscriber("a", None), Subscriber("b", "owner-1")]
    assert store.subscribers("owner:owner-1") == [Subscriber("b", "owner-1")]
    assert (
        store.principal("b") == "owner-1" and store.principal("a") is None and store.principal("zz") is None
    )
    assert sorted(store.topics("b")) == ["owner:owner-1", "videos"]


def test_given_a_connection_when_removed_or_unsubscribed_then_it_leaves_the_fan_out_lists(table: Any) -> None:
    store = DynamoConnectionStore(table)
    for connection_id in ("a", "b"):
        store.add(connection_id, None, NOW)
        store.subscribe(connection_id, None, ["videos", "channels"])
    store.unsubscribe("a", ["channels"])
    store.remove("b")
    assert store.subscribers("channels") == []
    assert store.subscribers("videos") == [Subscriber("a", None)]
    assert table.get_item(Key={"pk": "conn#b", "sk": "#meta"}).get("Item") is None


def test_given_connection_items_then_they_expire_by_ttl(table: Any) -> None:
    store = DynamoConnectionStore(table)
    store.add("a", None, NOW)
    item = table.get_item(Key={"pk": "conn#a", "sk": "#meta"})["Item"]
    assert int(item["expires_at"]) > NOW.timestamp() + 2 * 3600


def test_given_a_published_video_when_asked_then_its_channel_is_known(table: Any) -> None:
    store = DynamoConnectionStore(table)
    assert store.published_channel("vid-1") is None
    store.mark_published("vid-1", "ch-1")
    assert store.published_channel("vid-1") == "ch-1"


def test_given_a_video_owner_when_remembered_and_then_forgotten_then_nothing_of_the_video_stays(
    table: Any,
) -> None:
    store = DynamoConnectionStore(table)
    store.remember_owner("vid-1", "owner-sub")
    store.mark_published("vid-1", "ch-1")
    assert store.video_owner("vid-1") == "owner-sub"
    store.forget_video("vid-1")
    assert store.video_owner("vid-1") is None and store.published_channel("vid-1") is None
    assert table.scan()["Items"] == []
