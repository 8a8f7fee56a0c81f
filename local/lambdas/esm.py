"""Event source mappings: SQS and DynamoDB-stream pollers invoking a function with batches, as Lambda does."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from local.aws import AwsError
from local.lambdas import destinations
from local.lambdas.functions import split_function_name
from local.lambdas.sources import LONG_POLL_S, DynamoDbStreamSource, SqsSource, arn_service, is_stream_arn

if TYPE_CHECKING:
    from local.lambdas.service import LambdaService

log = logging.getLogger("svideo.local.lambda.esm")

POLL_INTERVAL_S = 0.2
STREAM_RETRY_BACKOFF_S = 0.5

# What one batch invocation returned: (failed, response payload or None when the function failed).
InvokeBatch = Callable[[list[dict[str, Any]]], tuple[bool, Any]]


def compile_filters(filter_criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """FilterCriteria.Filters[].Pattern strings → patterns, validated by the project's engine."""
    from shared.patterns import InvalidPatternError, compile_pattern

    patterns: list[dict[str, Any]] = []
    for entry in (filter_criteria or {}).get("Filters") or []:
        try:
            pattern = json.loads(entry.get("Pattern") or "")
            compile_pattern(pattern)
        except (ValueError, InvalidPatternError) as exc:
            raise AwsError(
                "InvalidParameterValueException", f"Invalid filter pattern definition: {exc}", 400
            ) from exc
        patterns.append(pattern)
    return patterns


def record_matches(
    patterns: list[dict[str, Any]], record: dict[str, Any], source: Literal["sqs", "kinesis", "dynamodb"]
) -> bool:
    """No filters keep everything; otherwise a record is kept when any filter matches (filters are ORed)."""
    if not patterns:
        return True
    from shared.patterns import matches_pipe_record

    return any(matches_pipe_record(pattern, record, source=source) for pattern in patterns)


def failed_item_ids(response: Any, batch_ids: list[str]) -> list[str] | None:
    """The ids a `ReportBatchItemFailures` response names; None means "treat the whole batch as failed"."""
    if response is None or response == {} or response == "":
        return []
    if not isinstance(response, dict):
        return []  # Lambda treats a response that is not a failures object as complete success
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return []
    if not isinstance(failures, list):
        return None
    ids: list[str] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return None  # an empty or unknown itemIdentifier fails the whole batch
        ids.append(identifier)
    return ids


def settle_sqs_batch(
    records: list[dict[str, Any]],
    invoke: InvokeBatch,
    *,
    patterns: list[dict[str, Any]],
    report_failures: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records to delete, records left for the visibility timeout). Filtered-out messages are deleted."""
    kept = [record for record in records if record_matches(patterns, record, "sqs")]
    dropped = [record for record in records if record not in kept]
    if not kept:
        return dropped, []
    failed, response = invoke(kept)
    if failed:
        return dropped, kept
    if not report_failures:
        return dropped + kept, []
    failed_ids = failed_item_ids(response, [record["messageId"] for record in kept])
    if failed_ids is None:
        return dropped, kept
    retry = [record for record in kept if record["messageId"] in failed_ids]
    return dropped + [record for record in kept if record["messageId"] not in failed_ids], retry


class Mapping:
    """One mapping's configuration (the API shape) and its poller thread."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()


