"""Corrections to moto that the local cloud relies on; each restores a documented AWS rule."""

from __future__ import annotations

import base64
import threading
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
    _backend_lookup()
    _dynamodb_table_order()
    _dynamodb_top_level_projection()
    _dynamodb_read_copies()
    _dynamodb_item_sizes()


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


def _backend_lookup() -> None:
    """moto's server finds a request's backend by listing its package directory and matching some 300 URL
    patterns, on every request and under one lock: a third of the cloud's time under a burst of API calls.
    The package does not change while the cloud runs and a host always maps to the same backend, so both
    answers are computed once (per dispatcher and host, bounded)."""
    from moto import backends
    from moto.moto_server import werkzeug_app

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    dispatcher: Any = werkzeug_app.DomainDispatcherApplication
    lookup = dispatcher.get_backend_for_host

    def get_backend_for_host(self: Any, host: str | None) -> Any:  # called under the dispatcher's lock
        known: dict[str | None, Any] = self.__dict__.setdefault("_backend_by_host", {})
        if host not in known:
            if len(known) >= 1024:
                known.clear()
            known[host] = lookup(self, host)
        return known[host]

    dispatcher.get_backend_for_host = get_backend_for_host


def _dynamodb_table_order() -> None:
    """moto answers every Query and Scan by sorting all of a table's items by primary key again, so a Query
    of one index partition costs the whole table's sort (a catalog of 20 videos holds ~240 items with their
    history). The order only changes when an item is put or deleted: it is kept per table until then (an
    update changes attributes in place, never the key)."""
    from moto.dynamodb.models.table import Table

    table_class: Any = Table
    original_all_items, original_put, original_delete = (
        table_class.all_items,
        table_class.put_item,
        table_class.delete_item,
    )

    def all_items(self: Any) -> Any:
        key = (id(self.items), self.__dict__.get("_revision", 0))
        cached = self.__dict__.get("_ordered")
        if cached is None or cached[0] != key:
            cached = (key, original_all_items(self))
            self._ordered = cached
        return list(cached[1])

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_put(self, *args, **kwargs)
        finally:
            self._revision = self.__dict__.get("_revision", 0) + 1

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_delete(self, *args, **kwargs)
        finally:
            self._revision = self.__dict__.get("_revision", 0) + 1

    table_class.all_items, table_class.put_item, table_class.delete_item = all_items, put_item, delete_item


def _dynamodb_top_level_projection() -> None:
    """moto projects an item by converting the whole item to plain JSON once per projected path, then back:
    `ProjectionExpression: "video_id, version"` cost more than returning the item whole. Paths of top-level
    attributes only (the common case) take the attributes as they are; nested paths keep moto's way."""
    from moto.dynamodb.models.dynamo_type import Item

    item_class: Any = Item
    original = item_class.project

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = [path[0] for path in projection_expressions if len(path) == 1 and "[" not in path[0]]
        if len(names) != len(projection_expressions):
            return original(self, projection_expressions)
        # The query's own copy: not the stored item.
        return _item_over(self, {name: self.attrs[name] for name in names if name in self.attrs})

    item_class.project = project


def _item_over(item: Any, attrs: dict[str, Any]) -> Any:
    """A new moto Item with `item`'s keys over `attrs` (the same attribute values, not copies). Its size
    is not checked again: the attributes passed that check when they were written."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    item_class: Any = type(item)
    made = item_class.__new__(item_class)
    made.hash_key, made.range_key = item.hash_key, item.range_key
    made.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(made.attrs)
    dict.update(made.attrs, attrs)
    return made


_reading = threading.local()


def _dynamodb_read_copies() -> None:
    """A Query or Scan deep-copies every item it returns before projecting and serializing it, so that
    nothing it does can change the stored item; nothing it does changes an attribute value either (a
    projection and the serializer build new containers). Inside those two reads the copy is one level deep:
    a new item and attribute map over the same values. Every other copy (an update's old image, a backup)
    stays deep."""
    import copy

    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import Item

    item_class: Any = Item

    def shallow(item: Any) -> Any:
        return _item_over(item, item.attrs)

    class Copies:
        """`copy` as the table module sees it."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        def deepcopy(self, value: Any, memo: Any = None) -> Any:
            if getattr(_reading, "active", False):
                if isinstance(value, item_class):
                    return shallow(value)
                if isinstance(value, list) and all(isinstance(item, item_class) for item in value):
                    return [shallow(item) for item in value]
            return copy.deepcopy(value, memo)

    table_module.copy = Copies()  # type: ignore[assignment]
    table_class: Any = table_module.Table
    for name in ("query", "scan"):
        original = getattr(table_class, name)

        def read(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            _reading.active = True
            try:
                return _original(self, *args, **kwargs)
            finally:
                _reading.active = False

        setattr(table_class, name, read)


def _dynamodb_item_sizes() -> None:
    """moto works out the size of every item a Query or Scan looks at (for the 1 MB page limit) by walking
    all its attributes, on every read: most of a catalog Query's time. An item's size changes only when an
    update changes it in place (an update expression or AttributeUpdates, alone or in a transaction; a put
    stores a new item), so it is kept on the stored item and forgotten by those two."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

    item_class: Any = Item
    executor_class: Any = UpdateExpressionExecutor
    size, execute, attribute_updates = (
        item_class.size, executor_class.execute, item_class.update_with_attribute_updates
    )

    def cached_size(self: Any) -> int:
        known = self.__dict__.get("_size")
        if known is None:
            known = self._size = size(self)
        return int(known)

    def executed(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return execute(self, *args, **kwargs)
        finally:
            self.item.__dict__.pop("_size", None)

    def updated(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return attribute_updates(self, *args, **kwargs)
        finally:
            self.__dict__.pop("_size", None)

    item_class.size = cached_size
    executor_class.execute = executed
    item_class.update_with_attribute_updates = updated
