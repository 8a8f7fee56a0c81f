"""The deployer's intrinsic functions and resource ordering, on small templates (no cloud)."""

from __future__ import annotations

import base64

import pytest

from local.deploy.intrinsics import DeployError, Intrinsics, ResolvedResource, creation_order, references


def _intrinsics(**overrides: object) -> Intrinsics:
    ctx = Intrinsics(
        stack_name="Core",
        region="us-east-1",
        account_id="123456789012",
        parameters={"Stage": "local", "Azs": ["a", "b"]},
        conditions={
            "IsLocal": {"Fn::Equals": [{"Ref": "Stage"}, "local"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsLocal"}]},
        },
        mappings={"Sizes": {"local": {"Memory": 256}}},
        exports={"core-bus-name": "svideo-local"},
    )
    ctx.resources["Queue"] = ResolvedResource(
        "http://q/url", {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "QueueName": "q"}
    )
    for key, value in overrides.items():
        setattr(ctx, key, value)
    return ctx


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"Ref": "Queue"}, "http://q/url"),
        ({"Ref": "AWS::Region"}, "us-east-1"),
        ({"Ref": "Stage"}, "local"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:us-east-1:123456789012:q"),
        ({"Fn::GetAtt": "Queue.QueueName"}, "q"),
        (
            {"Fn::Sub": "${AWS::AccountId}-${Queue.QueueName}-${Stage}-${!Literal}"},
            "123456789012-q-local-${Literal}",
        ),
        ({"Fn::Sub": ["${X}/${Queue}", {"X": {"Ref": "Stage"}}]}, "local/http://q/url"),
        ({"Fn::Join": [":", ["a", {"Ref": "Stage"}, 3]]}, "a:local:3"),
        ({"Fn::Select": [1, {"Fn::Split": ["|", "x|y|z"]}]}, "y"),
        ({"Fn::If": ["IsLocal", "yes", "no"]}, "yes"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "no"),
        ({"Fn::ImportValue": "core-bus-name"}, "svideo-local"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 256),
        ({"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "us-east-1a"),
        ({"Fn::Base64": "hi"}, base64.b64encode(b"hi").decode()),
        ({"Fn::Join": [",", {"Ref": "Azs"}]}, "a,b"),
    ],
)
def test_given_an_intrinsic_when_resolved_then_it_gives_what_cloudformation_gives(
    expression: object, expected: object
) -> None:
    assert _intrinsics().resolve(expression) == expected


def test_given_no_value_in_a_map_and_a_list_when_resolved_then_the_key_and_the_item_disappear() -> None:
    resolved = _intrinsics().resolve(
        {
            "Keep": 1,
            "Drop": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
            "List": ["a", {"Ref": "AWS::NoValue"}, "b"],
        }
    )
    assert resolved == {"Keep": 1, "List": ["a", "b"]}


@pytest.mark.parametrize(
    "expression",
    [
        {"Ref": "Missing"},
        {"Fn::GetAtt": ["Queue", "NoSuchAttribute"]},
        {"Fn::ImportValue": "nobody-exports-this"},
        {"Fn::If": ["NoSuchCondition", 1, 2]},
        {"Fn::Select": [5, ["a"]]},
    ],
)
def test_given_an_unresolvable_intrinsic_when_resolved_then_deploy_error_names_it(expression: object) -> None:
    with pytest.raises(DeployError):
        _intrinsics().resolve(expression)


def test_given_sub_with_local_variables_when_references_collected_then_only_template_names_count() -> None:
    found = references({"Fn::Sub": ["${X}-${Table.Arn}-${AWS::Region}-${!Escaped}", {"X": {"Ref": "Queue"}}]})
    assert found == {"Table", "AWS::Region", "Queue"}


def test_given_references_and_depends_on_when_ordered_then_each_resource_follows_what_it_needs() -> None:
    resources = {
        "Rule": {
            "Properties": {
                "Targets": [{"Arn": {"Fn::GetAtt": ["Function", "Arn"]}}],
                "EventBusName": {"Ref": "Bus"},
            }
        },
        "Function": {"Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}, "DependsOn": ["Policy"]},
        "Policy": {"Properties": {"Roles": [{"Ref": "Role"}]}},
        "Role": {"Properties": {}},
        "Bus": {"Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-bus"}}},
    }
    order = creation_order(resources)
    assert order.index("Role") < order.index("Policy") < order.index("Function") < order.index("Rule")
    assert order.index("Bus") < order.index("Rule")


def test_given_a_dependency_cycle_when_ordered_then_deploy_error_lists_the_resources() -> None:
    resources = {
        "A": {"Properties": {"X": {"Ref": "B"}}},
        "B": {"Properties": {"Y": {"Fn::GetAtt": ["A", "Arn"]}}},
    }
    with pytest.raises(DeployError, match="circular"):
        creation_order(resources)
