"""Corrections to moto that the local cloud relies on; each restores a documented AWS rule."""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Idempotent; called when the gateway is built, before any request reaches moto."""
    global _applied
    if _applied:
        return
    _applied = True
    _policy_conditions()


def conditions_met(condition: dict[str, dict[str, Any]]) -> bool | None:
    """Whether a policy statement's Condition holds for a request to the local endpoint, or None when the
    local cloud cannot tell. The endpoint stands in for AWS's TLS endpoints, so `aws:SecureTransport` is
    true."""
    for operator, entries in condition.items():
        for key, expected in entries.items():
            if (operator, key) != ("Bool", "aws:SecureTransport"):
                return None
            wanted = expected if isinstance(expected, list) else [expected]
            if "true" not in [str(value).lower() for value in wanted]:
                return False
    return True


def _policy_conditions() -> None:
    """moto skips condition operators it lacks (`Bool` among them), so the CDK's SSL-only bucket policy
    (Deny unless `aws:SecureTransport`) denied every request. In AWS a statement whose condition is not met
    does not apply: the local cloud evaluates what it can and lets the rest not apply (IAM is not enforced
    locally either; see docs/local-cloud.md)."""
    from moto.iam import access_control

    statement_class: Any = access_control.IAMPolicyStatement
    original = statement_class.is_action_permitted

    def is_action_permitted(self: Any, action: str, *args: Any, **kwargs: Any) -> Any:
        condition = self._statement.get("Condition")
        if condition and conditions_met(condition) is not True:
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, *args, **kwargs)

    statement_class.is_action_permitted = is_action_permitted
