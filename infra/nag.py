"""The infrastructure gates, cdk-nag at synth and cfn-lint in tests; every exception carries a reason."""

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
