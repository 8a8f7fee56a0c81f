"""What a request asks IAM for, from requests serialized by botocore exactly as an SDK sends them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import botocore.session
import pytest
from botocore.serialize import create_serializer

from local.aws import AwsRequest
from local.iam.requests import Check, Where, checks_for

WHERE = Where(
    "123456789012",
    "us-east-1",
    lambda name: f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf",
)
ARN = "arn:aws:{}:us-east-1:123456789012:{}"


def wire(service: str, operation: str, params: dict[str, Any]) -> AwsRequest:
    model = botocore.session.get_session().get_service_model(service)
    operation_model = model.operation_model(operation)
    serialized = create_serializer(model.protocol).serialize_to_request(params, operation_model)
    query = serialized["query_string"]
    query_text = urlencode(query, doseq=True) if isinstance(query, dict) else str(query or "")
    path = serialized["url_path"]
    if "?" in path:
        path, _, extra = path.partition("?")
        query_text = "&".join(filter(None, [query_text, extra]))
    body = serialized["body"]
    if isinstance(body, dict):
        body = urlencode(body).encode()
    headers = {key.lower(): str(value) for key, value in serialized["headers"].items()}
    if model.protocol == "query":
        headers["content-type"] = "application/x-www-form-urlencoded"
    return AwsRequest(
        method=serialized["method"],
        path=path,
        query=parse_qs(query_text, keep_blank_values=True),
        headers=headers,
        body=body if isinstance(body, bytes) else str(body or "").encode(),
        service=model.signing_name,
        region="us-east-1",
    )


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        (
            "s3",
            "PutObject",
            {"Bucket": "media", "Key": "videos/v1/a.mp4", "Body": b"x"},
            [Check("s3:PutObject", "arn:aws:s3:::media/videos/v1/a.mp4")],
        ),
        (
            "s3",
            "HeadObject",
            {"Bucket": "media", "Key": "videos/a"},
            [Check("s3:GetObject", "arn:aws:s3:::media/videos/a")],
        ),
        (
            "s3",
            "ListObjectsV2",
            {"Bucket": "media", "Prefix": "videos/"},
            [Check("s3:ListBucket", "arn:aws:s3:::media", {"s3:prefix": "videos/"})],
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "media", "Key": "videos/b", "CopySource": "rec/ivs/a.ts"},
            [
                Check("s3:PutObject", "arn:aws:s3:::media/videos/b"),
                Check("s3:GetObject", "arn:aws:s3:::rec/ivs/a.ts"),
            ],
        ),
        (
            "s3",
            "CreateMultipartUpload",
            {"Bucket": "media", "Key": "videos/c"},
            [Check("s3:PutObject", "arn:aws:s3:::media/videos/c")],
        ),
        (
            "s3",
            "DeleteObject",
            {"Bucket": "media", "Key": "k"},
            [Check("s3:DeleteObject", "arn:aws:s3:::media/k")],
        ),
        (
            "dynamodb",
            "Query",
            {"TableName": "videos", "IndexName": "by-owner", "KeyConditionExpression": "o = :o"},
            [Check("dynamodb:Query", ARN.format("dynamodb", "table/videos/index/by-owner"))],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "a", "Item": {}}},
                    {"ConditionCheck": {"TableName": "b", "Key": {}, "ConditionExpression": "x"}},
                ]
            },
            [
                Check("dynamodb:PutItem", ARN.format("dynamodb", "table/a")),
                Check("dynamodb:ConditionCheckItem", ARN.format("dynamodb", "table/b")),
            ],
        ),
        (
            "events",
            "PutEvents",
            {
                "Entries": [
                    {
                        "Source": "svideo.video",
                        "DetailType": "Video.Published",
                        "Detail": "{}",
                        "EventBusName": "svideo",
                    }
                ]
            },
            [
                Check(
                    "events:PutEvents",
                    ARN.format("events", "event-bus/svideo"),
                    {"events:source": "svideo.video", "events:detail-type": "Video.Published"},
                )
            ],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {
                "QueueUrl": "http://127.0.0.1:4566/123456789012/q",
                "Entries": [{"Id": "1", "MessageBody": "x"}],
            },
            [Check("sqs:SendMessage", ARN.format("sqs", "q"))],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "fn", "Qualifier": "live"},
            [Check("lambda:InvokeFunction", ARN.format("lambda", "function:fn:live"))],
        ),
        (
            "scheduler",
            "DeleteSchedule",
            {"Name": "inv-1", "GroupName": "svideo"},
            [Check("scheduler:DeleteSchedule", ARN.format("scheduler", "schedule/svideo/inv-1"))],
        ),
        (
            "scheduler",
            "CreateSchedule",
            {
                "Name": "inv-1",
                "GroupName": "svideo",
                "ScheduleExpression": "at(2026-12-04T00:00:00)",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
                    "RoleArn": "arn:aws:iam::123456789012:role/s",
                },
            },
            [
                Check("scheduler:CreateSchedule", ARN.format("scheduler", "schedule/svideo/inv-1")),
                Check(
                    "iam:PassRole",
                    "arn:aws:iam::123456789012:role/s",
                    {"iam:PassedToService": "scheduler.amazonaws.com"},
                ),
            ],
        ),
        (
            "ivs",
            "CreateChannel",
            {"name": "c", "tags": {"stage": "dev"}},
            [
                Check(
                    "ivs:CreateChannel",
                    ARN.format("ivs", "channel/*"),
                    {"aws:RequestTag/stage": "dev", "aws:TagKeys": ["stage"]},
                )
            ],
        ),
        (
            "ssm",
            "GetParameter",
            {"Name": "/svideo/dev/bus"},
            [Check("ssm:GetParameter", ARN.format("ssm", "parameter/svideo/dev/bus"))],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "token-key"},
            [Check("secretsmanager:GetSecretValue", ARN.format("secretsmanager", "secret:token-key-AbCdEf"))],
        ),
        (
            "stepfunctions",
            "SendTaskSuccess",
            {"taskToken": "t", "output": "{}"},
            [Check("states:SendTaskSuccess", "*")],
        ),
        (
            "sns",
            "Publish",
            {"TopicArn": ARN.format("sns", "t"), "Message": "m"},
            [Check("sns:Publish", ARN.format("sns", "t"))],
        ),
        ("sts", "GetCallerIdentity", {}, []),
    ],
)
def test_given_an_sdk_request_when_mapped_then_iam_checks_its_actions_resources_and_keys(
    service: str, operation: str, params: dict[str, Any], expected: list[Check]
) -> None:
    assert checks_for(wire(service, operation, params), WHERE) == expected


def test_given_a_batch_delete_when_mapped_then_each_key_is_checked() -> None:
    request = wire(
        "s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}, {"Key": "c/d"}]}}
    )
    assert checks_for(request, WHERE) == [
        Check("s3:DeleteObject", "arn:aws:s3:::b/a"),
        Check("s3:DeleteObject", "arn:aws:s3:::b/c/d"),
    ]


def test_given_a_websocket_post_to_connection_then_manage_connections_on_the_route_is_checked() -> None:
    request = AwsRequest(
        "POST",
        "/_aws/execute-api/abc/prod/@connections/conn1",
        {},
        {},
        json.dumps({}).encode(),
        "execute-api",
        "us-east-1",
    )
    assert checks_for(request, WHERE) == [
        Check("execute-api:ManageConnections", ARN.format("execute-api", "abc/prod/POST/@connections/conn1"))
    ]
