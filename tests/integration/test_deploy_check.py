"""`make deploy-check` as an operator runs it, against moto's STS and SSM (AWS_ENDPOINT_URL): it names what is
missing (credentials, bootstrap, Docker) with the command that fixes it, and passes once nothing is."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/svideo-postprocess:1"


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10)  # moto's state is per process
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _make(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "deploy-check", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_given_no_credentials_when_deploy_check_runs_then_it_says_they_are_missing() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ACCESS") and k != "AWS_SESSION_TOKEN"}
    result = _make({**env, "AWS_REGION": "us-east-1"})
    assert result.returncode != 0
    assert "MISSING credentials" in result.stdout
    assert "bootstrap    not checked: needs credentials" in result.stdout


def test_given_an_account_when_not_bootstrapped_then_the_check_names_cdk_bootstrap_then_passes_after(
    endpoint: str,
) -> None:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    missing = _make(env, f"IMAGE_URI={IMAGE}")
    assert missing.returncode != 0, missing.stdout
    assert "ok  credentials" in missing.stdout and "account 123456789012" in missing.stdout
    assert "run `cdk bootstrap aws://123456789012/us-east-1`" in missing.stdout
    assert f"docker       not needed: PostprocessStack uses the prebuilt image {IMAGE}" in missing.stdout

    boto3.client("ssm", endpoint_url=endpoint).put_parameter(
        Name=BOOTSTRAP_PARAMETER, Value="30", Type="String"
    )
    ready = _make(env, f"IMAGE_URI={IMAGE}", "STAGE=prod")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "ok  bootstrap    version 30 in 123456789012/us-east-1" in ready.stdout
    assert "deploy-check: ready; `cdk deploy --all -c stage=prod`" in ready.stdout


def test_given_no_prebuilt_image_when_docker_cannot_build_arm64_then_the_check_says_what_to_do(
    endpoint: str,
) -> None:
    boto3.client("ssm", endpoint_url=endpoint).put_parameter(
        Name=BOOTSTRAP_PARAMETER, Value="30", Type="String"
    )
    result = _make({**os.environ, "AWS_ENDPOINT_URL": endpoint})
    docker = next(line for line in result.stdout.splitlines() if " docker " in line)
    if docker.startswith("ok "):  # a machine with Docker and arm64 builds: nothing is missing
        assert result.returncode == 0
    else:
        assert result.returncode != 0
        assert "postprocess.image_uri" in docker
