"""One dashboard per stack, from the metrics its alarms watch, plus the state of those alarms."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from infra.operations.alarms import StackAlarms

WIDTH = 24  # a dashboard row
WIDGETS_PER_ROW = 3


def add_dashboard(alarms: StackAlarms) -> cloudwatch.Dashboard:
    """Dashboard `<stack name>`: alarm states on top, then one graph per metric group."""
    stack = alarms.stack
    dashboard = cloudwatch.Dashboard(
        alarms,
        "Dashboard",
        dashboard_name=stack.stack_name,
        default_interval=cdk.Duration.hours(3),
    )
    dashboard.add_widgets(
        cloudwatch.TextWidget(
            markdown=f"# {stack.stack_name}\n{stack.template_options.description or ''}\n\n"
            "Every alarm names its runbook entry in docs/operations.md.",
            width=WIDTH,
            height=2,
        )
    )
    if alarms.alarms:
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(alarms=list(alarms.alarms), title="Alarms", width=WIDTH, height=4)
        )
    graphs = [
        cloudwatch.GraphWidget(title=title, left=metrics[:50], width=WIDTH // WIDGETS_PER_ROW, height=6)
        for title, metrics in alarms.widgets.items()
    ]
    for start in range(0, len(graphs), WIDGETS_PER_ROW):
        dashboard.add_widgets(*graphs[start : start + WIDGETS_PER_ROW])
    return dashboard