class EventSourceMappings:
    """CRUD for mappings plus one poller thread per enabled mapping."""

    def __init__(self, service: LambdaService) -> None:
        self._service = service
        self._mappings: dict[str, Mapping] = {}
        self._lock = threading.Lock()
        self._running = False

    # -- API -----------------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        function_name = body.get("FunctionName")
        source_arn = body.get("EventSourceArn")
        if not function_name or not source_arn:
            raise AwsError(
                "InvalidParameterValueException", "FunctionName and EventSourceArn are required", 400
            )
        function = self._service.store.get(function_name)
        _, qualifier = split_function_name(function_name)
        stream = is_stream_arn(source_arn)
        if arn_service(source_arn) != "sqs" and not stream:
            raise AwsError(
                "InvalidParameterValueException",
                f"Unsupported event source type for {source_arn}: the local cloud maps SQS queues and "
                "DynamoDB streams",
                400,
            )
        if stream and body.get("StartingPosition") not in ("TRIM_HORIZON", "LATEST"):
            raise AwsError(
                "InvalidParameterValueException",
                "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
                "constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]",
                400,
            )
        batch_size = body.get("BatchSize", 100 if stream else 10)
        window = body.get("MaximumBatchingWindowInSeconds", 0)
        if not isinstance(batch_size, int) or batch_size < 1 or batch_size > 10000:
            raise AwsError("InvalidParameterValueException", f"BatchSize {batch_size} is out of range", 400)
        if not stream and batch_size > 10 and not window:
            raise AwsError(
                "InvalidParameterValueException",
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                "greater than 10",
                400,
            )
        compile_filters(body.get("FilterCriteria"))
        function_arn = self._service.store.arn(function.name, qualifier)
        with self._lock:
            for existing in self._mappings.values():
                if (
                    existing.config["EventSourceArn"] == source_arn
                    and existing.config["FunctionArn"] == function_arn
                ):
                    raise AwsError(
                        "ResourceConflictException",
                        f"The event source arn ({source_arn}) and function ({function.name}) provided "
                        "mapping already exists. Please update or delete the existing mapping with "
                        f"UUID {existing.config['UUID']}",
                        409,
                    )
            config: dict[str, Any] = {
                "UUID": str(uuid.uuid4()),
                "BatchSize": batch_size,
                "MaximumBatchingWindowInSeconds": window,
                "EventSourceArn": source_arn,
                "FunctionArn": function_arn,
                "LastModified": time.time(),
                "State": "Enabled" if body.get("Enabled", True) else "Disabled",
                "StateTransitionReason": "USER_INITIATED",
                "FunctionResponseTypes": body.get("FunctionResponseTypes") or [],
            }
            for key in ("FilterCriteria", "ScalingConfig", "DestinationConfig", "Tags"):
                if body.get(key):
                    config[key] = body[key]
            if stream:
                config.update(
                    StartingPosition=body["StartingPosition"],
                    MaximumRetryAttempts=body.get("MaximumRetryAttempts", -1),
                    MaximumRecordAgeInSeconds=body.get("MaximumRecordAgeInSeconds", -1),
                    BisectBatchOnFunctionError=body.get("BisectBatchOnFunctionError", False),
                    ParallelizationFactor=body.get("ParallelizationFactor", 1),
                    LastProcessingResult="No records processed",
                )
            mapping = Mapping(config)
            self._mappings[config["UUID"]] = mapping
        if self._running and config["State"] == "Enabled":
            self._start_poller(mapping)
        return {**config, "State": "Creating" if config["State"] == "Enabled" else "Disabled"}

    def _mapping(self, mapping_id: str) -> Mapping:
        with self._lock:
            mapping = self._mappings.get(mapping_id)
        if mapping is None:
            raise AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        return mapping

    def get(self, mapping_id: str) -> dict[str, Any]:
        return self._mapping(mapping_id).config

    def list_mappings(self, *, function_name: str | None, source_arn: str | None) -> list[dict[str, Any]]:
        with self._lock:
            configs = [m.config for m in self._mappings.values()]
        if function_name:
            name, _ = split_function_name(function_name)
            configs = [c for c in configs if c["FunctionArn"].split(":")[6] == name]
        if source_arn:
            configs = [c for c in configs if c["EventSourceArn"] == source_arn]
        return configs

    def update(self, mapping_id: str, body: dict[str, Any]) -> dict[str, Any]:
        mapping = self._mapping(mapping_id)
        if "FilterCriteria" in body:
            compile_filters(body["FilterCriteria"])
        self._stop_poller(mapping)
        config = mapping.config
        for key in (
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "FilterCriteria",
            "FunctionResponseTypes",
            "ScalingConfig",
            "DestinationConfig",
            "MaximumRetryAttempts",
            "BisectBatchOnFunctionError",
            "MaximumRecordAgeInSeconds",
        ):
            if key in body:
                config[key] = body[key]
        if body.get("FunctionName"):
            function = self._service.store.get(body["FunctionName"])
            _, qualifier = split_function_name(body["FunctionName"])
            config["FunctionArn"] = self._service.store.arn(function.name, qualifier)
        if "Enabled" in body:
            config["State"] = "Enabled" if body["Enabled"] else "Disabled"
        config["LastModified"] = time.time()
        if self._running and config["State"] == "Enabled":
            self._start_poller(mapping)
        return config

    def delete(self, mapping_id: str) -> dict[str, Any]:
        mapping = self._mapping(mapping_id)
        self._stop_poller(mapping)
        with self._lock:
            self._mappings.pop(mapping_id, None)
        return {**mapping.config, "State": "Deleting"}

    # -- pollers -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        with self._lock:
            mappings = list(self._mappings.values())
        for mapping in mappings:
            if mapping.config["State"] == "Enabled":
                self._start_poller(mapping)

    def stop(self) -> None:
        self._running = False
        with self._lock:
            mappings = list(self._mappings.values())
        for mapping in mappings:
            mapping.stop_event.set()
        for mapping in mappings:
            self._stop_poller(mapping)

    def _start_poller(self, mapping: Mapping) -> None:
        mapping.stop_event = threading.Event()
        target = self._poll_stream if is_stream_arn(mapping.config["EventSourceArn"]) else self._poll_sqs
        mapping.thread = threading.Thread(
            target=self._guarded,
            args=(target, mapping),
            name=f"esm-{mapping.config['UUID'][:8]}",
            daemon=True,
        )
        mapping.thread.start()

    def _stop_poller(self, mapping: Mapping) -> None:
        mapping.stop_event.set()
        self._service.cloud.gateway.wakeups.wake_all()
        if mapping.thread is not None and mapping.thread is not threading.current_thread():
            mapping.thread.join(timeout=10)
        mapping.thread = None

    def _guarded(self, target: Callable[[Mapping], None], mapping: Mapping) -> None:
        """A poller survives errors from the source (queue deleted, moto hiccup) by backing off."""
        while not mapping.stop_event.is_set():
            try:
                target(mapping)
                return
            except Exception:
                log.exception("event source mapping %s failed; retrying", mapping.config["UUID"])
                mapping.stop_event.wait(1.0)

    def _invoke_batch(self, mapping: Mapping, records: list[dict[str, Any]]) -> tuple[bool, Any]:
        function_arn = mapping.config["FunctionArn"]
        service = self._service
        try:
            function = service.store.get(function_arn)
            _, qualifier = split_function_name(function_arn)
            outcome = service.run(
                function,
                function.resolve(qualifier),
                json.dumps({"Records": records}).encode(),
                qualifier=qualifier,
            )
        except AwsError as exc:
            log.warning(
                "mapping %s could not invoke %s: %s", mapping.config["UUID"], function_arn, exc.message
            )
            return True, None
        if outcome.error is not None:
            return True, outcome.error
        try:
            return False, json.loads(outcome.payload) if outcome.payload else None
        except ValueError:
            return False, None

    def _source_client(self, mapping: Mapping, service: str) -> Any:
        """Lambda reads an event source with the function's execution role: IAM checks it as AWS does."""
        function = self._service.store.get(mapping.config["FunctionArn"])
        role = function.latest.config.get("Role")
        cloud = self._service.cloud
        return cloud.client_as(role, function.name, service) if role else cloud.client(service)

    def _poll_sqs(self, mapping: Mapping) -> None:
        config = mapping.config
        source = SqsSource(
            self._source_client(mapping, "sqs"), config["EventSourceArn"], self._service.cloud.region
        )
        stop = mapping.stop_event
        while not stop.is_set():
            batch_size = int(config["BatchSize"])
            batch = source.receive(batch_size, wait_s=LONG_POLL_S)
            if stop.is_set():
                source.release(batch)
                break
            if not batch:
                continue
            window_ends = time.monotonic() + float(config.get("MaximumBatchingWindowInSeconds") or 0)
            while len(batch) < batch_size and time.monotonic() < window_ends and not stop.is_set():
                more = source.receive(batch_size - len(batch))
                batch.extend(more)
                if not more:
                    stop.wait(POLL_INTERVAL_S)
            patterns = compile_filters(config.get("FilterCriteria"))
            delete, retry = settle_sqs_batch(
                batch,
                lambda records: self._invoke_batch(mapping, records),
                patterns=patterns,
                report_failures="ReportBatchItemFailures" in (config.get("FunctionResponseTypes") or []),
            )
            source.delete(delete)
            log.info(
                "mapping %s: batch of %d, %d deleted, %d left for the visibility timeout",
                config["UUID"],
                len(batch),
                len(delete),
                len(retry),
            )

    def _poll_stream(self, mapping: Mapping) -> None:
        config = mapping.config
        cloud = self._service.cloud
        source = DynamoDbStreamSource(
            self._source_client(mapping, "dynamodbstreams"),
            config["EventSourceArn"],
            config.get("StartingPosition", "TRIM_HORIZON"),
            cloud.region,
        )
        stop = mapping.stop_event
        wakeups = cloud.gateway.wakeups
        buffer: list[dict[str, Any]] = []
        while not stop.is_set():
            batch_size = int(config["BatchSize"])
            written = wakeups.seen("dynamodb")  # before reading: a write meanwhile wakes the wait below
            if len(buffer) < batch_size:
                buffer.extend(source.poll(batch_size - len(buffer)))
            if not buffer:
                wakeups.wait("dynamodb", written, stop)
                continue
            window = float(config.get("MaximumBatchingWindowInSeconds") or 0)
            window_ends = time.monotonic() + window
            while len(buffer) < batch_size and time.monotonic() < window_ends and not stop.is_set():
                stop.wait(POLL_INTERVAL_S)
                buffer.extend(source.poll(batch_size - len(buffer)))
            batch, buffer = buffer[:batch_size], buffer[batch_size:]
            patterns = compile_filters(config.get("FilterCriteria"))
            kept = [record for record in batch if record_matches(patterns, record, "dynamodb")]
            if kept:
                self._process_stream_batch(
                    mapping, kept, retries_left=int(config.get("MaximumRetryAttempts", -1))
                )
            config["LastProcessingResult"] = "OK"

    def _process_stream_batch(
        self, mapping: Mapping, batch: list[dict[str, Any]], *, retries_left: int
    ) -> int:
        """Retries from the lowest failed record until success or out of retries; returns retries left."""
        config = mapping.config
        report = "ReportBatchItemFailures" in (config.get("FunctionResponseTypes") or [])
        attempts = 0
        while batch and not mapping.stop_event.is_set():
            failed, response = self._invoke_batch(mapping, batch)
            attempts += 1
            if not failed and report:
                ids = failed_item_ids(response, [r["dynamodb"]["SequenceNumber"] for r in batch])
                if ids is None:
                    failed = True
                elif ids:  # checkpoint: everything before the lowest failed sequence number is done
                    first = min(
                        index for index, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in ids
                    )
                    batch = batch[first:]
                    failed = True
            if not failed:
                return retries_left
            if retries_left == 0:
                self._stream_batch_failed(mapping, batch, attempts)
                return 0
            if retries_left > 0:
                retries_left -= 1
            if config.get("BisectBatchOnFunctionError") and len(batch) > 1:
                middle = len(batch) // 2
                retries_left = self._process_stream_batch(mapping, batch[:middle], retries_left=retries_left)
                return self._process_stream_batch(mapping, batch[middle:], retries_left=retries_left)
            mapping.stop_event.wait(STREAM_RETRY_BACKOFF_S)
        return retries_left

    def _stream_batch_failed(self, mapping: Mapping, batch: list[dict[str, Any]], attempts: int) -> None:
        config = mapping.config
        log.warning(
            "mapping %s: dropping %d stream records after %d attempts", config["UUID"], len(batch), attempts
        )
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": config["FunctionArn"],
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": destinations.timestamp(),
            "DDBStreamBatchInfo": {
                "shardId": batch[0].get("eventID", ""),
                "startSequenceNumber": first.get("SequenceNumber"),
                "endSequenceNumber": last.get("SequenceNumber"),
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
                "streamArn": config["EventSourceArn"],
            },
        }
        try:
            destinations.send_record(
                self._service.cloud.client,
                self._service.invoke_event,
                destination,
                record,
                success=False,
                function_arn=config["FunctionArn"],
            )
        except Exception:
            log.exception("on-failure delivery to %s failed", destination)
