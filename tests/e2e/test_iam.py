"""IAM in the local cloud, walked as a developer meets it: `svideo up`, a function whose role lacks a
permission fails where AWS would fail it, `svideo iam denials` says what is missing, deploying the grant makes
the same call pass; `svideo up --iam report` journals the denial and refuses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "python tests/e2e/apps/iam_app.py"


def _svideo(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SVIDEO_STATE_DIR": str(state)}
    env.pop("SVIDEO_IAM", None)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT, env=env, text=True, capture_output=True, timeout=300, check=False,
    )  # fmt: skip


class Cloud:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.endpoint = json.loads((state / "cloud.json").read_text())["endpoint"]

    @property
    def outputs(self) -> dict[str, str]:
        stack = json.loads((self.state / "stacks" / "IamStack.json").read_text())
        return {output["key"]: output["value"] for output in stack["outputs"]}

    def client(self, service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(
            service, endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="local",
            aws_secret_access_key="local", config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def invoke_writer(self) -> tuple[str | None, dict[str, Any]]:
        response = self.client("lambda").invoke(FunctionName=self.outputs["FunctionName"], Payload=b"{}")
        return response.get("FunctionError"), json.loads(response["Payload"].read())


def _up(state: Path, *options: str) -> Cloud:
    up = _svideo(state, "up", "--detach", "--port", "0", "--app", APP, *options)
    assert up.returncode == 0, up.stdout + up.stderr
    return Cloud(state)


@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    state = tmp_path_factory.mktemp("svideo-iam")
    cloud = _up(state)
    try:
        yield cloud
    finally:
        assert _svideo(state, "down").returncode == 0


def test_given_a_role_without_s3_when_its_function_puts_an_object_then_access_is_denied_until_granted(
    enforced: Cloud,
) -> None:
    bucket = enforced.outputs["BucketName"]
    error, payload = enforced.invoke_writer()

    assert error == "Unhandled", payload
    assert "AccessDenied" in payload["errorMessage"], payload
    role = enforced.outputs["RoleName"]
    principal = f"arn:aws:sts::123456789012:assumed-role/{role}/{enforced.outputs['FunctionName']}"
    assert (
        f"User: {principal} is not authorized to perform: s3:PutObject on resource: "
        f"arn:aws:s3:::{bucket}/hello.txt because no identity-based policy allows the s3:PutObject action"
    ) in payload["errorMessage"]
    with pytest.raises(ClientError):
        enforced.client("s3").head_object(Bucket=bucket, Key="hello.txt")

    denials = _svideo(enforced.state, "iam", "denials")
    assert denials.returncode == 0, denials.stderr
    assert "DENIED s3:PutObject" in denials.stdout
    assert f"principal: {principal}" in denials.stdout
    assert f"resource:  arn:aws:s3:::{bucket}/hello.txt" in denials.stdout
    assert f'missing:   in role {role}: {{"Effect": "Allow", "Action": "s3:PutObject"' in denials.stdout

    deploy = _svideo(enforced.state, "deploy", "--app", APP, "-c", "grant_s3=true")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    error, payload = enforced.invoke_writer()

    assert error is None, payload
    assert enforced.client("s3").get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello"


def test_given_iam_report_mode_when_the_role_lacks_the_permission_then_the_call_passes_and_is_journaled(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    state = tmp_path_factory.mktemp("svideo-iam-report")
    cloud = _up(state, "--iam", "report")
    try:
        error, payload = cloud.invoke_writer()

        assert error is None, payload
        denials = _svideo(state, "iam", "denials", "--json")
        entries = json.loads(denials.stdout)
        assert [(e["mode"], e["action"], e["reason"]) for e in entries] == [
            ("report", "s3:PutObject", "implicit_deny")
        ]
        assert "would deny s3:PutObject" in _svideo(state, "iam", "denials").stdout
    finally:
        assert _svideo(state, "down").returncode == 0
