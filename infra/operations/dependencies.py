"""Stack dependencies from what each stack reads: the SSM parameters its template parameters resolve, the bus
its rules sit on and the dead-letter queues it names. `cdk deploy --all` then orders stacks by what they read,
not by list order; each still deploys alone (`cdk deploy -e <stack>`) once what it reads exists."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk

from infra.operations.alarms import dead_letter_references, resources

SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"


def _parameters_read(stack: cdk.Stack) -> set[str]:
    return {
        str(node.default)
        for node in stack.node.find_all()
        if isinstance(node, cdk.CfnParameter)
        and str(node.type).startswith(SSM_PARAMETER_TYPE)
        and isinstance(node.default, str)
    }


def _named(stack: cdk.Stack) -> dict[str, set[str]]:
    """Literal names this stack creates: SSM parameters, buses, queues."""
    names: dict[str, set[str]] = {"parameter": set(), "bus": set(), "queue": set()}
    for resource in resources(stack):
        attribute = {
            "AWS::SSM::Parameter": ("parameter", "name"),
            "AWS::Events::EventBus": ("bus", "name"),
            "AWS::SQS::Queue": ("queue", "queue_name"),
        }.get(resource.cfn_resource_type)
        if attribute is not None:
            value = stack.resolve(getattr(resource, attribute[1], None))
            if isinstance(value, str):
                names[attribute[0]].add(value)
    return names


def _buses_used(stack: cdk.Stack, known: set[str]) -> set[str]:
    """Buses its rules sit on, and buses its policies name (`event-bus/<name>`: it publishes there)."""
    used = {
        value
        for resource in resources(stack)
        if resource.cfn_resource_type == "AWS::Events::Rule"
        and isinstance(value := stack.resolve(getattr(resource, "event_bus_name", None)), str)
    }
    policies = json.dumps(
        [
            stack.resolve(getattr(resource, attribute, None))
            for resource in resources(stack)
            for attribute in ("policy_document", "policies")
            if resource.cfn_resource_type in ("AWS::IAM::Policy", "AWS::IAM::Role")
        ]
    )
    return used | {name for name in known if f"event-bus/{name}" in policies}


def declare_parameter_dependencies(stacks: Sequence[cdk.Stack]) -> dict[str, set[str]]:
    """`add_stack_dependency(producer)` for every producer a stack reads from; returns name → producers."""
    produced = {stack.node.path: _named(stack) for stack in stacks}
    by_path = {stack.node.path: stack for stack in stacks}
    declared: dict[str, set[str]] = {}
    for stack in stacks:
        references = dead_letter_references([stack])
        wants = {
            "parameter": _parameters_read(stack),
            "bus": _buses_used(stack, {bus for names in produced.values() for bus in names["bus"]}),
            "queue": references.names,
        }
        for path, names in produced.items():
            if path == stack.node.path:
                continue
            if any(wants[kind] & names[kind] for kind in wants):
                stack.add_stack_dependency(
                    by_path[path], "reads what it publishes (SSM parameters, bus, DLQ)"
                )
                declared.setdefault(stack.node.path, set()).add(path)
    return declared
