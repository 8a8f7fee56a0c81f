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
    _execution_names()
    _task_failure_cause()


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


def _execution_names() -> None:
    """StartExecution's `name` is optional: AWS names an unnamed execution with a UUID. moto's interpreter
    backend used None, so a second unnamed execution of a state machine was refused as already existing."""
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    backend_class: Any = StepFunctionsParserBackend
    original = backend_class.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    backend_class.start_execution = start_execution


def _task_failure_cause() -> None:
    """SendTaskFailure carries an `error` and a `cause`; moto's API layer passed the error only, so the task's
    failure (and the execution's, and a Catch's `Cause`) lost the reason its worker gave."""
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    responses_class: Any = StepFunctionResponse
    responses_class.send_task_failure = send_task_failure
