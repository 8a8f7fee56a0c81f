"""Event source mappings on the local cloud: SQS with partial batch failures and redrive, DynamoDB streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.lambdas import LambdaService
from tests.integration.local.helpers import StartCloud, create_function, drain, queue, wait_for

pytestmark = pytest.mark.timeout(60)

# Fails every record whose body says "poison"; records what it saw in a DynamoDB table.
SQS_HANDLER = """
import boto3, json
def handler(event, context):
    table = boto3.resource("dynamodb").Table("seen")
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        receives = record["attributes"]["ApproximateReceiveCount"]
        table.put_item(Item={"id": record["messageId"] + "-" + receives, "kind": body["kind"]})
        if body["kind"] == "poison":
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""

STREAM_HANDLER = """
import boto3, json
def handler(event, context):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="stream-out")["QueueUrl"]
    for record in event["Records"]:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
"""


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(LambdaService)


def test_given_sqs_mapping_with_partial_failures_when_poison_sent_then_only_it_retries_and_reaches_dlq(
    cloud: LocalCloud,
) -> None:
    sqs, lam, ddb = cloud.client("sqs"), cloud.client("lambda"), cloud.client("dynamodb")
    ddb.create_table(
        TableName="seen",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq_url, dlq_arn = queue(cloud, "work-dlq")
    url, arn = queue(
        cloud,
        "work",
        VisibilityTimeout="1",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    create_function(lam, "consumer", SQS_HANDLER, Timeout=10)
    for kind in ("good", "poison", "good"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": kind}))

    mapping = lam.create_event_source_mapping(
        FunctionName="consumer",
        EventSourceArn=arn,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )

    [dead] = drain(sqs, dlq_url, 1, timeout=20)
    assert json.loads(dead["Body"]) == {"kind": "poison"}

    # The third receive moves it to the DLQ once the second's visibility (1 s) ends, which on a loaded
    # machine can be before the second invocation has written its row: wait for the rows, then compare.
    def rows() -> list[Any] | None:
        found: list[Any] = ddb.scan(TableName="seen")["Items"]
        return found if len(found) >= 4 else None

    items = wait_for(rows)
    kinds = sorted((item["kind"]["S"], item["id"]["S"].rsplit("-", 1)[1]) for item in items)
    assert kinds == [("good", "1"), ("good", "1"), ("poison", "1"), ("poison", "2")]
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    listed = lam.list_event_source_mappings(FunctionName="consumer")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [mapping["UUID"]]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])


def test_given_sqs_mapping_with_a_filter_when_messages_arrive_then_unmatched_ones_are_dropped(
    cloud: LocalCloud,
) -> None:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url, arn = queue(cloud, "filtered", VisibilityTimeout="1")
    out_url = sqs.create_queue(QueueName="filtered-out")["QueueUrl"]
    create_function(
        lam,
        "filtered-consumer",
        """
import boto3
def handler(event, context):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="filtered-out")["QueueUrl"]
    for record in event["Records"]:
        sqs.send_message(QueueUrl=url, MessageBody=record["body"])
""",
    )
    lam.create_event_source_mapping(
        FunctionName="filtered-consumer",
        EventSourceArn=arn,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]},
    )
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "drop"}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "keep"}))
    [kept] = drain(sqs, out_url, 1)
    assert json.loads(kept["Body"]) == {"kind": "keep"}
    wait_for(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "0"
        )
    )


def test_given_a_bad_mapping_request_when_created_then_aws_errors(cloud: LocalCloud) -> None:
    lam = cloud.client("lambda")
    with pytest.raises(ClientError) as missing:
        lam.create_event_source_mapping(
            FunctionName="nope", EventSourceArn="arn:aws:sqs:us-east-1:123456789012:q"
        )
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    create_function(lam, "target-only", "def handler(e, c):\n    return None\n")
    with pytest.raises(ClientError) as bad_filter:
        lam.create_event_source_mapping(
            FunctionName="target-only",
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:q",
            FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": [{"bogus": 1}]}})}]},
        )
    assert bad_filter.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as unknown:
        lam.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_given_a_dynamodb_stream_mapping_when_items_change_then_the_function_gets_stream_records(
    cloud: LocalCloud,
) -> None:
    sqs, lam, ddb = cloud.client("sqs"), cloud.client("lambda"), cloud.client("dynamodb")
    out_url = sqs.create_queue(QueueName="stream-out")["QueueUrl"]
    table = ddb.create_table(
        TableName="videos",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    stream_arn = table["TableDescription"]["LatestStreamArn"]
    create_function(lam, "stream-consumer", STREAM_HANDLER, Timeout=10)
    ddb.put_item(TableName="videos", Item={"id": {"S": "v1"}, "status": {"S": "recording"}})
    lam.create_event_source_mapping(
        FunctionName="stream-consumer",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        FilterCriteria={
            "Filters": [{"Pattern": json.dumps({"dynamodb": {"NewImage": {"status": {"S": ["published"]}}}})}]
        },
    )
    ddb.put_item(TableName="videos", Item={"id": {"S": "v1"}, "status": {"S": "published"}})
    [message] = drain(sqs, out_url, 1, timeout=15)
    record: dict[str, Any] = json.loads(message["Body"])
    assert record["eventName"] == "MODIFY" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == stream_arn
    assert record["dynamodb"]["OldImage"]["status"] == {"S": "recording"}
    assert record["dynamodb"]["NewImage"]["status"] == {"S": "published"}
