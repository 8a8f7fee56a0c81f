"""Operating the app: alarms and a dashboard added to every stack, stack dependencies from SSM reads.

`add_operations(stacks, operations)` runs once in `infra.app.build_app`, after every stack is built, so a
stack added to `STACKS` gets its alarms and dashboard without declaring them.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_sns as sns

from infra.naming import resource_name
from infra.operations.alarms import StackAlarms, dead_letter_references
from infra.operations.dashboards import add_dashboard
from infra.operations.dependencies import declare_parameter_dependencies
from infra.stacks.operations_stack import OperationsStack

__all__ = ["add_operations", "alarm_topic_arn", "declare_parameter_dependencies"]


def alarm_topic_arn(stack: cdk.Stack, stage: str) -> str:
    """The stage's topic by its well-known name: a stack's alarms need no deploy-time lookup, so a stack still
    deploys alone (CloudWatch takes an action's ARN before its topic exists)."""
    return stack.format_arn(
        service="sns", resource=resource_name(stage, "alarms"), arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
    )


def add_operations(stacks: Sequence[cdk.Stack], operations: OperationsStack) -> list[StackAlarms]:
    """Alarms (wired to the stage's topic) and a dashboard in every stack, the operations stack included;
    every stack depends on the operations stack, so `cdk deploy <stack>` brings the topic up first."""
    references = dead_letter_references(stacks)
    added = []
    for stack in stacks:
        topic = (
            operations.topic
            if stack is operations
            else sns.Topic.from_topic_arn(stack, "AlarmTopic", alarm_topic_arn(stack, operations.stage))
        )
        if stack is not operations:
            stack.add_stack_dependency(operations, "its alarms notify the stage's alarm topic")
        alarms = StackAlarms(stack, topic=topic, references=references)
        add_dashboard(alarms)
        added.append(alarms)
    return added
