"""PluginsStack and the duration plugin's stack: rules, DLQs, IAM scope, schedules; nag and cfn-lint."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.plugin import PluginStack
from infra.nag import add_nag_gate
from infra.stacks.plugins_stack import ROUTES, PluginsStack, lifecycle_subscriptions
from plugins.duration.stack import DurationPluginStack
from shared.patterns import matches
from templates.plugin.stack import WordCountPluginStack
from tests.infra.conftest import Synthesized

ENV = cdk.Environment(account="123456789012", region="us-east-1")
WEBHOOK_URL = "https://hooks.example.com/svideo"
WEBHOOK_MANIFEST = """
name: hooked
version: 1.0.0
description: A webhook plugin.
author: tests
hook: preMetadata
timeout_seconds: 60
delivery: webhook
output_schema: {type: object}
"""


@pytest.fixture(scope="module")
def plugins_synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synthesized:
    outdir = tmp_path_factory.mktemp("plugins.out")
    app = cdk.App(outdir=str(outdir), context={**cdk_context, "aws:cdk:enable-asset-metadata": True})
    PluginsStack(app, "PluginsStack", stage="dev", env=ENV)
    DurationPluginStack(app, "DurationPluginStack", stage="dev", env=ENV)
    WordCountPluginStack(app, "WordCountPluginStack", stage="dev", env=ENV)
    webhook = outdir.parent / "webhook-manifest.yaml"
    webhook.write_text(WEBHOOK_MANIFEST)
    PluginStack(
        app, "WebhookPluginStack", stage="dev", env=ENV, manifest_path=webhook, webhook_url=WEBHOOK_URL
    )
    add_nag_gate(app)
    app.synth()  # raises on any unacknowledged cdk-nag finding
    return Synthesized(outdir, app)


def _event(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": detail}


def test_given_the_lifecycle_subscriptions_then_they_match_processed_videos_and_any_plugins_completion() -> (
    None
):
    processed, completed, deleted = (s.event_pattern for s in lifecycle_subscriptions("dev"))
    assert matches(
        deleted, _event("svideo.video", "Video.StatusChanged", {"from": "published", "to": "deleted"})
    )
    assert not matches(
        deleted, _event("svideo.video", "Video.StatusChanged", {"from": None, "to": "processing"})
    )
    assert matches(processed, _event("svideo.postprocess", "Video.Processed", {}))
    assert not matches(processed, _event("svideo.postprocess", "Video.ProcessingFailed", {}))
    assert matches(completed, _event("svideo.plugin.duration", "Plugin.Completed", {}))
    assert not matches(completed, _event("svideo.plugin.transcript", "Transcript.Completed", {}))
    assert not matches(completed, _event("svideo.plugins", "Plugin.Completed", {}))


def test_given_the_duration_stack_then_its_rule_takes_only_its_own_invocations(
    plugins_synth: Synthesized,
) -> None:
    rules = plugins_synth.assertions("DurationPluginStack").find_resources("AWS::Events::Rule")
    [pattern] = [rule["Properties"]["EventPattern"] for rule in rules.values()]
    assert matches(pattern, _event("svideo.plugins", "Plugin.Invoked", {"plugin": "duration"}))
    assert not matches(pattern, _event("svideo.plugins", "Plugin.Invoked", {"plugin": "titles"}))


def test_given_the_duration_stack_then_it_may_put_events_only_as_itself(plugins_synth: Synthesized) -> None:
    policies = plugins_synth.assertions("DurationPluginStack").find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    [put] = [s for s in statements if s["Action"] == "events:PutEvents"]
    assert put["Condition"] == {"StringEquals": {"events:source": "svideo.plugin.duration"}}


def _statements(synth: Synthesized, stack: str) -> list[dict[str, Any]]:
    policies = synth.assertions(stack).find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_given_the_template_plugin_then_its_role_holds_exactly_what_the_sdk_calls(
    plugins_synth: Synthesized,
) -> None:
    """Read the media and earlier plugins' artefacts, write and delete only under its own prefix, publish
    only as itself; the rest is the queue it drains, its DLQ and traces (ServiceFunction's defaults)."""

    def under(keys: str) -> Any:
        return {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "MediaBucketName"}, keys]]}

    by_action: dict[str, tuple[Any, Any]] = {}
    for statement in _statements(plugins_synth, "WordCountPluginStack"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            by_action[action] = (statement["Resource"], statement.get("Condition"))
    assert by_action["s3:GetObject"] == (under("/videos/*"), None)
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert by_action[action] == (under("/videos/*/plugins/word-count/*"), None)
    own_source = {"StringEquals": {"events:source": "svideo.plugin.word-count"}}
    assert by_action["events:PutEvents"][1] == own_source
    s3_actions = {a for a in by_action if a.startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert {a.split(":")[0] for a in by_action} <= {"s3", "events", "sqs", "xray"}
    assert not [a for a, (resource, _) in by_action.items() if resource == "*" and not a.startswith("xray:")]
    functions = plugins_synth.assertions("WordCountPluginStack").find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "handler.handler"}}
    )
    [variables] = [f["Properties"]["Environment"]["Variables"] for f in functions.values()]
    assert variables["MEDIA_BUCKET"] == {"Ref": "MediaBucketName"}


