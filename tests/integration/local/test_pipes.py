"""Pipes on the local cloud through boto3: SQS source → filter → (enrichment) → input template → target."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.lambdas import LambdaService
from local.pipes import PipesService
from tests.integration.local import helpers
from tests.integration.local.helpers import StartCloud, create_function, drain

pytestmark = pytest.mark.timeout(60)
ROLE = "arn:aws:iam::123456789012:role/pipe"


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(LambdaService, PipesService)


def queue(cloud: LocalCloud, name: str) -> tuple[str, str]:
    return helpers.queue(cloud, name, VisibilityTimeout="1")


def test_given_an_sqs_pipe_with_filter_and_template_when_messages_arrive_then_matches_reach_the_target(
    cloud: LocalCloud,
) -> None:
    sqs, pipes = cloud.client("sqs"), cloud.client("pipes")
    source_url, source_arn = queue(cloud, "pipe-source")
    target_url, target_arn = queue(cloud, "pipe-target")
    pipes.create_pipe(
        Name="long-recordings",
        RoleArn=ROLE,
        Source=source_arn,
        Target=target_arn,
        SourceParameters={
            "SqsQueueParameters": {"BatchSize": 5},
            "FilterCriteria": {
                "Filters": [{"Pattern": json.dumps({"body": {"duration_ms": [{"numeric": [">", 1000]}]}})}]
            },
        },
        TargetParameters={"InputTemplate": '{"video": <$.body.video_id>, "pipe": <aws.pipes.pipe-name>}'},
    )
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"video_id": "short", "duration_ms": 10}))
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"video_id": "long", "duration_ms": 5000}))

    [message] = drain(sqs, target_url, 1)

    assert json.loads(message["Body"]) == {"video": "long", "pipe": "long-recordings"}
    assert pipes.describe_pipe(Name="long-recordings")["CurrentState"] == "RUNNING"
    assert [p["Name"] for p in pipes.list_pipes()["Pipes"]] == ["long-recordings"]


def test_given_a_pipe_with_enrichment_when_a_message_arrives_then_the_target_gets_the_enriched_event(
    cloud: LocalCloud,
) -> None:
    sqs, pipes = cloud.client("sqs"), cloud.client("pipes")
    source_url, source_arn = queue(cloud, "enrich-source")
    target_url, target_arn = queue(cloud, "enrich-target")
    enrich = create_function(
        cloud.client("lambda"),
        "enricher",
        """
import json
def handler(events, context):
    return [{"id": json.loads(e["body"])["id"], "enriched": True} for e in events]
""",
    )["FunctionArn"]
    pipes.create_pipe(Name="enriched", RoleArn=ROLE, Source=source_arn, Target=target_arn, Enrichment=enrich)
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": "v7"}))
    [message] = drain(sqs, target_url, 1)
    assert json.loads(message["Body"]) == {"id": "v7", "enriched": True}


def test_given_a_stopped_pipe_when_messages_arrive_then_nothing_moves_until_started(
    cloud: LocalCloud,
) -> None:
    sqs, pipes = cloud.client("sqs"), cloud.client("pipes")
    source_url, source_arn = queue(cloud, "stopped-source")
    target_url, target_arn = queue(cloud, "stopped-target")
    pipes.create_pipe(
        Name="paused", RoleArn=ROLE, Source=source_arn, Target=target_arn, DesiredState="STOPPED"
    )
    sqs.send_message(QueueUrl=source_url, MessageBody="plain text")
    assert drain(sqs, target_url, 1, timeout=1.0) == []
    pipes.start_pipe(Name="paused")
    [message] = drain(sqs, target_url, 1)
    assert json.loads(message["Body"])["body"] == "plain text"  # the SQS record, its body still a string
    pipes.delete_pipe(Name="paused")


def test_given_bad_pipe_requests_when_called_then_aws_errors(cloud: LocalCloud) -> None:
    pipes = cloud.client("pipes")
    with pytest.raises(ClientError) as missing:
        pipes.describe_pipe(Name="nope")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as bad_filter:
        pipes.create_pipe(
            Name="bad",
            RoleArn=ROLE,
            Source="arn:aws:sqs:us-east-1:123456789012:q",
            Target="arn:aws:sqs:us-east-1:123456789012:t",
            SourceParameters={"FilterCriteria": {"Filters": [{"Pattern": '{"body": "x"}'}]}},
        )
    assert bad_filter.value.response["Error"]["Code"] == "ValidationException"
