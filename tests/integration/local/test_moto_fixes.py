"""The local cloud's corrections to moto: bucket policies as AWS evaluates them for a local call, and
DynamoDB item reads sent in the wire's shape without moto's model serializer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.moto_fixes import conditions_met

BUCKET = "policy-bucket"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(Path(tmp_path_factory.mktemp("cloud")), port=0) as local_cloud:
        yield local_cloud


@pytest.fixture(scope="module")
def s3(cloud: LocalCloud) -> Any:
    client = cloud.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _deny_all(s3: Any, condition: dict[str, Any] | None) -> None:
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    }
    if condition:
        statement["Condition"] = condition
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))


def test_given_the_cdk_ssl_only_policy_when_putting_locally_then_it_is_allowed(s3: Any) -> None:
    _deny_all(s3, {"Bool": {"aws:SecureTransport": "false"}})
    s3.put_object(Bucket=BUCKET, Key="segment.ts", Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key="segment.ts")["Body"].read() == b"x"


@pytest.mark.parametrize("condition", [None, {"Bool": {"aws:SecureTransport": "true"}}])
def test_given_a_deny_that_applies_when_putting_then_access_is_denied(s3: Any, condition: Any) -> None:
    _deny_all(s3, condition)
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=BUCKET, Key="blocked", Body=b"x")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": ["true"]}}, True),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, None),
    ],
)
def test_given_a_condition_when_judged_locally_then_known_keys_are_evaluated_and_others_unknown(
    condition: dict[str, Any], expected: bool | None
) -> None:
    assert conditions_met(condition) is expected


def test_given_items_of_every_attribute_type_when_read_every_way_then_they_come_back_as_written(
    cloud: LocalCloud,
) -> None:
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="wire",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "B"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    items = [
        {
            "PK": {"S": "video"},
            "SK": {"B": bytes([n, 0, 255])},
            "n": {"N": "12.5"},
            "bytes_value": {"B": b"\x00\xffbytes"},
            "set_b": {"BS": [b"a", b"\x01"]},
            "set_n": {"NS": ["1", "2"]},
            "set_s": {"SS": ["x", "y"]},
            "nested": {"M": {"list": {"L": [{"S": "caf\u00e9"}, {"NULL": True}, {"BOOL": False}]}}},
        }
        for n in range(3)
    ]
    for item in items:
        dynamodb.put_item(TableName="wire", Item=item)
    key = {"PK": items[1]["PK"], "SK": items[1]["SK"]}

    def normal(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sets = ("set_b", "set_n", "set_s")
        return [{**i, **{name: {k: sorted(v) for k, v in i[name].items()} for name in sets}} for i in found]

    query = dynamodb.query(
        TableName="wire",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "video"}},
        Limit=2,
        ReturnConsumedCapacity="TOTAL",
    )
    assert normal(query["Items"]) == normal(items[:2]) and query["Count"] == 2
    assert query["LastEvaluatedKey"] == {"PK": items[1]["PK"], "SK": items[1]["SK"]}
    assert query["ConsumedCapacity"]["TableName"] == "wire"
    assert normal(dynamodb.scan(TableName="wire")["Items"]) == normal(items)
    assert normal([dynamodb.get_item(TableName="wire", Key=key)["Item"]]) == normal([items[1]])
    assert "Item" not in dynamodb.get_item(TableName="wire", Key={"PK": {"S": "none"}, "SK": {"B": b"0"}})
    batch = dynamodb.batch_get_item(
        RequestItems={"wire": {"Keys": [key], "ProjectionExpression": "bytes_value, SK"}}
    )
    assert batch["Responses"]["wire"] == [{"SK": items[1]["SK"], "bytes_value": items[1]["bytes_value"]}]
    assert batch["UnprocessedKeys"] == {}


def test_given_writes_between_reads_when_querying_an_index_then_each_read_sees_the_table_as_it_is_now(
    cloud: LocalCloud,
) -> None:
    """The table's key order is kept between reads and read copies are one level deep: puts, deletes and
    in-place updates in between must all show, and what a read returned must not change with them."""
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="order",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "list", "rank")
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "listed",
            "KeySchema": [{"AttributeName": "list", "KeyType": "HASH"},
                          {"AttributeName": "rank", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip

    def put(pk: str, rank: str) -> None:
        item = {"PK": {"S": pk}, "SK": {"S": "V"}, "list": {"S": "public"}, "rank": {"S": rank},
                "meta": {"M": {"tags": {"L": [{"S": "a"}]}, "n": {"N": "1"}}}}  # fmt: skip
        dynamodb.put_item(TableName="order", Item=item)

    def listed(**projection: Any) -> list[dict[str, Any]]:
        return list(dynamodb.query(
            TableName="order", IndexName="listed", KeyConditionExpression="#l = :l", ScanIndexForward=False,
            ExpressionAttributeNames={"#l": "list", **projection.pop("names", {})},
            ExpressionAttributeValues={":l": {"S": "public"}}, **projection,
        )["Items"])  # fmt: skip

    for pk, rank in (("b", "2"), ("a", "1"), ("c", "3")):
        put(pk, rank)
    first = listed()
    assert [i["PK"]["S"] for i in first] == ["c", "b", "a"]

    put("d", "4")
    dynamodb.delete_item(TableName="order", Key={"PK": {"S": "b"}, "SK": {"S": "V"}})
    dynamodb.update_item(
        TableName="order", Key={"PK": {"S": "a"}, "SK": {"S": "V"}},
        UpdateExpression="SET #r = :r, meta.n = :n, meta.tags[0] = :t REMOVE #l",
        ExpressionAttributeNames={"#r": "rank", "#l": "list"},
        ExpressionAttributeValues={":r": {"S": "9"}, ":n": {"N": "2"}, ":t": {"S": "z"}},
    )  # fmt: skip
    dynamodb.update_item(
        TableName="order", Key={"PK": {"S": "c"}, "SK": {"S": "V"}},
        UpdateExpression="SET meta.n = :n", ExpressionAttributeValues={":n": {"N": "7"}},
    )  # fmt: skip

    now = listed()
    assert [i["PK"]["S"] for i in now] == ["d", "c"]
    assert now[1]["meta"]["M"]["n"] == {"N": "7"}
    assert [i["PK"]["S"] for i in dynamodb.scan(TableName="order")["Items"]] == ["a", "c", "d"]
    assert first[0]["meta"]["M"]["n"] == {"N": "1"}  # an answer already given stays as it was
    stored = dynamodb.get_item(TableName="order", Key={"PK": {"S": "a"}, "SK": {"S": "V"}})["Item"]
    assert stored["meta"]["M"] == {"tags": {"L": [{"S": "z"}]}, "n": {"N": "2"}}

    top = listed(ProjectionExpression="PK, #r", names={"#r": "rank"})
    assert top == [{"PK": {"S": "d"}, "rank": {"S": "4"}}, {"PK": {"S": "c"}, "rank": {"S": "3"}}]
    nested = listed(ProjectionExpression="PK, meta.tags[0]")
    assert nested[1] == {"PK": {"S": "c"}, "meta": {"M": {"tags": {"L": [{"S": "a"}]}}}}
    assert listed()[0]["meta"]["M"]["tags"] == {"L": [{"S": "a"}]}  # projecting changed nothing stored


def test_given_items_grown_by_updates_when_querying_then_the_page_stops_at_one_megabyte(
    cloud: LocalCloud,
) -> None:
    """Item sizes are kept between reads: an update that grows an item must count in the next page's size."""
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName="sizes",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                              {"AttributeName": "SK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    query = {"TableName": "sizes", "KeyConditionExpression": "PK = :p",
             "ExpressionAttributeValues": {":p": {"S": "big"}}}  # fmt: skip
    for n in range(3):
        dynamodb.put_item(TableName="sizes", Item={"PK": {"S": "big"}, "SK": {"S": f"{n}"}})
    assert "LastEvaluatedKey" not in dynamodb.query(**query)  # every size known, all small
    for n in range(3):
        dynamodb.update_item(
            TableName="sizes", Key={"PK": {"S": "big"}, "SK": {"S": f"{n}"}},
            UpdateExpression="SET padding = :b", ExpressionAttributeValues={":b": {"S": "x" * 390_000}},
        )  # fmt: skip

    page = dynamodb.query(**query)

    assert page["Count"] == 2 and page["LastEvaluatedKey"] == {"PK": {"S": "big"}, "SK": {"S": "1"}}
