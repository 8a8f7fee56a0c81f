"""schemathesis against the public HTTP API on the local cloud: every route of docs/openapi.json, valid and
invalid inputs, with a signed-in broadcaster and plugin developer's token. No answer may be a 5xx, and every
status, media type and body must be one the document lists.

The number of examples per operation is bounded (`SVIDEO_FUZZ_EXAMPLES`, default 4), the seed is fixed
(`SVIDEO_FUZZ_SEED`) so a failure reproduces, and the run is capped at `SVIDEO_FUZZ_SECONDS` (default 150):
the coverage phase alone sends some 1,500 requests, each through the local gateway and a Lambda worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.app import build_app
from infra.lambda_runtime import REPO_ROOT
from infra.naming import IdentityParameter, VideoParameter
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, read_parameter, sign_in
from tests.conftest import DeployAssembly

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

STAGE = "dev"
PASSWORD = "Fuzz-e2e-Passw0rd!"
API_STACKS = [
    f"{name}-{STAGE}"
    for name in (
        "CoreStack", "IdentityStack", "VideoStack", "ChannelStack", "PluginsStack", "TitlesPluginStack",
        "UsersStack",
    )
]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("SVIDEO_FUZZ_EXAMPLES", "4"))
# Examples from the document, coverage (boundary and invalid values, media types), then random fuzzing;
# `SVIDEO_FUZZ_PHASES=examples,coverage,fuzzing,stateful` adds API-link sequences (several minutes more).
PHASES = os.environ.get("SVIDEO_FUZZ_PHASES", "examples,coverage,fuzzing")
SEED = int(os.environ.get("SVIDEO_FUZZ_SEED", "20261204"))


def test_given_the_public_api_when_fuzzed_then_no_5xx_and_every_response_is_in_the_document(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path: Path
) -> None:
    outdir = tmp_path / "assembly"
    build_app(outdir=str(outdir)).synth()
    deploy_assembly(outdir, stacks=API_STACKS)
    ssm, idp = local_cloud.client("ssm"), local_cloud.client("cognito-idp")
    pool = read_parameter(ssm, STAGE, IdentityParameter.USER_POOL_ID)
    create_user(idp, pool, "fuzz@example.com", PASSWORD, ["broadcaster", "plugin-developer"])
    client_id = read_parameter(ssm, STAGE, IdentityParameter.USER_POOL_CLIENT_ID)
    token = sign_in(idp, client_id, "fuzz@example.com", PASSWORD)
    api_url = read_parameter(ssm, STAGE, VideoParameter.API_URL).rstrip("/")
    assert call_api(api_url, "GET", "/me", token)[0] == 200

    command = [
        str(Path(sys.executable).parent / "st"), "--no-color",
        "run", str(REPO_ROOT / "docs" / "openapi.json"),
        "--url", api_url, "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
        "--max-examples", str(EXAMPLES), "--phases", PHASES, "--seed", str(SEED),
        "--workers", "1", "--request-timeout", "30",
        "--suppress-health-check", "all", "--max-time", os.environ.get("SVIDEO_FUZZ_SECONDS", "150"),
    ]  # fmt: skip
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=840, check=False, cwd=tmp_path,
                         env={**os.environ, "NO_COLOR": "1"})  # fmt: skip (its .schemathesis/ goes to tmp)
    print(run.stdout[-6000:], run.stderr[-2000:], sep="\n")
    print(f"schemathesis: {EXAMPLES} examples per operation, seed {SEED}, {time.monotonic() - started:.0f} s")
    assert run.returncode == 0, "schemathesis found failures (output above)"
    assert "No issues found" in run.stdout or "passed" in run.stdout
