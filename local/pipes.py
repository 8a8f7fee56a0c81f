"""EventBridge Pipes on the local cloud: the API and one poller per running pipe.

Source (SQS queue or DynamoDB stream) → filter (`shared.patterns`, JSON bodies parsed) → optional Lambda
enrichment → target (Lambda, SQS, event bus, ECS task, Step Functions) with input templates rendered by
`local.transform`. A batch that fails to reach its target is not deleted from SQS (the queue's redrive policy
handles poison messages); a stream batch is retried up to MaximumRetryAttempts, then sent to the DLQ.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.iam import AccessDenied
from local.iam.requests import Check
from local.lambdas.esm import compile_filters, record_matches
from local.lambdas.sources import LONG_POLL_S, DynamoDbStreamSource, SqsSource, arn_service, is_stream_arn

if TYPE_CHECKING:
    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.pipes")

POLL_INTERVAL_S = 0.2
RETRY_BACKOFF_S = 0.5
_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_PIPE_PATH = re.compile(r"^/v1/pipes/(?P<name>[^/]+)(?P<action>/start|/stop)?$")
_TAGS_PATH = re.compile(r"^/tags/(?P<arn>.+)$")
_MUTABLE = (
    "Description",
    "DesiredState",
    "SourceParameters",
    "Enrichment",
    "EnrichmentParameters",
    "Target",
    "TargetParameters",
    "RoleArn",
    "LogConfiguration",
    "KmsKeyIdentifier",
)


class DeliveryFailed(Exception):
    """The batch did not reach its enrichment or target; the source keeps it."""


def _json(payload: Any, status: int = 200) -> Response:
    return json_response(payload, status, content_type="application/json")


class Pipe:
    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition = definition
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()


class PipesService:
    """A `LocalService` for signing name "pipes" owning every pipe's state and poller."""

    signing_names = ("pipes",)

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._pipes: dict[str, Pipe] = {}
        self._lock = threading.Lock()
        self._running = False

    # -- LocalService ----------------------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        with self._lock:
            pipes = list(self._pipes.values())
        for pipe in pipes:
            if pipe.definition["DesiredState"] == "RUNNING":
                self._start_poller(pipe)

    def stop(self) -> None:
        self._running = False
        with self._lock:
            pipes = list(self._pipes.values())
        for pipe in pipes:
            pipe.stop_event.set()
        for pipe in pipes:
            self._stop_poller(pipe)

    def handle(self, request: AwsRequest) -> Response | None:
        if request.path.rstrip("/") == "/v1/pipes" and request.method == "GET":
            return self._list(request)
        tags = _TAGS_PATH.match(request.path)
        if tags:
            return self._tags(request, unquote(tags.group("arn")))
        match = _PIPE_PATH.match(request.path)
        if not match:
            return None
        name, action = unquote(match.group("name")), match.group("action")
        if action and request.method == "POST":
            return self._set_state(name, "RUNNING" if action == "/start" else "STOPPED")
        handlers = {"POST": self._create, "GET": self._describe, "PUT": self._update, "DELETE": self._delete}
        handler = handlers.get(request.method)
        return handler(request, name) if handler else None

    # -- API -------------------------------------------------------------------------------------------------
    def _validate(self, definition: dict[str, Any]) -> None:
        source, target = definition.get("Source", ""), definition.get("Target", "")
        if not source or not target or not definition.get("RoleArn"):
            raise AwsError("ValidationException", "Source, Target and RoleArn are required", 400)
        if arn_service(source) != "sqs" and not is_stream_arn(source):
            raise AwsError(
                "ValidationException",
                f"Source {source}: the local cloud runs SQS and DynamoDB stream sources",
                400,
            )
        if arn_service(target) not in ("lambda", "sqs", "events", "ecs", "states"):
            raise AwsError("ValidationException", f"Target {target}: unsupported by the local cloud", 400)
        enrichment = definition.get("Enrichment")
        if enrichment and arn_service(enrichment) != "lambda":
            raise AwsError("ValidationException", f"Enrichment {enrichment}: only Lambda is run locally", 400)
        stream = (definition.get("SourceParameters") or {}).get("DynamoDBStreamParameters") or {}
        if is_stream_arn(source) and stream.get("StartingPosition") not in ("TRIM_HORIZON", "LATEST"):
            raise AwsError("ValidationException", "StartingPosition must be TRIM_HORIZON or LATEST", 400)
        try:
            compile_filters((definition.get("SourceParameters") or {}).get("FilterCriteria"))
        except AwsError as exc:
            raise AwsError("ValidationException", exc.message, 400) from exc
        if definition.get("DesiredState", "RUNNING") not in ("RUNNING", "STOPPED"):
            raise AwsError("ValidationException", "DesiredState must be RUNNING or STOPPED", 400)

    def _pipe(self, name: str) -> Pipe:
        with self._lock:
            pipe = self._pipes.get(name)
        if pipe is None:
            raise AwsError("NotFoundException", f"Pipe {name} does not exist.", 404)
        return pipe

    def _summary(self, definition: dict[str, Any]) -> dict[str, Any]:
        keys = ("Arn", "Name", "DesiredState", "CurrentState", "CreationTime", "LastModifiedTime")
        return {key: definition[key] for key in keys if key in definition}

    def _create(self, request: AwsRequest, name: str) -> Response:
        if not _NAME.match(name):
            raise AwsError("ValidationException", f"Pipe name {name} is invalid", 400)
        body = request.json()
        self._validate(body)
        now = time.time()
        definition = {
            **body,
            "Name": name,
            "Arn": self.cloud.arn("pipes", f"pipe/{name}"),
            "DesiredState": body.get("DesiredState", "RUNNING"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "Tags": body.get("Tags") or {},
        }
        definition["CurrentState"] = definition["DesiredState"]
        pipe = Pipe(definition)
        with self._lock:
            if name in self._pipes:
                raise AwsError("ConflictException", f"Pipe {name} already exists.", 409)
            self._pipes[name] = pipe
        if self._running and definition["DesiredState"] == "RUNNING":
            self._start_poller(pipe)
        log.info("created pipe %s: %s -> %s", name, definition["Source"], definition["Target"])
        return _json({**self._summary(definition), "CurrentState": "CREATING"})

    def _describe(self, request: AwsRequest, name: str) -> Response:
        return _json(self._pipe(name).definition)

    def _update(self, request: AwsRequest, name: str) -> Response:
        pipe = self._pipe(name)
        body = request.json()
        merged = {**pipe.definition, **{key: body[key] for key in _MUTABLE if key in body}}
        self._validate(merged)
        self._stop_poller(pipe)
        merged["LastModifiedTime"] = time.time()
        merged["CurrentState"] = merged["DesiredState"]
        pipe.definition = merged
        if self._running and merged["DesiredState"] == "RUNNING":
            self._start_poller(pipe)
        return _json({**self._summary(merged), "CurrentState": "UPDATING"})

    def _delete(self, request: AwsRequest, name: str) -> Response:
        pipe = self._pipe(name)
        self._stop_poller(pipe)
        with self._lock:
            self._pipes.pop(name, None)
        return _json(
            {**self._summary(pipe.definition), "DesiredState": "DELETED", "CurrentState": "DELETING"}
        )

    def _set_state(self, name: str, state: str) -> Response:
        pipe = self._pipe(name)
        self._stop_poller(pipe)
        pipe.definition.update(DesiredState=state, CurrentState=state, LastModifiedTime=time.time())
        if self._running and state == "RUNNING":
            self._start_poller(pipe)
        transition = "STARTING" if state == "RUNNING" else "STOPPING"
        return _json({**self._summary(pipe.definition), "CurrentState": transition})

    def _list(self, request: AwsRequest) -> Response:
        with self._lock:
            definitions = [pipe.definition for pipe in self._pipes.values()]
        prefix = request.query_one("NamePrefix") or ""
        desired = request.query_one("DesiredState")
        pipes = [
            {
                **self._summary(d),
                "Source": d["Source"],
                "Target": d["Target"],
                **({"Enrichment": d["Enrichment"]} if d.get("Enrichment") else {}),
            }
            for d in definitions
            if d["Name"].startswith(prefix) and (not desired or d["DesiredState"] == desired)
        ]
        return _json({"Pipes": sorted(pipes, key=lambda p: p["Name"])})

    def _tags(self, request: AwsRequest, arn: str) -> Response:
        name = arn.rsplit("/", 1)[-1]
        pipe = self._pipe(name)
        if request.method == "GET":
            return _json({"tags": pipe.definition["Tags"]})
        if request.method == "POST":
            pipe.definition["Tags"].update(request.json().get("tags") or {})
        elif request.method == "DELETE":
            for key in request.query.get("tagKeys", []):
                pipe.definition["Tags"].pop(key, None)
        return _json({})

    # -- pollers ---------------------------------------------------------------------------------------------
    def _start_poller(self, pipe: Pipe) -> None:
        pipe.stop_event = threading.Event()
        pipe.thread = threading.Thread(
            target=self._guarded, args=(pipe,), daemon=True, name=f"pipe-{pipe.definition['Name']}"
        )
        pipe.thread.start()

    def _stop_poller(self, pipe: Pipe) -> None:
        pipe.stop_event.set()
        self.cloud.gateway.wakeups.wake_all()
        if pipe.thread is not None and pipe.thread is not threading.current_thread():
            pipe.thread.join(timeout=10)
        pipe.thread = None

    def _guarded(self, pipe: Pipe) -> None:
        while not pipe.stop_event.is_set():
            try:
                if is_stream_arn(pipe.definition["Source"]):
                    self._poll_stream(pipe)
                else:
                    self._poll_sqs(pipe)
                return
            except Exception as exc:
                log.exception("pipe %s failed; retrying", pipe.definition["Name"])
                pipe.definition["StateReason"] = str(exc)
                pipe.stop_event.wait(1.0)

    def _poll_sqs(self, pipe: Pipe) -> None:
        definition = pipe.definition
        parameters = (definition.get("SourceParameters") or {}).get("SqsQueueParameters") or {}
        source = SqsSource(self._client(definition, "sqs"), definition["Source"], self.cloud.region)
        stop = pipe.stop_event
        while not stop.is_set():
            batch_size = int(parameters.get("BatchSize", 10))
            batch = source.receive(batch_size, wait_s=LONG_POLL_S)
            if stop.is_set():
                source.release(batch)
                break
            if not batch:
                continue
            window_ends = time.monotonic() + float(parameters.get("MaximumBatchingWindowInSeconds") or 0)
            while len(batch) < batch_size and time.monotonic() < window_ends and not stop.is_set():
                more = source.receive(batch_size - len(batch))
                batch.extend(more)
                if not more:
                    stop.wait(POLL_INTERVAL_S)
            try:
                self.process(definition, batch, "sqs")
            except DeliveryFailed as exc:
                log.warning(
                    "pipe %s: batch of %d not delivered (%s); left for the visibility timeout",
                    definition["Name"],
                    len(batch),
                    exc,
                )
                continue
            source.delete(batch)

    def _poll_stream(self, pipe: Pipe) -> None:
        definition = pipe.definition
        parameters = (definition.get("SourceParameters") or {}).get("DynamoDBStreamParameters") or {}
        source = DynamoDbStreamSource(
            self._client(definition, "dynamodbstreams"),
            definition["Source"],
            parameters.get("StartingPosition", "LATEST"),
            self.cloud.region,
        )
        stop = pipe.stop_event
        wakeups = self.cloud.gateway.wakeups
        buffer: list[dict[str, Any]] = []
        while not stop.is_set():
            batch_size = int(parameters.get("BatchSize", 100))
            written = wakeups.seen("dynamodb")  # before reading: a write meanwhile wakes the wait below
            buffer.extend(source.poll(batch_size - len(buffer)) if len(buffer) < batch_size else [])
            if not buffer:
                wakeups.wait("dynamodb", written, stop)
                continue
            batch, buffer = buffer[:batch_size], buffer[batch_size:]
            retries = int(parameters.get("MaximumRetryAttempts", -1))
            while not stop.is_set():
                try:
                    self.process(definition, batch, "dynamodb")
                    break
                except DeliveryFailed as exc:
                    if retries == 0:
                        self._stream_dead_letter(definition, parameters, batch, str(exc))
                        break
                    retries -= 1 if retries > 0 else 0
                    stop.wait(RETRY_BACKOFF_S)

    def _stream_dead_letter(
        self, definition: dict[str, Any], parameters: dict[str, Any], batch: list[dict[str, Any]], reason: str
    ) -> None:
        dead_letter = (parameters.get("DeadLetterConfig") or {}).get("Arn")
        log.warning("pipe %s: dropping %d stream records (%s)", definition["Name"], len(batch), reason)
        if not dead_letter:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        record = {
            "context": {
                "partitionKey": "",
                "pipeArn": definition["Arn"],
                "condition": "RetryAttemptsExhausted",
                "errorMessage": reason,
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "DDBStreamBatchInfo": {
                "shardId": "",
                "startSequenceNumber": first.get("SequenceNumber"),
                "endSequenceNumber": last.get("SequenceNumber"),
                "batchSize": len(batch),
                "streamArn": definition["Source"],
            },
        }
        try:
            self._send_sqs(definition, dead_letter, json.dumps(record), {})
        except Exception:
            log.exception("pipe %s: dead-letter delivery failed", definition["Name"])

    # -- one batch -------------------------------------------------------------------------------------------
    def process(
        self, definition: dict[str, Any], batch: list[dict[str, Any]], source_kind: Literal["sqs", "dynamodb"]
    ) -> None:
        """Filter, enrich and deliver one batch; raises DeliveryFailed when the source must keep it."""
        patterns = compile_filters((definition.get("SourceParameters") or {}).get("FilterCriteria"))
        events: list[Any] = [record for record in batch if record_matches(patterns, record, source_kind)]
        if not events:
            return
        context = {
            "pipe-arn": definition["Arn"],
            "pipe-name": definition["Name"],
            "source-arn": definition["Source"],
            "enrichment-arn": definition.get("Enrichment") or "",
            "target-arn": definition["Target"],
            "ingestion-time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if definition.get("Enrichment"):
            events = self._enrich(definition, events, context)
            if not events:
                return
        template = (definition.get("TargetParameters") or {}).get("InputTemplate")
        items = [_render(template, event, context) if template else json.dumps(event) for event in events]
        self._deliver(definition, items)

    def _enrich(self, definition: dict[str, Any], events: list[Any], context: dict[str, str]) -> list[Any]:
        template = (definition.get("EnrichmentParameters") or {}).get("InputTemplate")
        payload = [json.loads(_as_json(_render(template, e, context))) if template else e for e in events]
        result = self._invoke_lambda(
            definition, definition["Enrichment"], json.dumps(payload), "REQUEST_RESPONSE"
        )
        if result is None:
            return []
        enriched = json.loads(result) if result else None
        if enriched is None:
            return []
        return enriched if isinstance(enriched, list) else [enriched]

    def _deliver(self, definition: dict[str, Any], items: list[str]) -> None:
        target = definition["Target"]
        parameters = definition.get("TargetParameters") or {}
        service = arn_service(target)
        batch_json = "[" + ",".join(_as_json(item) for item in items) + "]"
        try:
            if service == "lambda":
                invocation = (parameters.get("LambdaFunctionParameters") or {}).get(
                    "InvocationType", "REQUEST_RESPONSE"
                )
                self._invoke_lambda(definition, target, batch_json, invocation)
            elif service == "sqs":
                sqs_parameters = parameters.get("SqsQueueParameters") or {}
                for item in items:
                    self._send_sqs(definition, target, item, sqs_parameters)
            elif service == "events":
                self._put_events(
                    definition, target, parameters.get("EventBridgeEventBusParameters") or {}, items
                )
            elif service == "ecs":
                self._run_task(definition, target, parameters.get("EcsTaskParameters") or {})
            elif service == "states":
                states: Any = self._client(definition, "stepfunctions")
                states.start_execution(stateMachineArn=target, input=batch_json)
        except DeliveryFailed:
            raise
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        log.info("pipe %s delivered %d event(s) to %s", definition["Name"], len(items), target)

    def _client(self, definition: dict[str, Any], service: str) -> Any:
        """Signed with the pipe's role: what the pipe reads and writes is authorized as AWS does."""
        return self.cloud.client_as(definition["RoleArn"], f"pipe-{definition['Name']}"[:64], service)

    def _require(self, definition: dict[str, Any], checks: list[Check]) -> None:
        """In-process calls (Lambda, RunTask) are checked against the pipe's role directly."""
        try:
            self.cloud.iam.require_role(
                definition["RoleArn"], f"pipe-{definition['Name']}"[:64], checks, operation="pipe"
            )
        except AccessDenied as exc:
            raise DeliveryFailed(f"AccessDeniedException: {exc.message}") from exc

    def _invoke_lambda(
        self, definition: dict[str, Any], function: str, payload: str, invocation: str
    ) -> bytes | None:
        if self.cloud.lambdas is None:
            raise DeliveryFailed("no Lambda runtime in this local cloud")
        self._require(definition, [Check("lambda:InvokeFunction", function)])
        kind: Literal["RequestResponse", "Event"] = (
            "Event" if invocation == "FIRE_AND_FORGET" else "RequestResponse"
        )
        result = self.cloud.lambdas.invoke(function, payload.encode(), invocation_type=kind)
        if result.function_error:
            raise DeliveryFailed(f"{function} failed: {result.payload[:500]!r}")
        return result.payload if kind == "RequestResponse" else None

    def _send_sqs(
        self, definition: dict[str, Any], queue_arn: str, body: str, parameters: dict[str, Any]
    ) -> None:
        sqs: Any = self._client(definition, "sqs")
        parts = queue_arn.split(":")
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        extra = {
            key: parameters[key] for key in ("MessageGroupId", "MessageDeduplicationId") if key in parameters
        }
        sqs.send_message(QueueUrl=url, MessageBody=body, **extra)

    def _put_events(
        self, definition: dict[str, Any], bus_arn: str, parameters: dict[str, Any], items: list[str]
    ) -> None:
        events: Any = self._client(definition, "events")
        kind = "SQS" if arn_service(definition["Source"]) == "sqs" else "DynamoDB Stream"
        entries = [
            {
                "Source": parameters.get("Source") or f"Pipe {definition['Name']}",
                "DetailType": parameters.get("DetailType") or f"Event from aws:{kind.lower().split()[0]}",
                "Detail": _as_object_json(item),
                "EventBusName": bus_arn,
                "Resources": parameters.get("Resources") or [],
            }
            for item in items
        ]
        for start in range(0, len(entries), 10):
            response = events.put_events(Entries=entries[start : start + 10])
            if response.get("FailedEntryCount"):
                raise DeliveryFailed(f"PutEvents rejected entries: {response['Entries']}")

    def _run_task(self, definition: dict[str, Any], cluster_arn: str, parameters: dict[str, Any]) -> None:
        if self.cloud.tasks is None:
            raise DeliveryFailed("no task runner in this local cloud")
        definition_arn = parameters.get("TaskDefinitionArn") or ""
        self._require(definition, [Check("ecs:RunTask", definition_arn, {"ecs:cluster": cluster_arn})])
        request = {
            "cluster": cluster_arn,
            "taskDefinition": parameters.get("TaskDefinitionArn"),
            "count": parameters.get("TaskCount", 1),
            "launchType": parameters.get("LaunchType", "FARGATE"),
            "overrides": _lower_keys(parameters.get("Overrides") or {}),
            "startedBy": "pipes",
        }
        response = self.cloud.tasks.run_task(request)
        if response.get("failures"):
            raise DeliveryFailed(f"RunTask failed: {response['failures']}")


def _render(template: str, record: Any, context: dict[str, str]) -> str:
    from local.transform import render_pipe_template

    return render_pipe_template(template, record, context)


def _as_json(item: str) -> str:
    """A rendered item inside a JSON array: itself when it is JSON, else a JSON string."""
    try:
        json.loads(item)
        return item
    except ValueError:
        return json.dumps(item)


def _as_object_json(item: str) -> str:
    """EventBridge details are JSON objects; other values are wrapped the way a string payload would be."""
    try:
        value = json.loads(item)
    except ValueError:
        value = item
    return item if isinstance(value, dict) else json.dumps({"value": value})


def _lower_keys(value: Any) -> Any:
    """Pipes spell ECS overrides in PascalCase; RunTask takes camelCase."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value
