"""The seams between the local cloud's parts: each part implements one of these, the others call it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from werkzeug.wrappers import Response

from local.aws import AwsRequest


class LocalService(Protocol):
    """An AWS API the gateway answers itself instead of moto (moto lacks it or gets it wrong)."""

    signing_names: tuple[str, ...]

    def handle(self, request: AwsRequest) -> Response | None:
        """The response, or None to let moto answer (for operations this service does not take over)."""

    def start(self) -> None:
        """Start background work (pollers, timers); called once the gateway is serving."""

    def stop(self) -> None:
        """Stop background work and child processes; must return promptly."""


@dataclass(frozen=True)
class InvokeResult:
    """What `lambda:Invoke` returns: FunctionError is "Unhandled" when the handler raised, timed out, died."""

    status_code: int
    payload: bytes
    function_error: str | None = None
    log_tail: str = ""
    executed_version: str = "$LATEST"


class LambdaInvoker(Protocol):
    def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        invocation_type: Literal["RequestResponse", "Event", "DryRun"] = "RequestResponse",
        qualifier: str | None = None,
    ) -> InvokeResult:
        """`function` is a name, a partial or a full ARN. "Event" queues the call (async retries, on-failure
        destinations) and returns 202 at once."""


class TaskRunner(Protocol):
    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """ECS RunTask semantics: `request` and the result are the API's JSON shapes (tasks, failures)."""


class TargetDelivery(Protocol):
    def deliver(self, target: dict[str, Any], payload: str, *, source_arn: str | None = None) -> None:
        """Deliver one rendered payload to an EventBridge-style target (`Arn`, `RoleArn`, `EcsParameters`,
        `HttpParameters`, `SqsParameters`, ...). Raises `DeliveryError` with `retryable` set as AWS would."""


class EventPutter(Protocol):
    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """PutEvents semantics in-process: the API's request entries in, its response shape out."""


class MetricSink(Protocol):
    def lambda_invoked(
        self, function_name: str, *, duration_ms: float | None, error: bool, throttled: bool
    ) -> None:
        """One invocation's AWS/Lambda metrics (Invocations, Errors, Throttles, Duration)."""


class DeliveryError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
