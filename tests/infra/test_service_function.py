"""ServiceFunction: runtime, tracing, logs, Powertools env, least-privilege role, DLQ, and its assets."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.constructs import packaging
from infra.constructs.packaging import RUNTIME
from infra.constructs.service_function import ServiceFunction
from tests.infra.conftest import Synthesized

STACK = "ConstructsFixtureStack"
# Actions that take no resource-level permissions: X-Ray for tracing, ECR's token for Fargate image pulls.
JUSTIFIED_STAR_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "ecr:GetAuthorizationToken"}


def _of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == cfn_type}


def _function(synth: Synthesized, construct_id: str) -> dict[str, Any]:
    functions = _of_type(synth.template(STACK), "AWS::Lambda::Function")
    (resource,) = [r for k, r in functions.items() if k.startswith(construct_id)]
    return resource


def test_given_a_service_function_then_it_runs_the_newest_python_on_arm_with_tracing_and_json_logs(
    constructs_synth: Synthesized,
) -> None:
    newest = max(
        (r for r in lambda_.Runtime.ALL if r.family == lambda_.RuntimeFamily.PYTHON),
        key=lambda r: tuple(int(n) for n in r.name.removeprefix("python").split(".")),
    )
    props = _function(constructs_synth, "Plain")["Properties"]
    assert props["Runtime"] == RUNTIME.name == newest.name
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["MemorySize"] == 256 and props["Timeout"] == 30
    assert "ReservedConcurrentExecutions" not in props and "SnapStart" not in props


def test_given_a_service_function_then_it_logs_to_its_own_group_with_a_fixed_retention(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template(STACK)
    group = _function(constructs_synth, "Plain")["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert template["Resources"][group]["Properties"]["RetentionInDays"] == 30


def test_given_a_service_function_then_powertools_env_is_set_and_the_callers_env_is_kept(
    constructs_synth: Synthesized,
) -> None:
    variables = _function(constructs_synth, "Plain")["Properties"]["Environment"]["Variables"]
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "channel",
        "POWERTOOLS_METRICS_NAMESPACE": "svideo",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "BUS_NAME": "dev-svideo",
    }


def test_given_options_when_set_then_snapstart_concurrency_and_memory_follow(
    constructs_synth: Synthesized,
) -> None:
    props = _function(constructs_synth, "Snappy")["Properties"]
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["ReservedConcurrentExecutions"] == 5
    assert props["MemorySize"] == 1024
    versions = _of_type(constructs_synth.template(STACK), "AWS::Lambda::Version")
    assert len(versions) == 2  # current_version on every function


def test_given_a_service_function_then_async_failures_go_to_an_encrypted_dlq(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template(STACK)
    dead_letters = _function(constructs_synth, "Plain")["Properties"]["DeadLetterConfig"]
    target = dead_letters["TargetArn"]["Fn::GetAtt"][0]
    queue = template["Resources"][target]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_given_every_role_then_no_managed_policy_and_star_resources_only_where_justified(
    constructs_synth: Synthesized, app_synth: Synthesized
) -> None:
    for synth in (constructs_synth, app_synth):
        for path in synth.templates():
            template = synth.template(path.name.removesuffix(".template.json"))
            for role in _of_type(template, "AWS::IAM::Role").values():
                assert "ManagedPolicyArns" not in role["Properties"]
            policies = _of_type(template, "AWS::IAM::Policy").values()
            documents = [p["Properties"]["PolicyDocument"] for p in policies]
            documents += [
                p["PolicyDocument"]
                for r in _of_type(template, "AWS::IAM::Role").values()
                for p in r["Properties"].get("Policies", [])
            ]
            for statement in (s for d in documents for s in d["Statement"]):
                action = statement["Action"]
                actions = action if isinstance(action, list) else [action]
                if statement["Resource"] == "*":
                    assert set(actions) <= JUSTIFIED_STAR_ACTIONS, statement
                assert not any("*" in a for a in actions), statement


def test_given_a_service_function_then_its_code_holds_only_shared_and_its_service(
    constructs_synth: Synthesized,
) -> None:
    asset = constructs_synth.outdir / _function(constructs_synth, "Plain")["Metadata"]["aws:asset:path"]
    files = [p.relative_to(asset) for p in asset.rglob("*") if p.is_file()]
    tops = {f.parts[0] if f.parts[0] != "services" else "/".join(f.parts[:2]) for f in files}
    assert tops == {"shared", "services/channel", "services/__init__.py"}
    assert Path("shared/events/schemas.py") in files
    assert not [f for f in files if {"tests", "__pycache__"} & set(f.parts) or f.suffix == ".pyc"]


def test_given_the_stack_layer_then_it_holds_the_graviton_wheels_for_the_runtime(
    constructs_synth: Synthesized,
) -> None:
    layers = _of_type(constructs_synth.template(STACK), "AWS::Lambda::LayerVersion")
    ((layer_id, layer),) = layers.items()
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    for name in ("Plain", "Snappy"):
        assert _function(constructs_synth, name)["Properties"]["Layers"] == [{"Ref": layer_id}]
    python = constructs_synth.outdir / layer["Metadata"]["aws:asset:path"] / "python"
    tag = RUNTIME.name.removeprefix("python").replace(".", "")
    assert list(python.glob(f"pydantic_core/_pydantic_core.cpython-{tag}-aarch64-linux-gnu.so"))
    for package in ("aws_lambda_powertools", "pydantic", "yaml", "jwt", "requests"):
        assert (python / package).is_dir(), package
    assert not (python / "boto3").exists()


def test_given_missing_wheels_when_a_function_is_declared_then_it_says_to_run_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packaging, "WHEELS_STAMP", tmp_path / "no-stamp")
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "NoWheels")
    with pytest.raises(RuntimeError, match="make setup"):
        ServiceFunction(stack, "Fn", service="channel", handler="services.channel.x.handler")


def test_given_an_unknown_service_when_a_function_is_declared_then_it_fails_early(tmp_path: Path) -> None:
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "Unknown")
    with pytest.raises(ValueError, match="no such service"):
        ServiceFunction(stack, "Fn", service="nope", handler="services.nope.x.handler")
