"""The local cloud's corrections to moto: bucket policies as AWS evaluates them for a local call."""

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
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with LocalCloud(Path(tmp_path_factory.mktemp("cloud")), port=0) as cloud:
        client = cloud.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


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
