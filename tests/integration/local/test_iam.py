"""IAM on the local cloud's wire: a role session's calls are refused with each service's AWS error,
resource policies and explicit Denies count, and EventBridge delivers to a queue only when the queue's
policy lets it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from tests.integration.local.helpers import StartCloud

LAMBDA = {"Service": "lambda.amazonaws.com"}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": LAMBDA}]}  # fmt: skip


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(events={"retry_time_scale": 0.001}, iam="enforce")


def role(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> str:
    iam = cloud.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=document(*statements))
    return arn


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_given_a_role_without_dynamodb_when_it_gets_an_item_then_access_denied_exception_names_the_call(
    cloud: LocalCloud,
) -> None:
    cloud.client("dynamodb").create_table(
        TableName="iam-items", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )  # fmt: skip
    arn = role(cloud, "no-dynamodb")
    table = cloud.client_as(arn, "fn", "dynamodb")

    code, message = error_of(lambda: table.get_item(TableName="iam-items", Key={"pk": {"S": "a"}}))

    assert code == "AccessDeniedException"
    assert message == (
        "User: arn:aws:sts::123456789012:assumed-role/no-dynamodb/fn is not authorized to perform: "
        "dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/iam-items "
        "because no identity-based policy allows the dynamodb:GetItem action"
    )
    cloud.client("iam").put_role_policy(
        RoleName="no-dynamodb", PolicyName="read",
        PolicyDocument=document({"Effect": "Allow", "Action": "dynamodb:GetItem",
                                 "Resource": "arn:aws:dynamodb:*:*:table/iam-items"}),
    )  # fmt: skip
    assert "Item" not in table.get_item(TableName="iam-items", Key={"pk": {"S": "a"}})


def test_given_an_identity_allow_when_the_bucket_policy_denies_then_s3_answers_access_denied(
    cloud: LocalCloud,
) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="iam-media")
    s3.put_bucket_policy(Bucket="iam-media", Policy=document(
        {"Sid": "NoRecordings", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::iam-media/recordings/*"}))  # fmt: skip
    arn = role(
        cloud, "media-writer", {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::iam-media/*"}
    )
    writer = cloud.client_as(arn, "fn", "s3")

    writer.put_object(Bucket="iam-media", Key="videos/a", Body=b"x")
    code, message = error_of(lambda: writer.put_object(Bucket="iam-media", Key="recordings/a", Body=b"x"))

    assert code == "AccessDenied"
    assert "with an explicit deny in a resource-based policy" in message
    denial = cloud.iam.denials()[-1]
    assert denial["denied_by"] == "bucket policy of iam-media (Sid NoRecordings)"


def test_given_put_events_restricted_to_a_source_when_another_source_is_put_then_it_is_denied(
    cloud: LocalCloud,
) -> None:
    only_video = {"StringEquals": {"events:source": "svideo.video"}}
    grant = {"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*", "Condition": only_video}
    arn = role(cloud, "publisher", grant)
    events = cloud.client_as(arn, "fn", "events")

    def put(source: str) -> Any:
        return events.put_events(Entries=[{"Source": source, "DetailType": "T", "Detail": "{}"}])

    assert put("svideo.video")["FailedEntryCount"] == 0
    code, message = error_of(lambda: put("svideo.channel"))
    assert code == "AccessDeniedException"
    assert "events:PutEvents on resource: arn:aws:events:us-east-1:123456789012:event-bus/default" in message


def test_given_a_rule_targeting_a_queue_then_delivery_needs_the_queue_policy_naming_the_rule(
    cloud: LocalCloud,
) -> None:
    sqs, rules = cloud.client("sqs"), cloud.client("events")
    url = sqs.create_queue(QueueName="iam-target")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = rules.put_rule(Name="iam-to-queue", EventPattern=json.dumps({"source": ["iam.test"]}))[
        "RuleArn"
    ]
    rules.put_targets(Rule="iam-to-queue", Targets=[{"Id": "q", "Arn": queue_arn}])

    def deliveries(marker: str) -> list[str]:
        rules.put_events(
            Entries=[{"Source": "iam.test", "DetailType": "T", "Detail": json.dumps({"m": marker})}]
        )
        deadline, found = time.monotonic() + 5, list[str]()
        while time.monotonic() < deadline and not found:
            found = [
                m["Body"] for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
            ]
        return found

    assert deliveries("without-policy") == []
    denial = cloud.iam.denials()[-1]
    assert (denial["principal"], denial["action"], denial["resource"]) == (
        "events.amazonaws.com", "sqs:SendMessage", queue_arn)  # fmt: skip

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document(
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}})})  # fmt: skip
    [body] = deliveries("with-policy")
    assert json.loads(body)["detail"] == {"m": "with-policy"}
