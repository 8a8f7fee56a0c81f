"""One Pipes batch without a cloud: filtering, templates, enrichment output and delivery failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.contracts import InvokeResult
from local.pipes import DeliveryFailed, PipesService


class FakeLambdas:
    def __init__(self, payload: bytes, error: str | None = None) -> None:
        self.calls: list[bytes] = []
        self._result = InvokeResult(status_code=200, payload=payload, function_error=error)

    def invoke(self, function: str, payload: bytes, **_: Any) -> InvokeResult:
        self.calls.append(payload)
        return self._result


class FakeIam:
    """Allows every call and records what the pipe asked IAM for (role, actions)."""

    def __init__(self) -> None:
        self.checks: list[tuple[str | None, list[str]]] = []

    def require_role(self, role_arn: str | None, session: str, checks: list[Any], *, operation: str) -> None:
        self.checks.append((role_arn, [check.action for check in checks]))


class FakeCloud:
    region = "us-east-1"
    tasks = None

    def __init__(self, lambdas: FakeLambdas) -> None:
        self.lambdas = lambdas
        self.state_dir = Path("/nonexistent")
        self.iam = FakeIam()


def record(body: str, message_id: str = "m1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "h",
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
    }


def pipe(**extra: Any) -> dict[str, Any]:
    return {
        "Name": "p",
        "Arn": "arn:aws:pipes:us-east-1:1:pipe/p",
        "RoleArn": "arn:aws:iam::1:role/pipe",
        "Source": "arn:aws:sqs:us-east-1:1:q",
        "Target": "arn:aws:lambda:us-east-1:1:function:target",
        **extra,
    }


def test_given_a_filter_and_template_when_processing_then_only_matches_reach_the_lambda_target() -> None:
    lambdas = FakeLambdas(b"null")
    service = PipesService(FakeCloud(lambdas))  # type: ignore[arg-type]
    definition = pipe(
        SourceParameters={"FilterCriteria": {"Filters": [{"Pattern": '{"body": {"k": ["yes"]}}'}]}},
        TargetParameters={"InputTemplate": '{"id": <$.body.id>}'},
    )
    service.process(
        definition, [record('{"k": "yes", "id": 1}'), record('{"k": "no", "id": 2}', "m2")], "sqs"
    )
    assert [json.loads(call) for call in lambdas.calls] == [[{"id": 1}]]


def test_given_a_failing_target_when_processing_then_delivery_failed_keeps_the_batch() -> None:
    service = PipesService(FakeCloud(FakeLambdas(b'{"errorType": "ValueError"}', "Unhandled")))  # type: ignore[arg-type]
    with pytest.raises(DeliveryFailed):
        service.process(pipe(), [record("x")], "sqs")


def test_given_an_enrichment_returning_nothing_when_processing_then_the_target_is_not_called() -> None:
    lambdas = FakeLambdas(b"[]")
    service = PipesService(FakeCloud(lambdas))  # type: ignore[arg-type]
    service.process(pipe(Enrichment="arn:aws:lambda:us-east-1:1:function:enrich"), [record("x")], "sqs")
    assert len(lambdas.calls) == 1  # the enrichment only
