"""cdk-nag AwsSolutions as a synth gate, and the one way to acknowledge a finding (always with a reason)."""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_gate(app: cdk.App) -> None:
    """Every unacknowledged AwsSolutions finding makes `app.synth()` raise (and `cdk synth` exit non-zero)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept one finding (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope` and below, saying why."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {finding} needs a real reason, got {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))
