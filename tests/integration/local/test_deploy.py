"""The deployer against the full local cloud: resources created through the APIs, redeploys idempotent."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.deploy import DeployError, deploy_template
from tests.integration.local.helpers import drain

ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                }
            ]
        },
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
    },
}
TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
        }
    },
    "Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "deploy-test"}},
        "Dlq": {"Type": "AWS::SQS::Queue"},
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 30,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                    "maxReceiveCount": 3,
                },
            },
        },
        "Role": ROLE,
        "Function": {
            "Type": "AWS::Lambda::Function",
            "DependsOn": ["Role"],
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Environment": {"Variables": {"QUEUE": {"Ref": "Queue"}}},
                "Code": {
                    "ZipFile": "import os\ndef handler(event, context):\n    return os.environ['QUEUE']\n"
                },
            },
        },
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["deploy.test"]},
                "State": "ENABLED",
                "Targets": [{"Id": "queue", "Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}],
            },
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "gsi", "AttributeType": "S"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-gsi",
                        "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
            },
        },
        "Alarm": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {"AlarmRule": "TRUE"}},
        "Custom": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "arn:aws:lambda:x"}},
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": "deploy-test-queue"}},
        "StreamArn": {"Value": {"Fn::GetAtt": ["Table", "StreamArn"]}},
    },
}


@pytest.fixture(scope="module")
def deployed(local_cloud: LocalCloud) -> dict[str, Any]:
    from local.deploy import bootstrap

    bootstrap(local_cloud)
    result = deploy_template(local_cloud, "DeployTest", TEMPLATE)
    return {record.logical_id: record for record in result.resources} | {"_result": result}


def test_given_a_template_when_deployed_then_resources_exist_behind_the_local_endpoint(
    local_cloud: LocalCloud, deployed: dict[str, Any]
) -> None:
    sqs = local_cloud.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=deployed["Queue"].physical_id, AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == deployed["Dlq"].attributes["Arn"]
    rules = local_cloud.client("events").list_rules(EventBusName="deploy-test")["Rules"]
    assert [json.loads(rule["EventPattern"]) for rule in rules] == [{"source": ["deploy.test"]}]
    table = local_cloud.client("dynamodb").describe_table(TableName=deployed["Table"].physical_id)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-gsi"
    result = local_cloud.client("lambda").invoke(FunctionName=deployed["Function"].physical_id)
    assert json.loads(result["Payload"].read()) == deployed["Queue"].physical_id


def test_given_unsupported_types_when_deployed_then_they_are_recorded_or_skipped_not_failed(
    deployed: dict[str, Any],
) -> None:
    assert deployed["Alarm"].status == "recorded"
    assert deployed["Custom"].status == "skipped"
    assert deployed["_result"].outputs[0].export_name == "deploy-test-queue"


def test_given_the_same_template_when_redeployed_then_nothing_changes(
    local_cloud: LocalCloud, deployed: dict[str, Any]
) -> None:
    again = deploy_template(local_cloud, "DeployTest", TEMPLATE)
    assert {record.status for record in again.resources} <= {"unchanged", "recorded", "skipped"}
    assert again.resources[0].physical_id == deployed["Bus"].physical_id


def test_given_a_changed_and_a_removed_resource_when_redeployed_then_one_is_updated_and_one_deleted(
    local_cloud: LocalCloud, deployed: dict[str, Any]
) -> None:
    changed = copy.deepcopy(TEMPLATE)
    changed["Resources"]["Rule"]["Properties"]["EventPattern"] = {"source": ["deploy.changed"]}
    del changed["Resources"]["Table"]
    del changed["Outputs"]["StreamArn"]
    result = deploy_template(local_cloud, "DeployTest", changed)
    statuses = {record.logical_id: record.status for record in result.resources}
    assert statuses["Rule"] == "updated"
    assert "Table" not in statuses
    tables = local_cloud.client("dynamodb").list_tables()["TableNames"]
    assert deployed["Table"].physical_id not in tables
    rules = local_cloud.client("events").list_rules(EventBusName="deploy-test")["Rules"]
    assert [json.loads(rule["EventPattern"]) for rule in rules] == [{"source": ["deploy.changed"]}]


def _aliased_function(code: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": ROLE,
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": code},
                },
            },
            "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Function"}}},
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
                    "Name": "live",
                },
            },
        }
    }


def test_given_a_replaced_function_when_redeployed_then_its_alias_is_made_again_and_invokes_the_new_code(
    local_cloud: LocalCloud, deployed: dict[str, Any]
) -> None:
    # The alias's own properties read the same, but replacing the function deleted the alias with it.
    first = deploy_template(local_cloud, "AliasTest", _aliased_function("def handler(e, c):\n  return 1\n"))
    function = next(r.physical_id for r in first.resources if r.logical_id == "Function")
    result = deploy_template(local_cloud, "AliasTest", _aliased_function("def handler(e, c):\n  return 2\n"))
    statuses = {record.logical_id: record.status for record in result.resources}
    assert statuses["Function"] == "updated" and statuses["Alias"] == "updated"
    answer = local_cloud.client("lambda").invoke(FunctionName=function, Qualifier="live", Payload=b"{}")
    assert answer["Payload"].read() == b"2"


def test_given_a_resource_the_api_rejects_when_deployed_then_the_error_names_the_resource(
    local_cloud: LocalCloud,
) -> None:
    broken = {
        "Resources": {
            "BadRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"EventPattern": {"source": "not-an-array"}},
            }
        }
    }
    with pytest.raises(
        DeployError, match=r"BadRule \(AWS::Events::Rule\) failed: InvalidEventPatternException"
    ):
        deploy_template(local_cloud, "Broken", broken)


@pytest.mark.infra
def test_given_the_platforms_synthesized_app_when_deployed_twice_then_it_deploys_then_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, deploy_assembly: Any
) -> None:
    """The real CDK app, synthesized in process as `cdk synth` would, goes through the whole deployer."""
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # cdk-nag is the infrastructure tests' gate, not this one's: findings must not hide deploy failures.
    build_app(outdir=str(outdir), context={"stage": "local"}).synth(skip_validation=True)
    first = deploy_assembly(outdir, stacks=["CoreStack-local"])
    assert first and all(not stack.skipped for stack in first)
    second = deploy_assembly(outdir, stacks=["CoreStack-local"])
    changed = [
        r.logical_id for stack in second for r in stack.resources if r.status in ("created", "updated")
    ]
    assert changed == []


def _machine_template(body: str) -> dict[str, Any]:
    """A queue, a role Step Functions assumes, allowed to send to it, and a machine sending `body` there."""
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "states.amazonaws.com"}}
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "${QueueUrl}", "MessageBody": body},
        "End": True,
    }
    sends = {"Version": "2012-10-17", "Statement": [send]}
    role = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
        "Policies": [{"PolicyName": "send", "PolicyDocument": sends}],
    }
    machine = {
        "RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]},
        "Definition": {"StartAt": "Send", "States": {"Send": task}},
        "DefinitionSubstitutions": {"QueueUrl": {"Ref": "Queue"}},
        "TracingConfiguration": {"Enabled": True},
    }
    return {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "MachineRole": {"Type": "AWS::IAM::Role", "Properties": role},
            "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": machine},
        }
    }


def test_given_a_state_machine_when_deployed_updated_and_removed_then_it_runs_as_its_role_each_time(
    local_cloud: LocalCloud,
) -> None:
    from local.deploy import bootstrap

    bootstrap(local_cloud)
    states, sqs = local_cloud.client("stepfunctions"), local_cloud.client("sqs")
    deployed = deploy_template(local_cloud, "MachineTest", _machine_template("one"))
    first = {record.logical_id: record for record in deployed.resources}
    machine, queue = first["Machine"].physical_id, first["Queue"].physical_id

    def run() -> str:
        execution = states.start_execution(stateMachineArn=machine)["executionArn"]
        [message] = drain(sqs, queue, 1)
        assert states.describe_execution(executionArn=execution)["status"] in ("RUNNING", "SUCCEEDED")
        return str(message["Body"])

    assert first["Machine"].attributes["Arn"] == machine
    assert states.describe_state_machine(stateMachineArn=machine)["tracingConfiguration"] == {"enabled": True}
    assert run() == "one"
    second = deploy_template(local_cloud, "MachineTest", _machine_template("two"))
    assert {r.logical_id: r.status for r in second.resources}["Machine"] == "updated"
    assert run() == "two"
    template = _machine_template("two")
    del template["Resources"]["Machine"]
    deploy_template(local_cloud, "MachineTest", template)
    assert machine not in [m["stateMachineArn"] for m in states.list_state_machines()["stateMachines"]]
