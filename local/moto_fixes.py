"""Corrections to moto that the local cloud relies on; each restores a documented AWS rule."""

from __future__ import annotations

import base64
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
    _execution_logs()
    _dynamodb_item_reads()


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


def _execution_logs() -> None:
    """A state machine's `loggingConfiguration` sends its executions' history events, at its level, to its log
    group (stream `states/<state machine arn>`, as moto's interpreter names it). moto's backend started every
    execution without a logging session, and the interpreter's own session does not fit moto's Logs backend
    (string timestamps, event objects), so the events go through `local.logs`; `includeExecutionData` is
    optional (false) as in the API."""
    from moto.stepfunctions.parser.asl.eval.event.logging import CloudWatchLoggingConfiguration
    from moto.stepfunctions.parser.backend.execution import Execution

    execution_class: Any = Execution
    original = execution_class.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self._cloud_watch_logging_session is not None:
            return
        settings: Any = dict(getattr(self.state_machine, "loggingConfiguration", None) or {})
        settings.setdefault("includeExecutionData", False)
        configuration = CloudWatchLoggingConfiguration.from_logging_configuration(
            state_machine_arn=self.state_machine.arn, logging_configuration=settings
        )
        if configuration is not None:
            self._cloud_watch_logging_session = _ExecutionLog(self.exec_arn, configuration)

    execution_class.__init__ = __init__


class _ExecutionLog:
    """What the interpreter's event manager calls on a logging session, writing with `local.logs`."""

    def __init__(self, execution_arn: str, configuration: Any) -> None:
        self.execution_arn = execution_arn
        self.configuration = configuration

    def log_level_filter(self, history_event_type: Any) -> bool:
        from moto.stepfunctions.parser.asl.eval.event.logging import is_logging_enabled_for

        return bool(is_logging_enabled_for(self.configuration.log_level, history_event_type))

    def publish_history_log(self, history_log: dict[str, Any]) -> None:
        import json
        from datetime import datetime

        from local import logs

        stamp = history_log.get("event_timestamp")
        moment = datetime.fromisoformat(str(stamp)) if stamp else datetime.now()
        logs.put_line(
            self.configuration.log_region,
            self.configuration.log_group_name,
            self.configuration.log_stream_name,
            json.dumps(history_log, default=str),
            int(moment.timestamp() * 1000),
        )
# The DynamoDB operations that return items: their results are already in the wire's AttributeValue shape.
DYNAMODB_ITEM_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})


def dynamodb_wire(value: Any) -> Any:
    """A DynamoDB result as the JSON protocol sends it: binary base64-encoded, absent members left out."""
    if isinstance(value, dict):
        return {key: dynamodb_wire(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [dynamodb_wire(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _dynamodb_item_reads() -> None:
    """moto serializes every response by walking botocore's model member by member: for a page of 20 items
    of ~2 KB that took ~150 ms of the gateway's single interpreter, about 50 times what DynamoDB takes, so
    one Query cost more than the whole request it served. An item read's result is already in the shape the
    JSON protocol sends, so it is sent as is (binary base64, as the model serializer encodes it); the model
    serializer keeps every other operation and every error."""
    from moto.core.serialize import BaseJSONSerializer

    serializer_class: Any = BaseJSONSerializer
    original = serializer_class._serialize_result

    def serialize_result(self: Any, resp: Any, result: Any) -> Any:
        model = self.operation_model
        if model.service_model.service_name != "dynamodb" or model.name not in DYNAMODB_ITEM_READS:
            return original(self, resp, result)
        return self._serialized_result_to_response(resp, result, model.output_shape, dynamodb_wire(result))

    serializer_class._serialize_result = serialize_result
