"""IAM policy documents compiled once and evaluated per request, following AWS's policy evaluation logic.

Pure: no boto3, no moto. A `Policy` is a compiled document (identity or resource policy); `evaluate`
combines the policies that apply to one request the way AWS does within one account: an explicit Deny in
any policy wins, else an Allow in an identity policy or in a resource policy that names the principal.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

Effect = Literal["Allow", "Deny"]
ContextValue = str | bool | int | float | Sequence[str]
Context = Mapping[str, ContextValue]

_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}  # ${*} ${?} ${$}: a literal character, not a wildcard


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters (`/` and `:` included), `?` exactly one."""
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _context_get(context: Context, key: str) -> ContextValue | None:
    """Condition keys are case-insensitive (their values are not)."""
    if key in context:
        return context[key]
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def _substitute(value: str, context: Context) -> str | None:
    """Policy variables (`${aws:SourceArn}`); None when a variable has no value, so the element does not
    match, as AWS treats it."""
    if "${" not in value:
        return value
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in _ESCAPES:
            return _ESCAPES[name]
        name, _, default = name.partition(", ")
        found = _context_get(context, name)
        if found is None or isinstance(found, list | tuple):
            if default:
                return default.strip("'")
            missing = True
            return ""
        return str(found).lower() if isinstance(found, bool) else str(found)

    rendered = _VARIABLE.sub(replace, value)
    return None if missing else rendered


# ------------------------------------------------------------------------------------- condition operators


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts is matched on its own, wildcards within a part."""
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return False
    return all(glob_match(w, a) for w, a in zip(wanted, actual, strict=True))


def _ip_in(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


def _compare(parse: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        left, right = parse(actual), parse(expected)
        return left is not None and right is not None and test(left, right)

    return match


# operator -> (match(policy value, context value), negated, substitutes policy variables)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool, bool]] = {
    "StringEquals": (lambda e, a: e == a, False, True),
    "StringNotEquals": (lambda e, a: e == a, True, True),
    "StringEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), False, True),
    "StringNotEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), True, True),
    "StringLike": (lambda e, a: glob_match(e, a), False, True),
    "StringNotLike": (lambda e, a: glob_match(e, a), True, True),
    "NumericEquals": (_compare(_number, lambda a, e: a == e), False, False),
    "NumericNotEquals": (_compare(_number, lambda a, e: a == e), True, False),
    "NumericLessThan": (_compare(_number, lambda a, e: a < e), False, False),
    "NumericLessThanEquals": (_compare(_number, lambda a, e: a <= e), False, False),
    "NumericGreaterThan": (_compare(_number, lambda a, e: a > e), False, False),
    "NumericGreaterThanEquals": (_compare(_number, lambda a, e: a >= e), False, False),
    "DateEquals": (_compare(_date, lambda a, e: a == e), False, False),
    "DateNotEquals": (_compare(_date, lambda a, e: a == e), True, False),
    "DateLessThan": (_compare(_date, lambda a, e: a < e), False, False),
    "DateLessThanEquals": (_compare(_date, lambda a, e: a <= e), False, False),
    "DateGreaterThan": (_compare(_date, lambda a, e: a > e), False, False),
    "DateGreaterThanEquals": (_compare(_date, lambda a, e: a >= e), False, False),
    "Bool": (lambda e, a: e.lower() == a.lower(), False, False),
    "BinaryEquals": (lambda e, a: e == a, False, False),
    "IpAddress": (_ip_in, False, False),
    "NotIpAddress": (_ip_in, True, False),
    "ArnEquals": (lambda e, a: e == a, False, True),
    "ArnNotEquals": (lambda e, a: e == a, True, True),
    "ArnLike": (_arn_like, False, True),
    "ArnNotLike": (_arn_like, True, True),
}


class PolicyError(ValueError):
    """A document the local cloud cannot evaluate (AWS would have rejected it as MalformedPolicyDocument)."""


@dataclass(frozen=True)
class _Condition:
    operator: str
    key: str
    values: tuple[str, ...]
    qualifier: str  # "", "ForAllValues", "ForAnyValue"
    if_exists: bool

    def holds(self, context: Context) -> bool:
        actual = _context_get(context, self.key)
        if self.operator == "Null":  # "true": the key is absent; "false": it is present
            absent = actual is None or (isinstance(actual, list | tuple) and not actual)
            return any((value.lower() == "true") == absent for value in self.values)
        match, negated, substitutes = _OPERATORS[self.operator]
        if actual is None or (isinstance(actual, list | tuple) and not actual):
            if self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.if_exists or negated
        expected: Sequence[str] = self.values
        if substitutes and any("${" in value for value in self.values):
            expected = [
                rendered for value in self.values if (rendered := _substitute(value, context)) is not None
            ]
        items = (
            [_as_text(item) for item in actual] if isinstance(actual, list | tuple) else [_as_text(actual)]
        )

        def positive(item: str) -> bool:
            return any(match(value, item) for value in expected)

        if self.qualifier == "ForAllValues":
            return all(positive(item) != negated for item in items)
        if self.qualifier == "ForAnyValue":
            return any(positive(item) != negated for item in items)
        if negated:
            return not any(positive(item) for item in items)
        return any(positive(item) for item in items)


def _compile_conditions(block: Any) -> tuple[_Condition, ...]:
    if not block:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object")
    compiled = []
    for raw_operator, entries in block.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        if qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise PolicyError(f"unknown condition qualifier {qualifier!r}")
        if_exists = operator.endswith("IfExists") and operator != "Null"
        base = operator[: -len("IfExists")] if if_exists else operator
        if base != "Null" and base not in _OPERATORS:
            raise PolicyError(f"unknown condition operator {raw_operator!r}")
        if not isinstance(entries, dict):
            raise PolicyError(f"condition {raw_operator} must map keys to values")
        for key, values in entries.items():
            listed = values if isinstance(values, list) else [values]
            compiled.append(
                _Condition(base, str(key), tuple(_as_text(v) for v in listed), qualifier, if_exists)
            )
    return tuple(compiled)


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a role session (`arn`, `role_arn`), or an AWS service acting on its own
    behalf (`service`, e.g. `events.amazonaws.com`, for rule targets that have no role)."""

    arn: str
    account: str
    role_arn: str | None = None
    service: str | None = None