def test_given_the_queues_then_every_consumer_reports_batch_failures_and_has_a_dlq(
    plugins_synth: Synthesized,
) -> None:
    for stack in ("PluginsStack", "DurationPluginStack"):
        template = plugins_synth.assertions(stack)
        template.all_resources_properties(
            "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
        )
        queues = template.find_resources(
            "AWS::SQS::Queue", {"Properties": {"RedrivePolicy": Match.any_value()}}
        )
        assert len(queues) == 1


def test_given_the_lifecycle_then_it_manages_schedules_only_in_its_group_and_passes_only_the_scheduler_role(
    plugins_synth: Synthesized,
) -> None:
    template = plugins_synth.template("PluginsStack")
    statements = [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    [schedules] = [
        s for s in statements if s["Action"] == ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]
    ]
    assert "dev-svideo-plugin-deadlines/*" in json.dumps(schedules["Resource"])
    [pass_role] = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert "SchedulerRole" in json.dumps(pass_role["Resource"])
    assert not any(s["Resource"] == "*" and not str(s["Action"]).startswith("['xray:")
                   for s in statements)  # fmt: skip


def test_given_the_api_then_every_plugins_route_needs_a_jwt(plugins_synth: Synthesized) -> None:
    routes = plugins_synth.assertions("PluginsStack").find_resources("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == sorted(
        f"{m} {p}" for m, p in ROUTES
    )
    assert {r["Properties"]["AuthorizationType"] for r in routes.values()} == {"JWT"}


def test_given_the_token_key_then_it_is_a_generated_secret_and_not_in_any_environment(
    plugins_synth: Synthesized,
) -> None:
    template: Template = plugins_synth.assertions("PluginsStack")
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
    functions = template.find_resources("AWS::Lambda::Function")
    for function in functions.values():
        env = json.dumps(function["Properties"].get("Environment", {}))
        assert "SecretString" not in env


def test_given_the_plugin_templates_when_linted_then_cfn_lint_reports_nothing(
    plugins_synth: Synthesized,
) -> None:
    cfn_lint = shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: run `make setup`"
    templates = [str(p) for p in plugins_synth.templates()]
    result = subprocess.run(
        [cfn_lint, "--append-rules", "cfn_lint_serverless.rules", "--", *templates],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_given_a_webhook_plugin_then_its_invocations_are_posted_by_an_api_destination_with_a_dlq(
    plugins_synth: Synthesized,
) -> None:
    template = plugins_synth.template("WebhookPluginStack")
    resources = template["Resources"].values()
    assert not [r for r in resources if r["Type"] in ("AWS::Lambda::Function", "AWS::SQS::Queue")]
    [destination] = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::ApiDestination"]
    assert (destination["InvocationEndpoint"], destination["HttpMethod"]) == (WEBHOOK_URL, "POST")
    [connection] = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::Connection"]
    api_key = connection["AuthParameters"]["ApiKeyAuthParameters"]
    assert api_key["ApiKeyName"] == "x-svideo-key"
    assert "WebhookKey" in json.dumps(api_key["ApiKeyValue"])  # the generated secret, not a literal
    [rule] = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::Rule"]
    assert matches(rule["EventPattern"], _event("svideo.plugins", "Plugin.Invoked", {"plugin": "hooked"}))
    assert not matches(rule["EventPattern"], _event("svideo.plugins", "Plugin.Invoked", {"plugin": "other"}))
    [target] = rule["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    assert "dev-svideo-events-dlq" in json.dumps(target["DeadLetterConfig"])
    policies = [r["Properties"]["PolicyDocument"] for r in resources if r["Type"] == "AWS::IAM::Policy"]
    invoke = [s for d in policies for s in d["Statement"] if s["Action"] == "events:InvokeApiDestination"]
    assert invoke and all("Destination" in json.dumps(s["Resource"]) for s in invoke)


def test_given_the_lifecycle_then_it_has_reserved_concurrency(plugins_synth: Synthesized) -> None:
    template = plugins_synth.template("PluginsStack")
    [lifecycle] = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Handler") == "services.plugins.handlers.lifecycle.handler"
    ]  # fmt: skip
    assert lifecycle["ReservedConcurrentExecutions"] == 5
