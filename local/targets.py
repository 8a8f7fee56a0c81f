"""Delivery of rendered payloads to EventBridge-style targets, with AWS's retry policy and dead-letter queues.

`TargetDispatcher` makes one attempt at one target (the cloud's `TargetDelivery` seam, also used by Pipes).
`DeliveryQueue` runs the delivery loop for rules and schedules: bounded queue, worker threads, exponential
backoff with full jitter honouring `RetryPolicy` (AWS defaults: 185 retries, 24 hours), then the target's
`DeadLetterConfig` queue with the message attributes AWS sets. Locally every retry delay and the event-age
limit run on a compressed clock: `time_scale` (default 0.01) turns AWS's 24 hours into about 15 minutes and a
one-second backoff into 10 ms, so a failing target reaches its DLQ in seconds with a small retry policy.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError

from local.aws import AwsError
from local.contracts import DeliveryError
from local.iam import AccessDenied
from local.iam.requests import Check

log = logging.getLogger("svideo.local.targets")

DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400
RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 300.0

# botocore error codes that retrying cannot fix, and the DLQ ERROR_CODE AWS reports for them.
_PERMANENT_ERRORS = {
    "ResourceNotFoundException": "NO_RESOURCE",
    "AWS.SimpleQueueService.NonExistentQueue": "NO_RESOURCE",
    "QueueDoesNotExist": "NO_RESOURCE",
    "NotFound": "NO_RESOURCE",
    "NotFoundException": "NO_RESOURCE",
    "StateMachineDoesNotExist": "NO_RESOURCE",
    "ClusterNotFoundException": "NO_RESOURCE",
    "AccessDenied": "NO_PERMISSIONS",
    "AccessDeniedException": "NO_PERMISSIONS",
    "AuthorizationError": "NO_PERMISSIONS",
    "InvalidParameterValue": "INVALID_PARAMETER",
    "InvalidParameterException": "INVALID_PARAMETER",
    "ValidationException": "INVALID_PARAMETER",
    "InvalidExecutionInput": "INVALID_JSON",
    "InvalidRequestContentException": "INVALID_JSON",
    "InvalidMessageContents": "INVALID_PARAMETER",
    "ExecutionAlreadyExists": "RESOURCE_ALREADY_EXISTS",
}
_THROTTLING_ERRORS = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
}
# API destinations: AWS retries these HTTP statuses and no other 4xx.
_HTTP_RETRYABLE = {401, 407, 409, 429}


class EventPutter(Protocol):
    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]: ...

    def api_destination(self, arn: str) -> dict[str, Any] | None: ...


class TargetDispatcher:
    """One delivery attempt to a target, chosen by the service in its ARN; raises `DeliveryError`."""

    def __init__(self, cloud: Any, *, workers: int = 4, time_scale: float = 0.01) -> None:
        self._cloud = cloud
        self._events: EventPutter | None = None
        self._queue_urls: dict[str, str] = {}  # queue ARN -> URL, saving one call per SQS delivery
        self.deliveries = DeliveryQueue(cloud, self, workers=workers, time_scale=time_scale)
        self.log_deliveries: list[
            tuple[str, str]
        ] = []  # (log group ARN, payload): CloudWatch Logs is a no-op

    def attach_events(self, events: EventPutter) -> None:
        """The event bus service, for bus-to-bus targets, Scheduler's PutEvents and API destinations."""
        self._events = events

    def deliver(self, target: dict[str, Any], payload: str, *, source_arn: str | None = None) -> None:
        arn = str(target.get("Arn", ""))
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            raise DeliveryError("INVALID_PARAMETER", f"target ARN {arn!r} is not valid", retryable=False)
        service, resource = parts[2], parts[5]
        try:
            self._authorize(service, resource, arn, target, source_arn)
            if service == "lambda":
                self._lambda(arn, payload)
            elif service == "sqs":
                self._sqs(arn, target, payload)
            elif service == "sns":
                self._cloud.client("sns").publish(TopicArn=arn, Message=payload)
            elif service == "events" and resource.startswith("event-bus/"):
                self._event_bus(arn, target, payload, source_arn)
            elif service == "events" and resource.startswith("api-destination/"):
                self._api_destination(arn, target, payload)
            elif service == "ecs":
                self._ecs(arn, target, payload)
            elif service == "states":
                self._cloud.client("stepfunctions").start_execution(stateMachineArn=arn, input=payload)
            elif service == "logs":
                self.log_deliveries.append((arn, payload))
                log.info("event for log group %s recorded (CloudWatch Logs is not emulated)", arn)
            else:
                raise DeliveryError(
                    "INVALID_PARAMETER", f"targets of service {service!r} are not emulated", retryable=False
                )
        except AccessDenied as exc:
            raise DeliveryError("NO_PERMISSIONS", exc.message, retryable=False) from exc
        except ClientError as exc:
            raise _from_client_error(exc) from exc
        except AwsError as exc:
            raise _from_aws_error(exc) from exc
        except BotoCoreError as exc:
            raise DeliveryError("SDK_CLIENT_ERROR", str(exc), retryable=True) from exc

    def _authorize(
        self, service: str, resource: str, arn: str, target: dict[str, Any], source_arn: str | None
    ) -> None:
        """What AWS checks before it delivers: a rule's Lambda, SQS and SNS targets by the resource's policy
        (EventBridge acts as itself), every other target and every schedule by the target's `RoleArn`."""
        iam = getattr(self._cloud, "iam", None)
        if iam is None or service == "logs":
            return
        checks = self._checks(service, resource, arn, target)
        scheduled = bool(source_arn and ":schedule/" in source_arn)
        if not scheduled and service in ("lambda", "sqs", "sns"):
            iam.require_service("events.amazonaws.com", source_arn or "", checks, operation="rule target")
            return
        session = "scheduler" if scheduled else "events-rule"
        iam.require_role(target.get("RoleArn"), session, checks, operation=f"{session} target")

    def _checks(self, service: str, resource: str, arn: str, target: dict[str, Any]) -> list[Check]:
        if service == "lambda":
            return [Check("lambda:InvokeFunction", arn)]
        if service == "sqs":
            return [Check("sqs:SendMessage", arn)]
        if service == "sns":
            return [Check("sns:Publish", arn)]
        if service == "states":
            return [Check("states:StartExecution", arn)]
        if service == "events" and resource.startswith("api-destination/"):
            return [Check("events:InvokeApiDestination", arn)]
        if service == "events":
            parameters = target.get("EventBridgeParameters") or {}
            context = {"events:source": parameters["Source"]} if parameters.get("Source") else {}
            return [Check("events:PutEvents", arn, context)]
        if service == "ecs":
            definition_arn = (target.get("EcsParameters") or {}).get("TaskDefinitionArn", "")
            checks = [Check("ecs:RunTask", definition_arn, {"ecs:cluster": arn})]
            try:
                definition = self._cloud.client("ecs").describe_task_definition(taskDefinition=definition_arn)
            except (ClientError, BotoCoreError):
                return checks
            for key in ("taskRoleArn", "executionRoleArn"):
                role = definition["taskDefinition"].get(key)
                if role:
                    checks.append(
                        Check("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
                    )
            return checks
        return []

    # ------------------------------------------------------------ one function per kind of target

    def _lambda(self, arn: str, payload: str) -> None:
        invoker = self._cloud.lambdas
        if invoker is None:
            raise DeliveryError("NO_RESOURCE", "no Lambda runtime is attached to this cloud", retryable=False)
        function, qualifier = _function_and_qualifier(arn)
        result = invoker.invoke(function, payload.encode(), invocation_type="Event", qualifier=qualifier)
        if result.status_code >= 500:
            raise DeliveryError("INTERNAL_ERROR", f"Lambda returned {result.status_code}", retryable=True)
        if result.status_code >= 400:
            raise DeliveryError("ERROR_FROM_TARGET", f"Lambda returned {result.status_code}", retryable=False)

    def _sqs(self, arn: str, target: dict[str, Any], payload: str) -> None:
        sqs = self._cloud.client("sqs")
        account, name = arn.split(":")[4], arn.split(":")[5]
        url = self._queue_urls.get(arn)
        if url is None:
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._queue_urls[arn] = url
        message: dict[str, Any] = {"QueueUrl": url, "MessageBody": payload}
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if name.endswith(".fifo"):
            if not group:
                raise DeliveryError(
                    "INVALID_PARAMETER",
                    "a FIFO queue target needs SqsParameters.MessageGroupId",
                    retryable=False,
                )
            message["MessageGroupId"] = group
            message["MessageDeduplicationId"] = uuid.uuid4().hex  # EventBridge passes the event id
        try:
            sqs.send_message(**message)
        except ClientError:
            self._queue_urls.pop(arn, None)  # the queue may have been deleted: look it up again next time
            raise

    def _event_bus(self, arn: str, target: dict[str, Any], payload: str, source_arn: str | None) -> None:
        if self._events is None:
            raise DeliveryError("NO_RESOURCE", "no event bus service is attached", retryable=False)
        bus = arn.split("event-bus/", 1)[1]
        scheduler_parameters = target.get("EventBridgeParameters")
        if scheduler_parameters is not None:  # EventBridge Scheduler: the payload is the detail
            entry = {
                "Source": scheduler_parameters.get("Source"),
                "DetailType": scheduler_parameters.get("DetailType"),
                "Detail": payload,
                "Resources": [source_arn] if source_arn else [],
                "EventBusName": bus,
            }
        else:  # a rule's bus-to-bus target: the (possibly transformed) event is put as it is
            try:
                event = json.loads(payload)
            except ValueError as exc:
                raise DeliveryError(
                    "INVALID_JSON", "event for an event bus target is not JSON", retryable=False
                ) from exc
            if not isinstance(event, dict):
                raise DeliveryError(
                    "INVALID_JSON", "event for an event bus target is not an object", retryable=False
                )
            entry = {
                "Source": event.get("source"),
                "DetailType": event.get("detail-type"),
                "Detail": json.dumps(event.get("detail", {})),
                "Resources": event.get("resources", []),
                "EventBusName": bus,
            }
            if event.get("time"):
                entry["Time"] = event["time"]
        result = self._events.put_events([entry])
        failed = [e for e in result.get("Entries", []) if e.get("ErrorCode")]
        if failed:
            code = failed[0]["ErrorCode"]
            raise DeliveryError(
                "NO_RESOURCE" if "NotFound" in code else "INVALID_PARAMETER",
                f"{code}: {failed[0].get('ErrorMessage', '')}",
                retryable=False,
            )

    def _api_destination(self, arn: str, target: dict[str, Any], payload: str) -> None:
        import requests

        destination = self._events.api_destination(arn) if self._events else None
        if destination is None:
            raise DeliveryError("NO_RESOURCE", f"API destination {arn} does not exist", retryable=False)
        http = target.get("HttpParameters") or {}
        endpoint = str(destination["InvocationEndpoint"])
        for value in http.get("PathParameterValues") or []:
            endpoint = endpoint.replace("*", str(value), 1)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Amazon/EventBridge/ApiDestinations",
        }
        headers.update(http.get("HeaderParameters") or {})
        query = dict(http.get("QueryStringParameters") or {})
        _apply_connection_auth(destination.get("Connection") or {}, headers, query)
        if query:
            endpoint += ("&" if "?" in endpoint else "?") + urlencode(query)
        try:
            response = requests.request(
                str(destination.get("HttpMethod", "POST")),
                endpoint,
                data=payload.encode(),
                headers=headers,
                timeout=5,
            )
        except requests.Timeout as exc:
            raise DeliveryError("TIMEOUT", f"{endpoint} timed out", retryable=True) from exc
        except requests.RequestException as exc:
            raise DeliveryError("CONNECTION_FAILURE", f"{endpoint}: {exc}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code in _HTTP_RETRYABLE:
            raise DeliveryError(
                "ERROR_FROM_TARGET" if response.status_code != 429 else "THROTTLING",
                f"{endpoint} answered {response.status_code}",
                retryable=True,
            )
        if response.status_code >= 400:
            raise DeliveryError(
                "ERROR_FROM_TARGET", f"{endpoint} answered {response.status_code}", retryable=False
            )

    def _ecs(self, cluster_arn: str, target: dict[str, Any], payload: str) -> None:
        runner = self._cloud.tasks
        if runner is None:
            raise DeliveryError(
                "NO_RESOURCE", "no ECS task runner is attached to this cloud", retryable=False
            )
        parameters = target.get("EcsParameters") or {}
        if not parameters.get("TaskDefinitionArn"):
            raise DeliveryError(
                "INVALID_PARAMETER", "EcsParameters.TaskDefinitionArn is required", retryable=False
            )
        request: dict[str, Any] = {
            "cluster": cluster_arn,
            "taskDefinition": parameters["TaskDefinitionArn"],
            "count": parameters.get("TaskCount", 1),
            "startedBy": "events-rule",
        }
        for source, name in (
            ("LaunchType", "launchType"),
            ("PlatformVersion", "platformVersion"),
            ("Group", "group"),
            ("NetworkConfiguration", "networkConfiguration"),
            ("EnableECSManagedTags", "enableECSManagedTags"),
            ("EnableExecuteCommand", "enableExecuteCommand"),
            ("PropagateTags", "propagateTags"),
            ("ReferenceId", "referenceId"),
            ("Tags", "tags"),
            ("CapacityProviderStrategy", "capacityProviderStrategy"),
        ):
            if parameters.get(source) is not None:
                request[name] = _lower_first_keys(parameters[source])
        try:  # the rule's input becomes the task's overrides, as EventBridge does for ECS targets
            overrides = json.loads(payload)
        except ValueError:
            overrides = None
        if isinstance(overrides, dict) and (
            {"containerOverrides", "taskRoleArn", "cpu", "memory"} & overrides.keys()
        ):
            request["overrides"] = overrides
        response = runner.run_task(request)
        failures = response.get("failures") or []
        if failures and not response.get("tasks"):
            reason = failures[0].get("reason", "RunTask failed")
            missing = "MISSING" in str(reason).upper() or "NOT FOUND" in str(reason).upper()
            raise DeliveryError(
                "NO_RESOURCE" if missing else "ERROR_FROM_TARGET", str(reason), retryable=not missing
            )


def _function_and_qualifier(arn: str) -> tuple[str, str | None]:
    parts = arn.split(":")
    if len(parts) >= 8:
        return ":".join(parts[:7]), parts[7]
    return arn, None


def _lower_first_keys(value: Any) -> Any:
    """EventBridge's EcsParameters are PascalCase; RunTask's shapes are camelCase."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _lower_first_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_first_keys(item) for item in value]
    return value


def _apply_connection_auth(
    connection: dict[str, Any], headers: dict[str, str], query: dict[str, Any]
) -> None:
    import base64

    parameters = connection.get("AuthParameters") or {}
    kind = connection.get("AuthorizationType")
    if kind == "API_KEY":
        key = parameters.get("ApiKeyAuthParameters") or {}
        headers[str(key.get("ApiKeyName", "x-api-key"))] = str(key.get("ApiKeyValue", ""))
    elif kind == "BASIC":
        basic = parameters.get("BasicAuthParameters") or {}
        token = base64.b64encode(f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    invocation = parameters.get("InvocationHttpParameters") or {}
    for item in invocation.get("HeaderParameters") or []:
        headers[str(item.get("Key"))] = str(item.get("Value", ""))
    for item in invocation.get("QueryStringParameters") or []:
        query[str(item.get("Key"))] = item.get("Value", "")


def _from_client_error(exc: ClientError) -> DeliveryError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", code))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) or 400)
    return _classify(code, message, status)


def _from_aws_error(exc: AwsError) -> DeliveryError:
    return _classify(exc.code, exc.message, exc.status)


def _classify(code: str, message: str, status: int) -> DeliveryError:
    if code in _THROTTLING_ERRORS or status == 429:
        return DeliveryError("THROTTLING", f"{code}: {message}", retryable=True)
    if code in _PERMANENT_ERRORS:
        return DeliveryError(_PERMANENT_ERRORS[code], f"{code}: {message}", retryable=False)
    if status >= 500:
        return DeliveryError("INTERNAL_ERROR", f"{code}: {message}", retryable=True)
    return DeliveryError("ERROR_FROM_TARGET", f"{code}: {message}", retryable=False)


# ---------------------------------------------------------------- the delivery loop


@dataclass
class DeliveryJob:
    """One (event, target) delivery. `dlq_body` is what lands in the DLQ (the original event for rules)."""

    target: dict[str, Any]
    payload: str
    dlq_body: str
    source_arn: str
    kind: Literal["rule", "schedule"] = "rule"
    attempts: int = 0
    created: float = field(default_factory=time.monotonic)
    dlq_attributes: dict[str, str] = field(default_factory=dict)  # extra attributes (schedules)
    on_delivered: Callable[[], None] | None = None


class DeliveryQueue:
    """Workers draining a bounded queue of delivery jobs; retries wait on a timer heap, not in a worker."""

    def __init__(
        self,
        cloud: Any,
        dispatcher: TargetDispatcher,
        *,
        workers: int = 4,
        max_pending: int = 10_000,
        time_scale: float = 0.01,
    ) -> None:
        self._cloud = cloud
        self._dispatcher = dispatcher
        self._workers_count = workers
        self._jobs: queue.Queue[DeliveryJob] = queue.Queue(maxsize=max_pending)
        self._retries: list[tuple[float, int, DeliveryJob]] = []
        self._retry_sequence = itertools.count()
        self._retry_wakeup = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._random = random.Random()
        self.time_scale = time_scale
        self.delivered = 0
        self.dead_lettered = 0
        self.dropped = 0

    def start(self) -> None:
        if self._threads:
            return
        self._stopping.clear()
        for number in range(self._workers_count):
            thread = threading.Thread(target=self._work, name=f"event-delivery-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        timer = threading.Thread(target=self._release_retries, name="event-delivery-retries", daemon=True)
        timer.start()
        self._threads.append(timer)

    def stop(self) -> None:
        self._stopping.set()
        with self._retry_wakeup:
            self._retry_wakeup.notify_all()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()

    def submit(self, job: DeliveryJob) -> None:
        if self._stopping.is_set():
            log.warning("delivery to %s dropped: the cloud is stopping", job.target.get("Arn"))
            return
        try:
            self._jobs.put(job, timeout=5)
        except queue.Full:
            self.dropped += 1
            log.error("delivery queue full: event for %s dropped", job.target.get("Arn"))

    def idle(self) -> bool:
        """No job queued or waiting for a retry (jobs being delivered right now are not counted)."""
        with self._retry_wakeup:
            return self._jobs.unfinished_tasks == 0 and not self._retries

    def dead_letter(self, job: DeliveryJob, code: str, message: str, *, exhausted: str | None = None) -> None:
        """Send the job to its target's DLQ with AWS's attributes; without a DLQ the event is dropped."""
        dlq_arn = (job.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq_arn:
            self.dropped += 1
            log.warning(
                "event for %s dropped after %d attempt(s): %s %s (no dead-letter queue)",
                job.target.get("Arn"),
                job.attempts,
                code,
                message,
                extra={"source_arn": job.source_arn, "error_code": code},
            )
            return
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message[:1000],
            "RETRY_ATTEMPTS": str(max(job.attempts - 1, 0)),
            "TARGET_ARN": str(job.target.get("Arn")),
        }
        if job.kind == "rule":
            attributes["RULE_ARN"] = job.source_arn
        attributes.update(job.dlq_attributes)
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        try:
            sqs = self._cloud.client("sqs")
            account, name = dlq_arn.split(":")[4], dlq_arn.split(":")[5]
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(
                QueueUrl=url,
                MessageBody=job.dlq_body,
                MessageAttributes={
                    key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
                },
            )
            self.dead_lettered += 1
            log.warning(
                "event for %s sent to dead-letter queue %s: %s",
                job.target.get("Arn"),
                dlq_arn,
                code,
                extra={"source_arn": job.source_arn, "error_code": code},
            )
        except (ClientError, BotoCoreError) as exc:
            self.dropped += 1
            log.error(
                "event for %s lost: dead-letter queue %s failed: %s", job.target.get("Arn"), dlq_arn, exc
            )

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self._jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._attempt(job)
            except Exception:  # a bug of ours must not kill the worker
                log.exception("delivery to %s failed unexpectedly", job.target.get("Arn"))
            finally:
                self._jobs.task_done()

    def _attempt(self, job: DeliveryJob) -> None:
        job.attempts += 1
        try:
            self._dispatcher.deliver(job.target, job.payload, source_arn=job.source_arn)
        except DeliveryError as error:
            self._failed(job, error)
            return
        self.delivered += 1
        log.debug("delivered to %s (attempt %d)", job.target.get("Arn"), job.attempts)
        if job.on_delivered is not None:
            job.on_delivered()

    def _failed(self, job: DeliveryJob, error: DeliveryError) -> None:
        log.info(
            "delivery to %s failed (attempt %d): %s",
            job.target.get("Arn"),
            job.attempts,
            error,
            extra={"source_arn": job.source_arn, "error_code": error.code},
        )
        if not error.retryable:
            self.dead_letter(job, error.code, error.message)
            return
        policy = job.target.get("RetryPolicy") or {}
        max_retries = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
        max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS))
        if job.attempts - 1 >= max_retries:
            self.dead_letter(job, error.code, error.message, exhausted="MaximumRetryAttempts")
            return
        delay = self._backoff(job.attempts)
        age_after_delay = (time.monotonic() - job.created) / self.time_scale + delay
        if age_after_delay > max_age:
            self.dead_letter(job, error.code, error.message, exhausted="MaximumEventAgeInSeconds")
            return
        with self._retry_wakeup:
            heapq.heappush(
                self._retries, (time.monotonic() + delay * self.time_scale, next(self._retry_sequence), job)
            )
            self._retry_wakeup.notify()

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter, in AWS seconds (before `time_scale`)."""
        ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2 ** min(attempts - 1, 20)))
        return self._random.uniform(ceiling / 2, ceiling)

    def _release_retries(self) -> None:
        while not self._stopping.is_set():
            with self._retry_wakeup:
                now = time.monotonic()
                due = []
                while self._retries and self._retries[0][0] <= now:
                    due.append(heapq.heappop(self._retries)[2])
                if not due:
                    timeout = self._retries[0][0] - now if self._retries else 0.5
                    self._retry_wakeup.wait(timeout=min(timeout, 0.5))
                    continue
            for job in due:
                self.submit(job)


# The name `local.wiring` creates: one dispatcher per cloud, attached as `cloud.targets`.
TargetDeliverer = TargetDispatcher


def dispatcher_of(cloud: Any) -> TargetDispatcher:
    """The cloud's dispatcher; one is created and attached when the cloud has no target delivery yet."""
    if isinstance(cloud.targets, TargetDispatcher):
        return cloud.targets
    dispatcher = TargetDispatcher(cloud)
    if cloud.targets is None:
        cloud.targets = dispatcher
    return dispatcher
