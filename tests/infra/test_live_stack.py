"""LiveStack: the WebSocket API and routes, the connections table, the notifier's subscriptions and IAM."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match

from infra.nag import add_nag_gate
from infra.naming import parameter_name
from infra.stacks.live_stack import MAX_RECEIVE_COUNT, TOPIC_INDEX, WEBSOCKET_URL_KEY, LiveStack
from shared.patterns import matches
from tests.infra.conftest import Synthesized

EVENTS = Path(__file__).resolve().parent.parent / "events"
STACK = "LiveStack"
PUSHED = [
    "svideo.channel/Broadcast.Started.json",
    "svideo.channel/Broadcast.Ended.json",
    "svideo.video/Video.StatusChanged.json",
    "svideo.video/Video.Published.json",
    "svideo.video/Title.Selected.json",
    "svideo.plugins/Plugin.Invoked.json",
    "svideo.plugin.duration/Plugin.Completed.json",
    "svideo.plugin.titles/Titles.Generated.json",
]


def _resources(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {key: r for key, r in template["Resources"].items() if r["Type"] == cfn_type}


def _function_id(template: dict[str, Any], handler: str) -> str:
    (logical_id,) = [
        key
        for key, r in _resources(template, "AWS::Lambda::Function").items()
        if r["Properties"].get("Handler") == handler
    ]
    return logical_id


def _policies_of(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _resolve(value: Any, api_endpoint: str) -> Any:
    """Evaluates a URL's GetAtt/Join/Split expression the way a deployer would, for one ApiEndpoint value."""
    if isinstance(value, list):
        return [_resolve(item, api_endpoint) for item in value]
    if isinstance(value, dict):
        ((function, argument),) = value.items()
        if function == "Fn::GetAtt":
            return api_endpoint
        if function == "Fn::Join":
            return argument[0].join(_resolve(argument[1], api_endpoint))
        if function == "Fn::Split":
            return _resolve(argument[1], api_endpoint).split(argument[0])
        raise AssertionError(f"unexpected {function} in the URL")
    return value


@pytest.fixture(scope="module")
def live_synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synthesized:
    """LiveStack on its own (it deploys alone), under the same nag gate; the app-wide gates cover it too."""
    outdir = tmp_path_factory.mktemp("live.out")
    app = cdk.App(outdir=str(outdir), context={**cdk_context, "aws:cdk:enable-asset-metadata": True})
    LiveStack(app, STACK, stage="dev")
    add_nag_gate(app)
    app.synth()
    return Synthesized(outdir, app)


@pytest.fixture(scope="module")
def template(live_synth: Synthesized) -> dict[str, Any]:
    return live_synth.template(STACK)


def test_given_the_api_then_it_is_a_websocket_api_selecting_routes_by_action(live_synth: Synthesized) -> None:
    live_synth.assertions(STACK).has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": "$request.body.action",
            "Name": "dev-svideo-live",
        },
    )


def test_given_the_routes_then_each_goes_to_the_socket_function_and_only_messages_answer(
    template: dict[str, Any],
) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in _resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {"$connect", "$disconnect", "$default", "subscribe"}
    assert {key for key, route in routes.items() if route.get("RouteResponseSelectionExpression")} == {
        "$default",
        "subscribe",
    }
    socket = _function_id(template, "services.live.handlers.socket.handler")
    for integration in _resources(template, "AWS::ApiGatewayV2::Integration").values():
        assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
        assert socket in json.dumps(integration["Properties"]["IntegrationUri"])


def test_given_the_stage_then_it_is_throttled_and_access_logged(live_synth: Synthesized) -> None:
    live_synth.assertions(STACK).has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "dev",
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": Match.any_value(),
                "ThrottlingBurstLimit": Match.any_value(),
            },
            "AccessLogSettings": {
                "DestinationArn": Match.any_value(),
                "Format": Match.string_like_regexp("connectionId"),
            },
        },
    )