def _principal_matches(spec: Any, principal: Principal) -> bool:
    """A resource policy's Principal element against the caller."""
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    for kind, values in spec.items():
        for value in _listed(values):
            if kind == "Service" and principal.service and value == principal.service:
                return True
            if kind == "AWS" and principal.service is None:
                if value == "*" or value in (principal.arn, principal.role_arn):
                    return True
                if value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                    return True
    return False


def _names_account_only(spec: Any, principal: Principal) -> bool:
    """`Principal: {AWS: <account>}` in a resource policy delegates to the account's identity policies:
    it grants nothing by itself to a role of that account."""
    if not isinstance(spec, dict) or principal.service is not None:
        return False
    values = [value for kind, raw in spec.items() if kind == "AWS" for value in _listed(raw)]
    direct = {"*", principal.arn, principal.role_arn}
    return bool(values) and not any(value in direct for value in values)


@dataclass(frozen=True)
class Statement:
    effect: Effect
    sid: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditions: tuple[_Condition, ...]
    principal: Any = None
    not_principal: Any = None

    def covers_action(self, action: str) -> bool:
        if self.not_actions:
            return not any(glob_match(p, action, ignore_case=True) for p in self.not_actions)
        return any(glob_match(p, action, ignore_case=True) for p in self.actions)

    def covers_resource(self, resource: str | None, context: Context) -> bool:
        """`resource` None: the local cloud does not know the ARN of this request; any Resource matches."""
        if resource is None:
            return True
        patterns = self.not_resources or self.resources
        matched = False
        for pattern in patterns:
            rendered = _substitute(pattern, context)
            if rendered is not None and glob_match(rendered, resource):
                matched = True
                break
        return not matched if self.not_resources else matched

    def covers_principal(self, principal: Principal) -> bool:
        if self.not_principal is not None:
            return not _principal_matches(self.not_principal, principal)
        if self.principal is None:  # identity policy: the principal is whoever the policy is attached to
            return True
        return _principal_matches(self.principal, principal)

    def applies(self, principal: Principal, action: str, resource: str | None, context: Context) -> bool:
        return (
            self.covers_action(action)
            and self.covers_principal(principal)
            and self.covers_resource(resource, context)
            and all(condition.holds(context) for condition in self.conditions)
        )


