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
