"""The infrastructure gates, cdk-nag at synth and cfn-lint in tests; every exception carries a reason."""

import json
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

LINT_REASONS = "svideo:cfn-lint-reasons"


def add_nag_gate(app: cdk.App) -> None:
    """Every unacknowledged AwsSolutions finding makes `app.synth()` raise (and `cdk synth` exit non-zero)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept one finding (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope` and below, saying why."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {finding} needs a real reason, got {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def nag_rendering(scope: IConstruct, value: str) -> str:
    """`value` (an ARN with tokens) as cdk-nag prints it in a finding: resolved in `scope`'s stack, then
    flattened like cdk-nag's flattenCfnReference. With an env set, region/account/partition are literals;
    without, they render as `<AWS::Region>` etc. — so findings named this way hold in both templates."""
    return _flatten(cdk.Stack.of(scope).resolve(value))


def acknowledge_resource(scope: IConstruct, rule: str, resource: str, reason: str) -> None:
    """Accept `rule` (e.g. `AwsSolutions-IAM5`) for one policy resource, given as the same value (tokens
    and all) the policy statement uses: `acknowledge_resource(role, "AwsSolutions-IAM5", arn, why)`."""
    acknowledge(scope, f"{rule}[Resource::{nag_rendering(scope, resource)}]", reason)


def _flatten(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")  # Fn::Sub placeholders, as cdk-nag rewrites them
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def ignore_lint(construct: IConstruct, check: str, reason: str) -> None:
    """Skip one cfn-lint check on one resource (or an L2's); the reason goes beside it in the template."""
    if len(reason.strip()) < 20:
        raise ValueError(f"ignoring {check} needs a real reason, got {reason!r}")
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    lint = resource.get_metadata("cfn-lint") or {"config": {"ignore_checks": []}}
    lint["config"]["ignore_checks"] = sorted({*lint["config"]["ignore_checks"], check})
    resource.add_metadata("cfn-lint", lint)
    resource.add_metadata(LINT_REASONS, {**(resource.get_metadata(LINT_REASONS) or {}), check: reason})
