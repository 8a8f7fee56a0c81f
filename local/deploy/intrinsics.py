"""CloudFormation intrinsic functions and resource ordering, resolved the way CloudFormation does."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
)
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class DeployError(Exception):
    """A stack could not be deployed: the message names the stack, the resource and the cause."""


class _NoValue:
    """`Ref: AWS::NoValue`: the property or list item disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class ResolvedResource:
    """What other resources can see of a created one: its Ref value and its GetAtt attributes."""

    ref: Any
    attributes: Mapping[str, Any]


@dataclass
class Intrinsics:
    """Resolves one template's intrinsics against what has been created so far."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, ResolvedResource] = field(default_factory=dict)
    exports: Mapping[str, Any] = field(default_factory=dict)
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def pseudo(self, name: str) -> Any:
        stack_id = f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/1"
        values = {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        return values[name]

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise DeployError(f"unknown condition {name!r}")
            self._condition_values[name] = bool(self.resolve(self.conditions[name]))
        return self._condition_values[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise DeployError(f"Ref to {name!r}, which is neither a parameter nor a created resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise DeployError(f"Fn::GetAtt on {logical_id!r}, which has not been created")
        try:
            return resource.attributes[attribute]
        except KeyError:
            raise DeployError(
                f"Fn::GetAtt {logical_id}.{attribute}: the local cloud does not know this "
                f"attribute (it knows {sorted(resource.attributes)})"
            ) from None

    def sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            template, variables = argument[0], self.resolve(argument[1])
        else:
            template, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return _text(variables[expression])
            if "." in expression and expression.split(".", 1)[0] not in self.parameters:
                logical_id, attribute = expression.split(".", 1)
                return _text(self.get_att(logical_id, attribute))
            return _text(self.ref(expression))

        return _SUB_VARIABLE.sub(replace, template)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def _split_get_att(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        logical_id, attribute = argument.split(".", 1)
        return logical_id, attribute
    return argument[0], argument[1]


def _get_att(ctx: Intrinsics, argument: Any) -> Any:
    logical_id, attribute = _split_get_att(argument)
    return ctx.get_att(logical_id, ctx.resolve(attribute))


def _join(ctx: Intrinsics, argument: Any) -> str:
    delimiter, items = argument[0], ctx.resolve(argument[1])
    return delimiter.join(_text(item) for item in items)


def _select(ctx: Intrinsics, argument: Any) -> Any:
    index, items = int(ctx.resolve(argument[0])), ctx.resolve(argument[1])
    try:
        return items[index]
    except (IndexError, TypeError, KeyError):
        raise DeployError(f"Fn::Select index {index} out of range for {items!r}") from None


def _split(ctx: Intrinsics, argument: Any) -> list[str]:
    delimiter, text = argument[0], ctx.resolve(argument[1])
    return str(text).split(delimiter)


def _if(ctx: Intrinsics, argument: Any) -> Any:
    name, when_true, when_false = argument
    return ctx.resolve(when_true if ctx.condition(name) else when_false)


def _equals(ctx: Intrinsics, argument: Any) -> bool:
    left, right = (ctx.resolve(item) for item in argument)
    return bool(_text(left) == _text(right))


def _import_value(ctx: Intrinsics, argument: Any) -> Any:
    name = ctx.resolve(argument)
    if name not in ctx.exports:
        raise DeployError(f"Fn::ImportValue: no stack exports {name!r} (deploy the exporting stack first)")
    return ctx.exports[name]


def _find_in_map(ctx: Intrinsics, argument: Any) -> Any:
    map_name, top, second = (ctx.resolve(item) for item in argument[:3])
    try:
        return ctx.mappings[map_name][top][second]
    except KeyError:
        raise DeployError(f"Fn::FindInMap {map_name}/{top}/{second} not found") from None


def _get_azs(ctx: Intrinsics, argument: Any) -> list[str]:
    region = ctx.resolve(argument) or ctx.region
    return [f"{region}{zone}" for zone in "abc"]


_FUNCTIONS: dict[str, Callable[[Intrinsics, Any], Any]] = {
    "Ref": lambda ctx, argument: ctx.ref(argument),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": lambda ctx, argument: ctx.sub(argument),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": lambda ctx, argument: all(bool(ctx.resolve(item)) for item in argument),
    "Fn::Or": lambda ctx, argument: any(bool(ctx.resolve(item)) for item in argument),
    "Fn::Not": lambda ctx, argument: not bool(ctx.resolve(argument[0])),
    "Condition": lambda ctx, argument: ctx.condition(argument),
    "Fn::ImportValue": _import_value,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": lambda ctx, argument: base64.b64encode(_text(ctx.resolve(argument)).encode()).decode(),
    "Fn::ToJsonString": lambda ctx, argument: json.dumps(ctx.resolve(argument), separators=(",", ":")),
    "Fn::Length": lambda ctx, argument: len(ctx.resolve(argument)),
}


def references(value: Any) -> set[str]:
    """Every name a value refers to through Ref, Fn::GetAtt or Fn::Sub (parameters and pseudo ones too)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(_split_get_att(item)[0])
            elif key == "Fn::Sub":
                template = item[0] if isinstance(item, list) else item
                local_names = set(item[1]) if isinstance(item, list) and isinstance(item[1], dict) else set()
                for expression in _SUB_VARIABLE.findall(template):
                    name = expression.split(".", 1)[0]
                    if not expression.startswith("!") and name not in local_names:
                        found.add(name)
                if isinstance(item, list):
                    found |= references(item[1])
            else:
                found |= references(item)
    return found


def creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids, each after what it references or DependsOn (template order kept otherwise)."""
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        explicit = resource.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else list(explicit)
        needed = (references(resource.get("Properties", {})) | set(explicit)) & set(resources)
        depends[logical_id] = needed - {logical_id}
    for logical_id, needed in depends.items():
        unknown = {name for name in needed if name not in resources}
        if unknown:
            raise DeployError(f"{logical_id} depends on unknown resources {sorted(unknown)}")
    order: list[str] = []
    done: set[str] = set()
    remaining = list(resources)
    while remaining:
        ready = [logical_id for logical_id in remaining if depends[logical_id] <= done]
        if not ready:
            raise DeployError(f"circular dependency between resources {sorted(remaining)}")
        for logical_id in ready:
            order.append(logical_id)
            done.add(logical_id)
        remaining = [logical_id for logical_id in remaining if logical_id not in done]
    return order
