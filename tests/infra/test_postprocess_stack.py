"""PostprocessStack: routing rules, ECS target with retries and DLQ, sizes, role scope, the ffmpeg layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.nag import add_nag_gate
from infra.stacks.postprocess_stack import PostprocessStack, job_retries, routing_subscriptions
from services.postprocess import config
from shared.patterns import matches
from tests.infra.conftest import Synthesized
from tests.unit.postprocess.handler_support import recording_ended

STACK = "PostprocessStack"


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def _rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["Name"]: p for p in _resources(template, "AWS::Events::Rule").values()}


def _policy_statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for props in _resources(template, "AWS::IAM::Policy").values():
        if any(r["Ref"].startswith(role_prefix) for r in props.get("Roles", [])):
            found += props["PolicyDocument"]["Statement"]
    return found


@pytest.fixture(scope="module")
def template(app_synth: Synthesized) -> dict[str, Any]:
    return app_synth.template(STACK)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_given_the_synthesized_rules_then_durations_around_the_default_threshold_go_one_way(
    template: dict[str, Any], offset: int
) -> None:
    rules = _rules(template)
    threshold = config.default_lambda_max_duration_ms()
    event = recording_ended("bkt", "ivs/v1/x", duration_ms=threshold + offset)
    to_lambda = matches(rules["dev-svideo-postprocess-lambda"]["EventPattern"], event)
    to_fargate = matches(rules["dev-svideo-postprocess-fargate"]["EventPattern"], event)
    assert (to_lambda, to_fargate) == ((True, False) if offset <= 0 else (False, True))


def test_given_the_fargate_rule_then_it_runs_the_task_with_the_job_in_the_container_env_retries_and_a_dlq(
    template: dict[str, Any],
) -> None:
    [target] = _rules(template)["dev-svideo-postprocess-fargate"]["Targets"]
    assert target["EcsParameters"]["LaunchType"] == "FARGATE"
    assert (
        target["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    )
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8 and "DeadLetterConfig" in target
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"]["RECORDING_DURATION_MS"] == "$.detail.recording.duration_ms"
    overrides = json.loads(
        transformer["InputTemplate"].replace("<", '"<').replace(">", '>"').replace('""', '"')
    )
    [container] = overrides["containerOverrides"]
    assert container["name"] == config.FARGATE_CONTAINER_NAME
    names = {e["name"] for e in container["environment"] if e["value"] == f"<{e['name']}>"}
    expected = "VIDEO_ID CHANNEL_ID RECORDING_BUCKET RECORDING_PREFIX RECORDING_DURATION_MS CORRELATION_ID"
    assert names == set(expected.split())


def test_given_the_lambda_rule_then_it_feeds_a_queue_with_a_dlq_read_one_at_a_time_with_partial_failures(
    template: dict[str, Any],
) -> None:
    [target] = _rules(template)["dev-svideo-postprocess-lambda"]["Targets"]
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == config.MAX_RECEIVE_COUNT
    # From infra/retries.py: the third attempt still ends inside the processing deadline (test_retries.py).
    assert queue["VisibilityTimeout"] == job_retries(900).visibility_timeout_s < 6 * config.LAMBDA_TIMEOUT_S
    mappings = [
        m for m in _resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["EventSourceArn"]["Fn::GetAtt"][0] == queue_id
    ]  # fmt: skip
    assert [(m["BatchSize"], m["FunctionResponseTypes"]) for m in mappings] == [
        (1, ["ReportBatchItemFailures"])
    ]


def test_given_the_processor_function_then_it_has_10_gb_of_tmp_15_minutes_ffmpeg_and_the_handover_env(
    template: dict[str, Any],
) -> None:
    [processor] = [
        f for f in _resources(template, "AWS::Lambda::Function").values()
        if f["Handler"].endswith("process_recording.handler")
    ]  # fmt: skip
    assert processor["EphemeralStorage"] == {"Size": 10240}
    assert (processor["Timeout"], processor["MemorySize"]) == (900, config.LAMBDA_MEMORY_MIB)
    assert processor["Architectures"] == ["arm64"] and len(processor["Layers"]) == 2
    env = processor["Environment"]["Variables"]
    assert {"TASK_CLUSTER_ARN", "TASK_DEFINITION_ARN", "TASK_SUBNETS", "LEDGER_TABLE", "MEDIA_BUCKET"} <= set(
        env
    )
    assert env["SCRATCH_MIB"] == "10240" and env["MAX_RECEIVE_COUNT"] == str(config.MAX_RECEIVE_COUNT)
    assert env["LEASE_S"] == str(900 + config.LEASE_MARGIN_S)


def test_given_the_ffmpeg_layer_then_its_asset_holds_the_aarch64_binary(
    app_synth: Synthesized, template: dict[str, Any]
) -> None:
    [layer] = [r for k, r in template["Resources"].items() if k.startswith("FfmpegLayer")]
    asset = app_synth.outdir / layer["Metadata"]["aws:asset:path"]
    binaries = list(Path(asset, "python", "imageio_ffmpeg", "binaries").glob("ffmpeg-linux-aarch64*"))
    assert binaries and binaries[0].stat().st_mode & 0o111


def test_given_the_task_definition_then_it_is_arm64_sized_on_purpose_and_runs_the_task_module(
    template: dict[str, Any],
) -> None:
    [task] = _resources(template, "AWS::ECS::TaskDefinition").values()
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    assert (task["Cpu"], task["Memory"]) == (str(config.FARGATE_CPU), str(config.FARGATE_MEMORY_MIB))
    assert task["EphemeralStorage"] == {"SizeInGiB": config.FARGATE_EPHEMERAL_GIB}
    [container] = task["ContainerDefinitions"]
    assert container["Command"] == ["python", "-m", "services.postprocess.task"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_given_the_task_role_then_it_reads_recordings_writes_only_videos_and_puts_events_on_the_bus(
    template: dict[str, Any],
) -> None:
    statements = _policy_statements(template, "TaskRole")
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "events:PutEvents",
                       "dynamodb:GetItem", "dynamodb:UpdateItem"}  # fmt: skip
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [json.dumps(s["Resource"]) for s in writes] == [
        json.dumps({"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "MediaBucketName"}, "/videos/*"]]})
    ]
    assert all(s["Resource"] != "*" for s in statements)


def test_given_the_watcher_then_it_listens_on_the_default_bus_for_stops_of_the_task_family(
    template: dict[str, Any],
) -> None:
    rule = _rules(template)["dev-svideo-postprocess-task-stopped"]
    assert "EventBusName" not in rule or rule["EventBusName"] == "default"
    assert rule["EventPattern"]["detail"]["group"] == ["family:dev-svideo-postprocess"]


def test_given_a_threshold_in_the_context_then_both_rules_use_it(
    tmp_path: Path, cdk_context: dict[str, Any]
) -> None:
    app = cdk.App(outdir=str(tmp_path), context={**cdk_context, config.THRESHOLD_CONTEXT_KEY: 60_000})
    PostprocessStack(app, STACK, stage="dev")
    add_nag_gate(app)
    rules = _rules(json.loads(json.dumps(app.synth().get_stack_by_name(STACK).template)))
    expected = [dict(s.event_pattern) for s in routing_subscriptions("dev", 60_000)]
    names = ["dev-svideo-postprocess-lambda", "dev-svideo-postprocess-fargate"]
    assert [rules[n]["EventPattern"] for n in names] == expected


def test_given_a_stages_timeout_in_the_context_then_the_function_queue_lease_and_threshold_follow_it(
    tmp_path: Path, cdk_context: dict[str, Any]
) -> None:
    context = {**cdk_context, config.TIMEOUT_CONTEXT_KEY: {"dev": 10, "prod": 600}}
    app = cdk.App(outdir=str(tmp_path), context=context)
    PostprocessStack(app, STACK, stage="dev")
    add_nag_gate(app)
    template = json.loads(json.dumps(app.synth().get_stack_by_name(STACK).template))

    [processor] = [
        f for f in _resources(template, "AWS::Lambda::Function").values()
        if f["Handler"].endswith("process_recording.handler")
    ]  # fmt: skip
    assert processor["Timeout"] == 10
    assert processor["Environment"]["Variables"]["LEASE_S"] == str(10 + config.LEASE_MARGIN_S)
    [target] = _rules(template)["dev-svideo-postprocess-lambda"]["Targets"]
    queue = template["Resources"][target["Arn"]["Fn::GetAtt"][0]]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * 10  # AWS's six timeouts: the deadline asks for no less
    assert queue["RedrivePolicy"]["maxReceiveCount"] == config.MAX_RECEIVE_COUNT
    # Half of 10 s moves about 100 MB at the planning rates: recordings up to a minute stay on Lambda.
    expected = [dict(s.event_pattern) for s in routing_subscriptions("dev", 60_000)]
    names = ["dev-svideo-postprocess-lambda", "dev-svideo-postprocess-fargate"]
    assert [_rules(template)[n]["EventPattern"] for n in names] == expected


@pytest.mark.parametrize(
    ("value", "problem"), [(0, "outside Lambda's 1-900 s"), (901, "outside"), ("ten", "a whole number")]
)
def test_given_a_bad_timeout_in_the_context_then_synthesis_names_the_setting(
    tmp_path: Path, cdk_context: dict[str, Any], value: object, problem: str
) -> None:
    app = cdk.App(outdir=str(tmp_path), context={**cdk_context, config.TIMEOUT_CONTEXT_KEY: {"dev": value}})
    with pytest.raises(ValueError, match=f"{config.TIMEOUT_CONTEXT_KEY}: .*{problem}"):
        PostprocessStack(app, STACK, stage="dev")