def test_given_the_connections_table_then_a_sparse_topic_index_fans_out_and_ttl_expires_connections(
    live_synth: Synthesized,
) -> None:
    live_synth.assertions(STACK).has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": TOPIC_INDEX,
                    "KeySchema": [
                        {"AttributeName": "topic", "KeyType": "HASH"},
                        {"AttributeName": "connection_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["principal"]},
                }
            ],
        },
    )


def test_given_the_subscriptions_then_exactly_the_pushed_event_types_reach_the_notifier_queue(
    template: dict[str, Any],
) -> None:
    rules = [r["Properties"] for r in _resources(template, "AWS::Events::Rule").values()]
    assert len(rules) == 4
    for sample in PUSHED:
        event = json.loads((EVENTS / sample).read_text())
        assert sum(matches(rule["EventPattern"], event) for rule in rules) == 1, sample
    for ignored in (
        "svideo.channel/Channel.Created.json",
        "svideo.channel/Recording.Ended.json",
        "svideo.plugins/Lifecycle.Completed.json",
        "svideo.plugin.avatars/Avatars.Generated.json",
    ):
        event = json.loads((EVENTS / ignored).read_text())
        assert not any(matches(rule["EventPattern"], event) for rule in rules), ignored
    for rule in rules:
        (target,) = rule["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_given_the_notifier_then_it_reads_its_queue_with_partial_batch_failures_and_a_dlq(
    live_synth: Synthesized,
) -> None:
    assertions = live_synth.assertions(STACK)
    assertions.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FunctionResponseTypes": ["ReportBatchItemFailures"], "BatchSize": 10},
    )
    assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {"RedrivePolicy": {"maxReceiveCount": MAX_RECEIVE_COUNT, "deadLetterTargetArn": Match.any_value()}},
    )


def test_given_the_notifier_then_only_it_may_post_to_connections_of_this_api_stage(
    template: dict[str, Any],
) -> None:
    notifier = _function_id(template, "services.live.handlers.notifier.handler")
    socket = _function_id(template, "services.live.handlers.socket.handler")
    (grant,) = [s for s in _policies_of(template, notifier) if s["Action"] == "execute-api:ManageConnections"]
    resource = json.dumps(grant["Resource"])
    assert "/dev/POST/@connections/*" in resource and "execute-api" in resource
    api_id = next(iter(_resources(template, "AWS::ApiGatewayV2::Api")))
    assert {"Ref": api_id} in grant["Resource"]["Fn::Join"][1]
    assert not any("execute-api" in json.dumps(s["Action"]) for s in _policies_of(template, socket))


def test_given_the_callback_url_when_deployed_to_aws_or_locally_then_it_is_the_stages_management_endpoint(
    template: dict[str, Any],
) -> None:
    notifier = _function_id(template, "services.live.handlers.notifier.handler")
    url = template["Resources"][notifier]["Properties"]["Environment"]["Variables"]["CONNECTIONS_URL"]
    aws = _resolve(url, "wss://abc123.execute-api.us-east-1.amazonaws.com")
    assert aws == "https://abc123.execute-api.us-east-1.amazonaws.com/dev"
    local = _resolve(url, "http://127.0.0.1:4566/_aws/execute-api/abc123")
    assert local == "http://127.0.0.1:4566/_aws/execute-api/abc123/dev"


def test_given_the_stack_then_the_websocket_url_is_published_for_the_web_app(live_synth: Synthesized) -> None:
    live_synth.assertions(STACK).has_resource_properties(
        "AWS::SSM::Parameter", {"Name": parameter_name("dev", WEBSOCKET_URL_KEY), "Type": "String"}
    )


def test_given_the_live_template_when_linted_then_cfn_lint_reports_nothing(live_synth: Synthesized) -> None:
    cfn_lint = shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: run `make setup`"
    result = subprocess.run(
        [
            cfn_lint,
            "--append-rules",
            "cfn_lint_serverless.rules",
            "--",
            str(live_synth.outdir / f"{STACK}.template.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
