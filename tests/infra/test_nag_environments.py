"""The cdk-nag gate passes with an explicit environment too (`svideo up`, `cdk synth` with a region and an
account set), not only environment-agnostic: acknowledgements name resources as cdk-nag renders them in both.
The environment-agnostic app is `app_synth` (test_nag_gate.py checks it has no finding left)."""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.app import build_app
from tests.infra.conftest import ENV_VARIABLES, Synthesized

ACCOUNT, REGION = "111122223333", "eu-west-1"


def _failed_rules(outdir: Path) -> dict[str, list[str]]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        violation["ruleName"]: [c["constructPath"] for c in violation["violatingConstructs"]]
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    }


@pytest.mark.parametrize("genai_mode", ["local", "aws"])
def test_given_an_explicit_env_when_the_whole_app_synthesizes_then_the_gate_passes(
    genai_mode: str, tmp_path: Path, cdk_context: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("CDK_DEFAULT_REGION", REGION)
    app = build_app(outdir=str(tmp_path), context={**cdk_context, "genai_mode": genai_mode})
    stacks = [child for child in app.node.children if isinstance(child, cdk.Stack)]
    assert {(stack.account, stack.region) for stack in stacks} == {(ACCOUNT, REGION)}
    app.synth()  # the gate raises (ValidationFailed) on any finding left
    assert _failed_rules(tmp_path) == {}


def test_given_the_shared_app_fixture_then_it_is_environment_agnostic(app_synth: Synthesized) -> None:
    stacks = [child for child in app_synth.app.node.children if isinstance(child, cdk.Stack)]
    assert len(stacks) > 10 and all(cdk.Token.is_unresolved(s.region) for s in stacks)
    assert all(cdk.Token.is_unresolved(s.account) for s in stacks), ENV_VARIABLES
