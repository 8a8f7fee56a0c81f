"""EventBridge Scheduler on the local cloud through boto3: one-time deadlines, repeating sweeps, PutEvents
targets, retries into a DLQ, and the API's error codes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from tests.integration.local.helpers import StartCloud, queue

pytestmark = pytest.mark.timeout(60)
ROLE = "arn:aws:iam::123456789012:role/scheduler"


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    # rate(1 minute) fires every 0.6 s
    return start_cloud(events={"retry_time_scale": 0.001, "rate_time_scale": 0.01})


def drain(cloud: LocalCloud, url: str, seconds: float) -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages += sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        time.sleep(0.05)
    return messages


def at_expression(seconds_ahead: int) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds_ahead)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def test_given_an_at_schedule_a_second_ahead_when_it_is_due_then_it_fires_once_and_is_deleted(cloud):
    scheduler = cloud.client("scheduler")
    url, arn = queue(cloud, "deadlines")
    scheduler.create_schedule(
        Name="deadline-inv-1",
        ScheduleExpression=at_expression(1),
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": arn, "RoleArn": ROLE, "Input": json.dumps({"invocation_id": "inv-1"})},
    )
    assert scheduler.get_schedule(Name="deadline-inv-1")["State"] == "ENABLED"

    messages = drain(cloud, url, 3.5)

    assert [json.loads(m["Body"]) for m in messages] == [{"invocation_id": "inv-1"}]
    with pytest.raises(ClientError) as error:
        scheduler.get_schedule(Name="deadline-inv-1")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_given_a_rate_schedule_when_time_passes_then_it_fires_repeatedly_until_disabled(cloud):
    scheduler = cloud.client("scheduler")
    url, arn = queue(cloud, "sweeps")
    scheduler.create_schedule(
        Name="video-sweeper",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"sweep": "<aws.scheduler.schedule-arn>"}'},
    )

    fired = drain(cloud, url, 2.2)
    scheduler.update_schedule(
        Name="video-sweeper",
        ScheduleExpression="rate(1 minute)",
        State="DISABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": ROLE},
    )
    after_disable = drain(cloud, url, 1.0)

    assert len(fired) >= 3
    assert json.loads(fired[0]["Body"])["sweep"].endswith(":schedule/default/video-sweeper")
    assert len(after_disable) <= 1  # at most one firing already in flight when disabled


def test_given_a_schedule_with_eventbridge_parameters_when_fired_then_an_event_is_put_on_the_bus(cloud):
    events, scheduler = cloud.client("events"), cloud.client("scheduler")
    url, arn = queue(cloud, "scheduled-events")
    events.create_event_bus(Name="svideo")
    events.put_rule(
        Name="deadline-passed",
        EventBusName="svideo",
        EventPattern=json.dumps({"detail-type": ["Deadline.Passed"]}),
    )
    events.put_targets(Rule="deadline-passed", EventBusName="svideo", Targets=[{"Id": "q", "Arn": arn}])
    scheduler.create_schedule(
        Name="to-bus",
        ScheduleExpression=at_expression(1),
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
        Target={
            "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/svideo",
            "RoleArn": ROLE,
            "Input": json.dumps({"video_id": "v1"}),
            "EventBridgeParameters": {"Source": "svideo.plugins", "DetailType": "Deadline.Passed"},
        },
    )
    [message] = drain(cloud, url, 3.0)
    event = json.loads(message["Body"])
    assert event["source"] == "svideo.plugins" and event["detail"] == {"video_id": "v1"}
    assert event["resources"] == ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/to-bus"]


def test_given_a_failing_target_when_retries_run_out_then_the_schedule_dlq_gets_the_payload(cloud):
    scheduler = cloud.client("scheduler")
    dlq_url, dlq_arn = queue(cloud, "schedule-dlq")
    scheduler.create_schedule(
        Name="to-nowhere",
        ScheduleExpression=at_expression(1),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:sqs:us-east-1:123456789012:does-not-exist",
            "RoleArn": ROLE,
            "Input": '{"n": 1}',
            "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )
    [message] = drain(cloud, dlq_url, 3.0)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert message["Body"] == '{"n": 1}'
    assert attributes["SCHEDULE_ARN"].endswith(":schedule/default/to-nowhere")
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and "RULE_ARN" not in attributes


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"ScheduleExpression": "rate(0 minutes)"}, "ValidationException"),
        ({"ScheduleExpression": "cron(0 12 * * * *)"}, "ValidationException"),
        (
            {"ScheduleExpression": "rate(5 minutes)", "ScheduleExpressionTimezone": "Mars/Olympus"},
            "ValidationException",
        ),
        (
            {"ScheduleExpression": "rate(5 minutes)", "GroupName": "no-such-group"},
            "ResourceNotFoundException",
        ),
    ],
)
def test_given_a_bad_schedule_when_created_then_aws_error_code(cloud, arguments, code):
    with pytest.raises(ClientError) as error:
        cloud.client("scheduler").create_schedule(
            Name="bad",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE},
            **arguments,
        )
    assert error.value.response["Error"]["Code"] == code


def test_given_groups_and_schedules_when_listed_then_prefix_and_group_filters_apply(cloud):
    scheduler = cloud.client("scheduler")
    scheduler.create_schedule_group(Name="plugins")
    for name in ("deadline-a", "deadline-b", "other"):
        scheduler.create_schedule(
            Name=name,
            GroupName="plugins",
            ScheduleExpression="cron(0 3 * * ? *)",
            ScheduleExpressionTimezone="Europe/Paris",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE},
        )
    listed = scheduler.list_schedules(GroupName="plugins", NamePrefix="deadline-")["Schedules"]
    assert [s["Name"] for s in listed] == ["deadline-a", "deadline-b"]
    with pytest.raises(ClientError) as error:
        scheduler.create_schedule_group(Name="plugins")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    scheduler.delete_schedule(Name="other", GroupName="plugins")
    assert scheduler.get_schedule_group(Name="plugins")["State"] == "ACTIVE"
