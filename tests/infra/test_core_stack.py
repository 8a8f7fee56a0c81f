"""CoreStack: the bus, its policy and archive, the shared DLQ, the schema registry and the SSM parameters."""

import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match

from infra.naming import CoreParameter, parameter_name
from infra.stacks.core_stack import ARCHIVE_RETENTION
from shared.events.schemas import registry_schemas
from shared.patterns import matches
from tests.infra.conftest import Synthesized

EVENTS = Path(__file__).resolve().parent.parent / "events"


def _resources(template: dict[str, Any], cfn_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == cfn_type]


def _bus_id(template: dict[str, Any]) -> str:
    (logical_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::EventBus"]
    return logical_id


def test_given_stage_dev_when_synthesized_then_the_bus_has_its_well_known_name(
    app_synth: Synthesized,
) -> None:
    app_synth.assertions("CoreStack").has_resource_properties("AWS::Events::EventBus", {"Name": "dev-svideo"})


def test_given_the_bus_policy_then_only_this_account_may_put_events(app_synth: Synthesized) -> None:
    (policy,) = _resources(app_synth.template("CoreStack"), "AWS::Events::EventBusPolicy")
    statement = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    principal = json.dumps(statement["Principal"])
    assert ":root" in principal and "AWS::AccountId" in principal
    assert "Condition" not in statement


def test_given_the_archive_then_it_keeps_every_event_of_the_account_for_the_retention(
    app_synth: Synthesized,
) -> None:
    (archive,) = _resources(app_synth.template("CoreStack"), "AWS::Events::Archive")
    assert archive["RetentionDays"] == ARCHIVE_RETENTION.to_days()
    assert archive["SourceArn"] == {"Fn::GetAtt": [_bus_id(app_synth.template("CoreStack")), "Arn"]}
    # Evaluate the deployed pattern with the account token standing in for the event's account.
    deployed = json.dumps(archive["EventPattern"])
    pattern = json.loads(deployed.replace('{"Ref": "AWS::AccountId"}', '"123456789012"'))
    for sample in ("svideo.channel/Recording.Ended.json", "aws.ivs/IVSRecordingStateChange.json"):
        event = json.loads((EVENTS / sample).read_text())
        assert matches(pattern, {**event, "account": "123456789012"}), sample
    assert not matches(pattern, {**event, "account": "210987654321"})


def test_given_the_shared_dlq_then_it_is_encrypted_keeps_14_days_and_refuses_plain_http(
    app_synth: Synthesized,
) -> None:
    template = app_synth.assertions("CoreStack")
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": "dev-svideo-events-dlq",
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 14 * 24 * 3600,
        },
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Action": "sqs:SendMessage",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Condition": {"ArnLike": {"aws:SourceArn": Match.any_value()}},
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_given_the_registry_schemas_then_each_is_one_openapi3_schema_with_the_same_json(
    app_synth: Synthesized,
) -> None:
    expected = registry_schemas()
    schemas = _resources(app_synth.template("CoreStack"), "AWS::EventSchemas::Schema")
    assert sorted(s["SchemaName"] for s in schemas) == sorted(expected)
    for schema in schemas:
        assert schema["Type"] == "OpenApi3"
        assert json.loads(schema["Content"]) == expected[schema["SchemaName"]]
        assert json.loads(schema["Content"])["openapi"].startswith("3.0")
        assert schema["RegistryName"] == {"Fn::GetAtt": ["SchemaRegistry", "RegistryName"]}
    app_synth.assertions("CoreStack").has_resource_properties(
        "AWS::EventSchemas::Registry", {"RegistryName": "dev-svideo"}
    )


def test_given_the_core_stack_then_it_publishes_every_shared_name_in_ssm(app_synth: Synthesized) -> None:
    parameters = {p["Name"]: p for p in _resources(app_synth.template("CoreStack"), "AWS::SSM::Parameter")}
    assert sorted(parameters) == sorted(parameter_name("dev", key) for key in CoreParameter)
    bus = _bus_id(app_synth.template("CoreStack"))
    assert parameters["/svideo/dev/core/bus-name"]["Value"] == {"Ref": bus}
    assert parameters["/svideo/dev/core/bus-arn"]["Value"] == {"Fn::GetAtt": [bus, "Arn"]}
    assert parameters["/svideo/dev/core/archive-name"]["Value"] == "dev-svideo-archive"


def test_given_every_stack_then_none_exports_or_imports_values(app_synth: Synthesized) -> None:
    for path in app_synth.templates():
        text = path.read_text()
        assert "Fn::ImportValue" not in text, path.name
        assert '"Export"' not in text, path.name