def _compile_statement(raw: Any, resource_policy: bool) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError("a Statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("a statement has exactly one of Action and NotAction")
    has_resource = "Resource" in raw or "NotResource" in raw
    if not has_resource and not resource_policy:
        raise PolicyError("an identity policy statement needs Resource or NotResource")
    return Statement(
        effect=effect,
        sid=str(raw.get("Sid", "")),
        actions=_listed(raw.get("Action")),
        not_actions=_listed(raw.get("NotAction")),
        resources=_listed(raw.get("Resource")) if has_resource else ("*",),
        not_resources=_listed(raw.get("NotResource")),
        conditions=_compile_conditions(raw.get("Condition")),
        principal=raw.get("Principal"),
        not_principal=raw.get("NotPrincipal"),
    )


@dataclass(frozen=True)
class Policy:
    """One compiled document; `name` says where it came from (shown when a request is denied)."""

    name: str
    statements: tuple[Statement, ...]
    resource_policy: bool = False

    @classmethod
    def parse(cls, name: str, document: str | Mapping[str, Any], *, resource_policy: bool = False) -> Policy:
        return _parse(name, document if isinstance(document, str) else json.dumps(document), resource_policy)


@lru_cache(maxsize=2048)
def _parse(name: str, document: str, resource_policy: bool) -> Policy:
    try:
        raw = json.loads(document)
    except ValueError as exc:
        raise PolicyError(f"policy {name} is not JSON: {exc}") from exc
    statements = raw.get("Statement") if isinstance(raw, dict) else None
    if statements is None:
        raise PolicyError(f"policy {name} has no Statement")
    listed = statements if isinstance(statements, list) else [statements]
    return Policy(name, tuple(_compile_statement(s, resource_policy) for s in listed), resource_policy)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Literal["allowed", "explicit_deny", "implicit_deny"]
    policy: str | None = None  # the denying policy (explicit), or the allowing one
    statement: str | None = None
    resource_policy: bool = False
    matched: list[str] = field(default_factory=list)


def evaluate(
    principal: Principal,
    action: str,
    resource: str | None,
    context: Context,
    identity: Iterable[Policy],
    resource_policies: Iterable[Policy] = (),
) -> Decision:
    """Same-account evaluation (AWS's flow chart for a role within one account, without SCPs, permission
    boundaries or session policies, which the app does not use)."""
    allow: Decision | None = None
    for policy in (*identity, *resource_policies):
        for statement in policy.statements:
            if not statement.applies(principal, action, resource, context):
                continue
            if statement.effect == "Deny":
                return Decision(False, "explicit_deny", policy.name, statement.sid, policy.resource_policy)
            if allow is None:
                if policy.resource_policy and _names_account_only(statement.principal, principal):
                    continue
                allow = Decision(True, "allowed", policy.name, statement.sid, policy.resource_policy)
    return allow or Decision(False, "implicit_deny")


def denial_message(principal: Principal, action: str, resource: str | None, decision: Decision) -> str:
    """AWS's message for an AccessDenied, with the reason it gives since 2024."""
    target = resource or "*"
    if decision.reason == "explicit_deny":
        where = "a resource-based policy" if decision.resource_policy else "an identity-based policy"
        why = f"with an explicit deny in {where}"
    elif principal.service is not None:
        why = f"because no resource-based policy allows the {action} action"
    else:
        why = f"because no identity-based policy allows the {action} action"
    return f"User: {principal.arn} is not authorized to perform: {action} on resource: {target} {why}"
