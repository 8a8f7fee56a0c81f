"""Alarms for whatever a stack holds, found by walking its resources: no stack declares its own.

Each queue some resource dead-letters to (a queue's redrive, a function's async DLQ, a rule target's or a
Pipe's or a schedule's dead-letter config, an on-failure destination) gets a depth alarm; each function an
error and a throttle alarm; each Pipe, rule, HTTP API and state machine its failure alarms; the handlers'
custom metrics (`catalog.CUSTOM_ALARMS`) theirs. All notify the stage's topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.operations import catalog
from infra.operations.catalog import AlarmKind

# Keys (any case: CDK structs resolve camelCase, raw JSON keeps CloudFormation's) whose value names a DLQ.
_DEAD_LETTER_KEYS = {
    "deadlettertargetarn": None,  # SQS RedrivePolicy
    "deadletterconfig": ("targetarn", "arn"),  # Lambda, rule targets, Pipes, schedules
    "onfailure": ("destination",),  # event source mappings, async invocation configs
}
_REFERENCING = {
    "AWS::SQS::Queue": ("redrive_policy",),
    "AWS::Lambda::Function": ("dead_letter_config",),
    "AWS::Events::Rule": ("targets",),
    "AWS::Pipes::Pipe": ("source_parameters",),
    "AWS::Lambda::EventSourceMapping": ("destination_config",),
    "AWS::Lambda::EventInvokeConfig": ("destination_config",),
    "AWS::Scheduler::Schedule": ("target",),
}
_ALARM_NAME_LIMIT = 255
DEAD_LETTER_METADATA = "svideo:dead-letter-queue-of"


@dataclass
class DeadLetterReferences:
    """Where DLQs are named: by logical id inside a stack, or by literal queue name (imported by name)."""

    local: dict[str, set[str]] = field(default_factory=dict)  # stack path → logical ids
    names: set[str] = field(default_factory=set)

    def add(self, stack: cdk.Stack, value: Any) -> None:
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            self.local.setdefault(stack.node.path, set()).add(str(value["Fn::GetAtt"][0]))
        elif isinstance(value, dict) and "Fn::Join" in value:
            last = value["Fn::Join"][1][-1] if value["Fn::Join"][1] else None
            if isinstance(last, str) and ":" in last:
                self.names.add(last.rsplit(":", 1)[-1])
        elif isinstance(value, str) and value.startswith("arn:") and ":sqs:" in value:
            self.names.add(value.rsplit(":", 1)[-1])


def resources(stack: cdk.Stack) -> Iterator[cdk.CfnResource]:
    for node in stack.node.find_all():
        if isinstance(node, cdk.CfnResource) and cdk.Stack.of(node) is stack:
            yield node


def dead_letter_references(stacks: Iterable[cdk.Stack]) -> DeadLetterReferences:
    found = DeadLetterReferences()
    for stack in stacks:
        for resource in resources(stack):
            for attribute in _REFERENCING.get(resource.cfn_resource_type, ()):
                # Keyed by the property's own name: a function's `DeadLetterConfig` is the property itself.
                value_of = {attribute.replace("_", ""): stack.resolve(getattr(resource, attribute, None))}
                for value in _dead_letter_values(value_of):
                    found.add(stack, value)
    return found


def _dead_letter_values(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _dead_letter_values(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            inner = _DEAD_LETTER_KEYS.get(key.lower(), ...)
            if inner is None:
                yield value
            elif inner is not ... and isinstance(value, dict):
                yield from (item for name, item in value.items() if name.lower() in inner)
            else:
                yield from _dead_letter_values(value)


def mark_dead_letter_queue(queue: sqs.IQueue, of: str) -> None:
    """Declares a queue a DLQ even when no resource of the app names it yet (the bus's shared DLQ)."""
    resource = queue.node.default_child
    assert isinstance(resource, cdk.CfnResource), "mark the queue created in this app"
    resource.add_metadata(DEAD_LETTER_METADATA, of)


def is_dead_letter_queue(queue: cdk.CfnResource, references: DeadLetterReferences) -> bool:
    stack = cdk.Stack.of(queue)
    if queue.get_metadata(DEAD_LETTER_METADATA):
        return True
    if stack.get_logical_id(queue) in references.local.get(stack.node.path, set()):
        return True
    name = stack.resolve(getattr(queue, "queue_name", None))
    return isinstance(name, str) and name in references.names


class StackAlarms(Construct):
    """The alarms of one stack (construct `Operations` in it); `.alarms` in creation order."""

    def __init__(self, stack: cdk.Stack, *, topic: sns.ITopic, references: DeadLetterReferences) -> None:
        super().__init__(stack, "Operations")
        self.stack = stack
        self.action = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self.widgets: dict[str, list[cloudwatch.IMetric]] = {}
        customs_done: set[str] = set()
        for resource in list(resources(stack)):
            kind = resource.cfn_resource_type
            logical_id = stack.get_logical_id(resource)
            if kind == "AWS::SQS::Queue" and is_dead_letter_queue(resource, references):
                self._queue(resource, logical_id)
            elif kind == "AWS::Lambda::Function":
                self._function(resource, logical_id, customs_done)
            elif kind == "AWS::Pipes::Pipe":
                self._pipe(resource, logical_id)
            elif kind == "AWS::Events::Rule":
                self._rule(resource, logical_id)
            elif kind == "AWS::ApiGatewayV2::Stage":
                self._http_api_stage(resource, logical_id)
            elif kind == "AWS::StepFunctions::StateMachine":
                self._state_machine(resource, logical_id)

    # -- one method per resource type ----------------------------------------------------------------------
    def _queue(self, queue: cdk.CfnResource, logical_id: str) -> None:
        depth = _metric(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            catalog.DLQ_DEPTH,
            QueueName=queue.get_att("QueueName").to_string(),
        )
        self._alarm(catalog.DLQ_DEPTH, logical_id, depth, f"dead-letter queue {logical_id}")
        self.widgets.setdefault("Dead-letter queue depth", []).append(depth)

    def _function(self, function: cdk.CfnResource, logical_id: str, customs_done: set[str]) -> None:
        name = function.ref
        errors = _metric("AWS/Lambda", "Errors", catalog.FUNCTION_ERRORS, FunctionName=name)
        throttles = _metric("AWS/Lambda", "Throttles", catalog.FUNCTION_THROTTLES, FunctionName=name)
        self._alarm(catalog.FUNCTION_ERRORS, logical_id, errors, f"function {logical_id}")
        self._alarm(catalog.FUNCTION_THROTTLES, logical_id, throttles, f"function {logical_id}")
        invocations = _metric("AWS/Lambda", "Invocations", catalog.FUNCTION_ERRORS, FunctionName=name)
        duration = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Duration",
            dimensions_map={"FunctionName": name},
            statistic="p99",
            period=cdk.Duration.minutes(5),
        )
        self.widgets.setdefault("Function invocations", []).append(invocations)
        self.widgets.setdefault("Function errors and throttles", []).extend([errors, throttles])
        self.widgets.setdefault("Function duration p99 (ms)", []).append(duration)
        handler = self.stack.resolve(getattr(function, "handler", None))
        for custom in catalog.CUSTOM_ALARMS:
            if handler == custom.handler and custom.metric not in customs_done:
                customs_done.add(custom.metric)
                metric = _metric(custom.namespace, custom.metric, custom.kind, service=custom.service)
                self._alarm(custom.kind, custom.metric, metric, f"{custom.service} metric {custom.metric}")
                self.widgets.setdefault("Service metrics", []).append(metric)

    def _pipe(self, pipe: cdk.CfnResource, logical_id: str) -> None:
        failed = _metric("AWS/EventBridge/Pipes", "ExecutionFailed", catalog.PIPE_FAILURES, PipeName=pipe.ref)
        self._alarm(catalog.PIPE_FAILURES, logical_id, failed, f"pipe {logical_id}")
        self.widgets.setdefault("Pipe failures", []).append(failed)

    def _rule(self, rule: cdk.CfnResource, logical_id: str) -> None:
        if not self.stack.resolve(getattr(rule, "targets", None)):
            return
        dimensions = {"RuleName": self._rule_name(rule)}
        bus = self.stack.resolve(getattr(rule, "event_bus_name", None))
        if bus is not None and bus != "default":
            dimensions["EventBusName"] = _property(rule, "event_bus_name")
        failed = _metric("AWS/Events", "FailedInvocations", catalog.RULE_TARGET_FAILURES, **dimensions)
        self._alarm(catalog.RULE_TARGET_FAILURES, logical_id, failed, f"rule {logical_id}")
        self.widgets.setdefault("Rule target failures", []).append(failed)

    def _rule_name(self, rule: cdk.CfnResource) -> str:
        name = self.stack.resolve(getattr(rule, "name", None))
        if isinstance(name, str):
            return name
        # Ref of a rule on a custom bus is `<bus>|<rule>`.
        return (
            cdk.Fn.select(1, cdk.Fn.split("|", rule.ref))
            if getattr(rule, "event_bus_name", None)
            else rule.ref
        )

    def _http_api_stage(self, stage: cdk.CfnResource, logical_id: str) -> None:
        api = _http_api(self.stack, self.stack.resolve(getattr(stage, "api_id", None)))
        if api is None:
            return
        dimensions = {"ApiId": _property(stage, "api_id"), "Stage": _property(stage, "stage_name")}
        errors = _metric("AWS/ApiGateway", "5xx", catalog.API_5XX, **dimensions)
        latency = _metric("AWS/ApiGateway", "Latency", catalog.API_LATENCY, **dimensions)
        self._alarm(catalog.API_5XX, logical_id, errors, f"HTTP API stage {logical_id}")
        self._alarm(catalog.API_LATENCY, logical_id, latency, f"HTTP API stage {logical_id}")
        self.widgets.setdefault("API 5xx rate", []).append(errors)
        self.widgets.setdefault("API latency p99 (ms)", []).append(latency)

    def _state_machine(self, machine: cdk.CfnResource, logical_id: str) -> None:
        for metric_name in ("ExecutionsFailed", "ExecutionsTimedOut"):
            metric = _metric(
                "AWS/States", metric_name, catalog.STATE_MACHINE_FAILURES, StateMachineArn=machine.ref
            )
            self._alarm(
                catalog.STATE_MACHINE_FAILURES,
                f"{logical_id}{metric_name}",
                metric,
                f"state machine {logical_id}",
            )
            self.widgets.setdefault("State machine failures", []).append(metric)

    # -- the alarm -----------------------------------------------------------------------------------------
    def _alarm(self, kind: AlarmKind, subject_id: str, metric: cloudwatch.IMetric, subject: str) -> None:
        name = alarm_name(self.stack.stack_name, kind.anchor, subject_id)
        alarm = cloudwatch.Alarm(
            self,
            f"{_pascal(kind.anchor)}{subject_id}",
            alarm_name=name,
            alarm_description=f"{kind.summary}: {subject}. Runbook: {kind.runbook}",
            metric=metric,
            threshold=kind.threshold,
            evaluation_periods=kind.evaluation_periods,
            datapoints_to_alarm=kind.datapoints_to_alarm,
            comparison_operator=cloudwatch.ComparisonOperator(_COMPARISON[kind.comparison]),
            treat_missing_data=cloudwatch.TreatMissingData(_MISSING[kind.missing]),
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms.append(alarm)


_COMPARISON = {
    "GreaterThanThreshold": "GREATER_THAN_THRESHOLD",
    "GreaterThanOrEqualToThreshold": "GREATER_THAN_OR_EQUAL_TO_THRESHOLD",
}
_MISSING = {
    "missing": "MISSING",
    "notBreaching": "NOT_BREACHING",
    "breaching": "BREACHING",
    "ignore": "IGNORE",
}


def _metric(namespace: str, name: str, kind: AlarmKind, **dimensions: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map=dimensions,
        statistic=kind.statistic,
        period=cdk.Duration.seconds(kind.period_s),
    )


def _property(resource: cdk.CfnResource, name: str) -> str:
    """An L1 property by its Python name (the value or its token), whatever the resource's class."""
    value: Any = getattr(resource, name, None)
    return str(value)


def _http_api(stack: cdk.Stack, api_ref: Any) -> cdk.CfnResource | None:
    """The HTTP API (not WebSocket) a stage belongs to, when it is in this stack."""
    for resource in resources(stack):
        if resource.cfn_resource_type == "AWS::ApiGatewayV2::Api" and stack.resolve(resource.ref) == api_ref:
            return resource if getattr(resource, "protocol_type", None) == "HTTP" else None
    return None


def alarm_name(stack_name: str, anchor: str, subject_id: str) -> str:
    """`<stack>-<kind>-<resource>`: unique per stage because the stack name carries the stage."""
    return f"{stack_name}-{anchor}-{subject_id}"[:_ALARM_NAME_LIMIT]


def _pascal(anchor: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]+", anchor))
