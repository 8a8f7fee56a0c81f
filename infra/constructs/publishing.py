"""Who may put events on the bus: each role under its own `events:source` only, so no service or plugin can
speak for another (a consumer trusts an event's source)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam


def publish_statement(bus_arn: str, source: str) -> iam.PolicyStatement:
    """PutEvents on `bus_arn` for events whose `source` is `source`, nothing else."""
    return iam.PolicyStatement(
        actions=["events:PutEvents"],
        resources=[bus_arn],
        conditions={"StringEquals": {"events:source": source}},
    )


def grant_publish(grantee: iam.IGrantable, bus_arn: str, source: str) -> None:
    """Lets `grantee` (a function, a task role, a pipe's role) publish as `source` on the bus."""
    grantee.grant_principal.add_to_principal_policy(publish_statement(bus_arn, source))
