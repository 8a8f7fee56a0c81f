"""End to end on the local cloud: a small CDK app goes through the real `svideo up` path, then only boto3 and
HTTP from this process talk to it (as a developer's tools would, with AWS_ENDPOINT_URL set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.patterns import matches

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "python tests/e2e/apps/app.py"


class Cloud:
    def __init__(self, endpoint: str, outputs: dict[str, Any]) -> None:
        self.endpoint = endpoint
        self.outputs = outputs

    def client(self, service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, read_timeout=30),
        )


def _svideo(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SVIDEO_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    state = tmp_path_factory.mktemp("svideo")
    up = _svideo(state, "up", "--detach", "--port", "0", "--app", APP)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        endpoint = json.loads((state / "cloud.json").read_text())["endpoint"]
        stack = json.loads((state / "stacks" / "E2eStack.json").read_text())
        yield Cloud(endpoint, {output["key"]: output["value"] for output in stack["outputs"]})
    finally:
        down = _svideo(state, "down")
        assert down.returncode == 0, down.stderr


def _eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def _item(cloud: Cloud, pk: str) -> dict[str, Any] | None:
    table = cloud.outputs["TableName"]
    item: dict[str, Any] | None = (
        cloud.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")
    )
    return item


def _put(cloud: Cloud, source: str, detail: dict[str, Any]) -> None:
    response = cloud.client("events").put_events(
        Entries=[
            {
                "EventBusName": cloud.outputs["BusName"],
                "Source": source,
                "DetailType": "Test",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def test_given_a_content_filtered_rule_when_events_are_put_then_only_matching_ones_reach_the_handler(
    cloud: Cloud,
) -> None:
    keep, small, other = (uuid.uuid4().hex for _ in range(3))
    _put(cloud, "e2e.orders", {"id": keep, "kind": "keep", "size": 11})
    _put(cloud, "e2e.orders", {"id": small, "kind": "keep", "size": 10})
    _put(cloud, "e2e.orders", {"id": other, "kind": "drop", "size": 50})
    assert _eventually(lambda: _item(cloud, f"event#{keep}"))
    assert _item(cloud, f"event#{small}") is None
    assert _item(cloud, f"event#{other}") is None


def test_given_a_batch_with_a_poison_message_when_consumed_then_only_it_is_retried_and_dead_lettered(
    cloud: Cloud,
) -> None:
    sqs = cloud.client("sqs")
    good = [uuid.uuid4().hex for _ in range(3)]
    entries = [{"Id": str(i), "MessageBody": json.dumps({"id": value})} for i, value in enumerate(good)]
    entries.append({"Id": "poison", "MessageBody": json.dumps({"id": "p", "poison": True})})
    sqs.send_message_batch(QueueUrl=cloud.outputs["BatchQueueUrl"], Entries=entries)

    def dead_letters() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=cloud.outputs["BatchDlqUrl"], MaxNumberOfMessages=10
        ).get("Messages", [])
        return messages

    dead = _eventually(dead_letters, timeout=30)
    assert [json.loads(message["Body"]) for message in dead] == [{"id": "p", "poison": True}]
    for value in good:  # each good record was processed once: its successes were not retried
        item = _eventually(lambda value=value: _item(cloud, f"batch#{value}"))
        assert item is not None and item["deliveries"] == {"N": "1"}


def test_given_a_pipe_with_a_filter_and_template_when_messages_arrive_then_matching_ones_are_reshaped(
    cloud: Cloud,
) -> None:
    sqs = cloud.client("sqs")
    sqs.send_message(
        QueueUrl=cloud.outputs["PipeSourceUrl"], MessageBody=json.dumps({"kind": "other", "id": 1})
    )
    sqs.send_message(
        QueueUrl=cloud.outputs["PipeSourceUrl"], MessageBody=json.dumps({"kind": "pipe-keep", "id": 2})
    )

    def delivered() -> list[dict[str, Any]]:
        messages = sqs.receive_message(
            QueueUrl=cloud.outputs["PipeTargetUrl"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    assert _eventually(delivered) == [{"id": 2, "via": "pipe"}]
    time.sleep(1)
    assert delivered() == []


def test_given_a_rule_with_an_ecs_target_when_an_event_matches_then_the_task_runs_with_the_overrides(
    cloud: Cloud,
) -> None:
    video = uuid.uuid4().hex
    _put(cloud, "e2e.tasks", {"video_id": video})
    assert _eventually(lambda: _item(cloud, f"task#{video}"), timeout=30)


def _token(cloud: Cloud) -> str:
    cognito = cloud.client("cognito-idp")
    pool, client = cloud.outputs["UserPoolId"], cloud.outputs["UserPoolClientId"]
    username = f"user-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password="Passw0rd!local", Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Passw0rd!local"},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def test_given_a_jwt_route_when_called_then_missing_and_forged_tokens_are_rejected_and_cognitos_accepted(
    cloud: Cloud,
) -> None:
    url = f"{cloud.outputs['ApiUrl']}/me"
    assert requests.get(url, timeout=10).status_code == 401
    token = _token(cloud)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-user-pool-key-" + "x" * 16, algorithm="HS256")
    assert requests.get(url, headers={"Authorization": f"Bearer {forged}"}, timeout=10).status_code == 401
    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": claims["sub"], "route": "GET /me"}


PATTERN_CASES = [
    ({"source": ["svideo.channel"]}, {"source": "svideo.channel"}),
    (
        {"detail": {"recording": {"duration_ms": [{"numeric": [">", 900000]}]}}},
        {"detail": {"recording": {"duration_ms": 1200000}}},
    ),
    (
        {"detail": {"recording": {"duration_ms": [{"numeric": [">", 900000]}]}}},
        {"detail": {"recording": {"duration_ms": 5}}},
    ),
    ({"detail": {"plugin": [{"prefix": "trans"}]}}, {"detail": {"plugin": "transcript"}}),
    ({"detail": {"plugin": [{"anything-but": ["titles"]}]}}, {"detail": {"plugin": "titles"}}),
    ({"detail": {"tags": ["a"]}}, {"detail": {"tags": ["b", "a"]}}),
    ({"detail": {"missing": [{"exists": False}]}}, {"detail": {"other": 1}}),
    ({"$or": [{"source": ["x"]}, {"detail-type": ["Video.Published"]}]}, {"detail-type": "Video.Published"}),
    ({"detail": {"flag": [1]}}, {"detail": {"flag": True}}),
]


def test_given_patterns_when_tested_through_boto3_then_results_equal_the_shared_engine(cloud: Cloud) -> None:
    client = cloud.client("events")
    for pattern, fields in PATTERN_CASES:
        event = {
            "id": "1",
            "account": "123456789012",
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "source": "test",
            "detail-type": "Test",
            "resources": [],
            "detail": {},
            **fields,
        }
        result = client.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))[
            "Result"
        ]
        assert result == matches(pattern, event), pattern


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda c: c.client("events").put_rule(Name="bad", EventPattern='{"source": "x"}'),
            "InvalidEventPatternException",
        ),
        (
            lambda c: c.client("events").put_targets(
                Rule="no-such-rule", Targets=[{"Id": "1", "Arn": "arn:aws:sqs:x"}]
            ),
            "ResourceNotFoundException",
        ),
        (lambda c: c.client("lambda").invoke(FunctionName="no-such-function"), "ResourceNotFoundException"),
        (
            lambda c: c.client("dynamodb").get_item(TableName="no-such-table", Key={"pk": {"S": "x"}}),
            "ResourceNotFoundException",
        ),
        (
            lambda c: c.client("sqs").get_queue_url(QueueName="no-such-queue"),
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
        (lambda c: c.client("scheduler").get_schedule(Name="no-such-schedule"), "ResourceNotFoundException"),
    ],
)
def test_given_malformed_or_dangling_calls_when_made_then_aws_error_codes_come_back(
    cloud: Cloud, call: Callable[[Cloud], Any], code: str
) -> None:
    with pytest.raises(ClientError) as raised:
        call(cloud)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500


def test_given_a_body_that_is_not_json_when_posted_then_the_answer_is_a_4xx_not_a_500(cloud: Cloud) -> None:
    headers = {
        "X-Amz-Target": "AWSEvents.PutEvents",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/events/aws4_request, "
        "SignedHeaders=host, Signature=x",
    }
    response = requests.post(cloud.endpoint, data=b"{not json", headers=headers, timeout=10)
    assert 400 <= response.status_code < 500
    assert response.json()["__type"].endswith("SerializationException")


@pytest.mark.parametrize(
    ("output", "error_type", "message"),
    [
        ("CrashFunction", "Runtime.ExitError", "Runtime exited with error: exit status 3"),
        ("HangFunction", "Sandbox.Timedout", "Task timed out after 2.00 seconds"),
        ("HogFunction", "Runtime.OutOfMemory", ""),
    ],
)
def test_given_a_failing_handler_when_invoked_then_aws_reports_it_and_the_runtime_keeps_serving(
    cloud: Cloud, output: str, error_type: str, message: str
) -> None:
    awslambda = cloud.client("lambda")
    result = awslambda.invoke(FunctionName=cloud.outputs[output], Payload=b"{}")
    payload = json.loads(result["Payload"].read())
    assert result["StatusCode"] == 200
    assert result["FunctionError"] == "Unhandled"
    assert payload["errorType"] == error_type
    assert message in payload["errorMessage"]
    again = awslambda.invoke(FunctionName=cloud.outputs["EchoFunction"], Payload=b'{"still": "serving"}')
    assert json.loads(again["Payload"].read())["echo"] == {"still": "serving"}
