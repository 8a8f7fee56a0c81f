"""CloudWatch locally: metrics collected as AWS collects them, and the deployed alarms evaluated on them.

- the EMF lines functions print (Powertools Metrics) are read from their logs, as CloudWatch Logs does;
- Lambda's own metrics (Invocations, Errors, Throttles, Duration) come from the runtime, per invocation;
- SQS queue depth (ApproximateNumberOfMessagesVisible) is sampled from the queues on every tick;
- alarms (`PutMetricAlarm`, from the templates) stay in moto; every tick evaluates each one with CloudWatch's
  semantics (period, evaluation periods, datapoints to alarm, missing data) and, on a change of state, sets it
  with `SetAlarmState` and publishes CloudWatch's notification to the state's SNS actions.

Alarms and notifications go through the public APIs (`aws cloudwatch describe-alarms` shows them); metrics
are served on `/_svideo/metrics`, which `svideo metrics` reads (moto's metric queries know no percentiles).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.aws import AwsRequest, json_response

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.cloudwatch")

TICK_SECONDS = 2.0
QUEUE_SAMPLE_SECONDS = 10.0  # AWS publishes SQS metrics per minute; every 10 s keeps the store small
RETENTION_SECONDS = 3 * 3600  # the longest alarm window is 3 periods of 15 minutes
REGION_NAMES = {"us-east-1": "US East (N. Virginia)"}  # how CloudWatch names the region in notifications
Dimensions = tuple[tuple[str, str], ...]
INITIAL_REASON = "Unchecked: Initial alarm creation"


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: Dimensions
    timestamp: float
    value: float
    unit: str = "None"


def dimensions_of(mapping: Mapping[str, Any]) -> Dimensions:
    return tuple(sorted((str(key), str(value)) for key, value in mapping.items()))


class MetricStore:
    """Datapoints by metric identity (namespace, name, dimensions), as CloudWatch keys them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._points: dict[tuple[str, str, Dimensions], list[Datapoint]] = {}

    def put(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, Any],
        value: float,
        *,
        unit: str = "None",
        timestamp: float | None = None,
    ) -> None:
        point = Datapoint(
            namespace, name, dimensions_of(dimensions), timestamp or time.time(), float(value), unit
        )
        with self._lock:
            series = self._points.setdefault((namespace, name, point.dimensions), [])
            series.append(point)
            horizon = time.time() - RETENTION_SECONDS
            if series[0].timestamp < horizon:
                series[:] = [p for p in series if p.timestamp >= horizon]

    def series(self, namespace: str, name: str, dimensions: Mapping[str, Any]) -> list[Datapoint]:
        """The metric with exactly these dimensions (CloudWatch matches dimension sets exactly)."""
        with self._lock:
            return list(self._points.get((namespace, name, dimensions_of(dimensions)), []))

    def metrics(self) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._points.items())
        return [
            {
                "namespace": namespace,
                "name": name,
                "dimensions": dict(dimensions),
                "datapoints": len(points),
                "sum": sum(p.value for p in points),
                "last": points[-1].value,
                "last_at": _iso(points[-1].timestamp),
                "unit": points[-1].unit,
            }
            for (namespace, name, dimensions), points in sorted(items)
            if points
        ]


# ---------------------------------------------------------------- EMF


def emf_datapoints(message: str) -> list[Datapoint]:
    """The metrics of one Embedded Metric Format line (empty for anything else)."""
    text = message.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return []
    try:
        record = json.loads(text)
        meta = record["_aws"]
        directives = meta["CloudWatchMetrics"]
    except (ValueError, KeyError, TypeError):
        return []
    timestamp = float(meta.get("Timestamp", time.time() * 1000)) / 1000
    points: list[Datapoint] = []
    for directive in directives:
        for dimension_set in directive.get("Dimensions") or [[]]:
            dimensions = dimensions_of({key: record.get(key, "") for key in dimension_set})
            for metric in directive.get("Metrics", []):
                values = record.get(metric.get("Name"))
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        points.append(
                            Datapoint(
                                directive.get("Namespace", ""),
                                metric["Name"],
                                dimensions,
                                timestamp,
                                float(value),
                                metric.get("Unit", "None"),
                            )
                        )
    return points


class LogScanner:
    """Reads the function logs (`<state>/logs/*.log`, JSON lines) from where it stopped: EMF → metrics."""

    def __init__(self, logs_dir: Path, store: MetricStore) -> None:
        self._dir = logs_dir
        self._store = store
        self._offsets: dict[Path, int] = {}

    def scan(self) -> int:
        found = 0
        for path in sorted(self._dir.glob("*.log")) if self._dir.is_dir() else []:
            offset = self._offsets.get(path, 0)
            if path.stat().st_size < offset:
                offset = 0
            with path.open("rb") as handle:
                handle.seek(offset)
                for raw in handle:
                    if not raw.endswith(b"\n"):
                        break
                    offset += len(raw)
                    with contextlib.suppress(ValueError):
                        message = json.loads(raw).get("message", "")
                        for point in emf_datapoints(str(message)):
                            self._store.put(
                                point.namespace,
                                point.name,
                                dict(point.dimensions),
                                point.value,
                                unit=point.unit,
                                timestamp=point.timestamp,
                            )
                            found += 1
            self._offsets[path] = offset
        return found


# ---------------------------------------------------------------- alarm evaluation (CloudWatch semantics)

_COMPARE = {
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def statistic(values: Sequence[float], name: str) -> float:
    """CloudWatch's statistics of one period's values; `pNN` is the nearest-rank percentile."""
    if name == "Sum":
        return sum(values)
    if name == "Average":
        return sum(values) / len(values)
    if name == "Maximum":
        return max(values)
    if name == "Minimum":
        return min(values)
    if name == "SampleCount":
        return float(len(values))
    if name.startswith("p"):
        ordered = sorted(values)
        rank = math.ceil(float(name[1:]) / 100 * len(ordered))
        return ordered[min(max(rank, 1), len(ordered)) - 1]
    raise ValueError(f"unsupported statistic {name!r}")


@dataclass(frozen=True)
class Evaluation:
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    datapoints: list[tuple[int, float | None]]  # (period start, value or None when missing)


def evaluate(alarm: Mapping[str, Any], points: Iterable[Datapoint], now: float) -> Evaluation:
    """One evaluation of a metric alarm (the DescribeAlarms shape) on its metric's datapoints at `now`.

    The evaluation range is the last `EvaluationPeriods` periods up to the one `now` falls in; a period with
    no datapoint is missing. `TreatMissingData`: `missing` (the default) and `ignore` judge on the periods
    that have data, and with none at all go to INSUFFICIENT_DATA (`missing`) or keep the state (`ignore`);
    `breaching`/`notBreaching` count missing periods as bad/good. ALARM when at least `DatapointsToAlarm`
    (default: `EvaluationPeriods`) of the judged periods breach, otherwise OK.
    """
    period = int(alarm["Period"])
    periods = int(alarm["EvaluationPeriods"])
    needed = int(alarm.get("DatapointsToAlarm") or periods)
    stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average"
    missing = alarm.get("TreatMissingData") or "missing"
    threshold = float(alarm["Threshold"])
    compare, words = _COMPARE[alarm["ComparisonOperator"]]
    current = int(now // period) * period
    starts = [current - period * index for index in range(periods - 1, -1, -1)]
    by_period: dict[float, list[float]] = {start: [] for start in starts}
    for point in points:
        start = int(point.timestamp // period) * period
        if start in by_period:
            by_period[start].append(point.value)
    values = [(start, statistic(by_period[start], stat) if by_period[start] else None) for start in starts]
    present = [value for _, value in values if value is not None]
    if not present and missing in ("missing", "ignore"):
        state = (
            "INSUFFICIENT_DATA" if missing == "missing" else str(alarm.get("StateValue", "INSUFFICIENT_DATA"))
        )
        return Evaluation(
            state, f"no datapoints in the last {periods} period(s) of {period}s ({missing})", values
        )
    if missing == "breaching":
        breaching = sum(1 for _, value in values if value is None or compare(value, threshold))
    elif missing == "notBreaching":
        breaching = sum(1 for _, value in values if value is not None and compare(value, threshold))
    else:
        breaching = sum(1 for value in present if compare(value, threshold))
    shown = ", ".join(f"{value} ({_stamp(start)})" for start, value in reversed(values) if value is not None)
    if breaching >= needed:
        reason = (
            f"Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] "
            f"{'was' if breaching == 1 else 'were'} {words} the threshold ({threshold}) "
            f"(minimum {needed} datapoint{'s' if needed > 1 else ''} for OK -> ALARM transition)."
        )
        return Evaluation("ALARM", reason, values)
    reason = (
        f"Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] {words} the "
        f"threshold ({threshold}); fewer than {needed} needed for ALARM."
    )
    return Evaluation("OK", reason, values)


def notification(
    alarm: Mapping[str, Any], old: str, new: Evaluation, region: str, now: float
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an alarm's SNS topic on a state change."""
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": alarm["AlarmArn"].split(":")[4],
        "AlarmConfigurationUpdatedTimestamp": _iso(now),
        "NewStateValue": new.state,
        "NewStateReason": new.reason,
        "StateChangeTime": _iso(now),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm["AlarmArn"],
        "OldStateValue": old,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": {
            "MetricName": alarm.get("MetricName"),
            "Namespace": alarm.get("Namespace"),
            "StatisticType": "Statistic" if alarm.get("Statistic") else "ExtendedStatistic",
            "Statistic": (alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "").upper(),
            "Unit": alarm.get("Unit"),
            "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
            "Period": alarm["Period"],
            "EvaluationPeriods": alarm["EvaluationPeriods"],
            "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
            "ComparisonOperator": alarm["ComparisonOperator"],
            "Threshold": alarm["Threshold"],
            "TreatMissingData": alarm.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%y %H:%M:%S")


# ---------------------------------------------------------------- the service


class CloudWatchService:
    """Collects metrics and evaluates alarms on a timer; moto answers the CloudWatch API itself."""

    signing_names = ("monitoring",)

    def __init__(self, cloud: LocalCloud, *, tick_seconds: float = TICK_SECONDS) -> None:
        self.cloud = cloud
        self.store = MetricStore()
        self.tick_seconds = tick_seconds
        self._logs = LogScanner(cloud.state_dir / "logs", self.store)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampled_at = 0.0
        cloud.add_internal_route("GET", "/_svideo/metrics", self._metrics_route)

    # -- LocalService ----------------------------------------------------------------------------------------
    def handle(self, request: AwsRequest) -> Response | None:
        return None  # moto serves PutMetricAlarm, DescribeAlarms, SetAlarmState, dashboards

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="cloudwatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- what other parts report ------------------------------------------------------------------------
    def lambda_invoked(
        self, function_name: str, *, duration_ms: float | None, error: bool, throttled: bool
    ) -> None:
        """Lambda's metrics for one invocation (AWS/Lambda, dimension FunctionName)."""
        dimensions = {"FunctionName": function_name}
        if throttled:
            self.store.put("AWS/Lambda", "Throttles", dimensions, 1, unit="Count")
            return
        self.store.put("AWS/Lambda", "Invocations", dimensions, 1, unit="Count")
        self.store.put("AWS/Lambda", "Errors", dimensions, 1 if error else 0, unit="Count")
        if duration_ms is not None:
            self.store.put("AWS/Lambda", "Duration", dimensions, duration_ms, unit="Milliseconds")

    # -- the timer --------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:
                log.exception("cloudwatch tick failed")

    def tick(self, now: float | None = None) -> None:
        now = now or time.time()
        self._logs.scan()
        if now - self._sampled_at >= QUEUE_SAMPLE_SECONDS:
            self._sampled_at = now
            self._sample_queues()
        self.evaluate_alarms(now)

    def _sample_queues(self) -> None:
        """Depths read from moto's queues in this process: an API call per queue every tick would load the
        gateway for nothing."""
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[self.cloud.account_id][self.cloud.region]
        for name, queue in list(backend.queues.items()):
            dimensions = {"QueueName": name}
            self.store.put(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                dimensions,
                queue.approximate_number_of_messages,
                unit="Count",
            )
            self.store.put(
                "AWS/SQS",
                "ApproximateNumberOfMessagesNotVisible",
                dimensions,
                queue.approximate_number_of_messages_not_visible,
                unit="Count",
            )

    def evaluate_alarms(self, now: float) -> list[tuple[str, str, str]]:
        """Evaluates every metric alarm; returns the (name, old, new) state changes it made."""
        cloudwatch = self.cloud.client("cloudwatch")
        changes = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            for alarm in page.get("MetricAlarms", []):
                if alarm.get("Metrics"):
                    continue  # metric math is not evaluated locally
                dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
                points = self.store.series(alarm["Namespace"], alarm["MetricName"], dimensions)
                result = evaluate(alarm, points, now)
                # A new alarm starts in INSUFFICIENT_DATA on AWS (moto says OK, "Unchecked").
                initial = alarm.get("StateReason") == INITIAL_REASON
                old = "INSUFFICIENT_DATA" if initial else alarm.get("StateValue", "INSUFFICIENT_DATA")
                if result.state == old and not initial:
                    continue
                cloudwatch.set_alarm_state(
                    AlarmName=alarm["AlarmName"],
                    StateValue=result.state,
                    StateReason=result.reason[:1023],
                    StateReasonData=json.dumps(
                        {
                            "version": "1.0",
                            "recentDatapoints": [v for _, v in result.datapoints if v is not None],
                        }
                    ),
                )
                if result.state != old:
                    changes.append((alarm["AlarmName"], old, result.state))
                    self._notify(alarm, old, result, now)
        return changes

    def _notify(self, alarm: Mapping[str, Any], old: str, result: Evaluation, now: float) -> None:
        if not alarm.get("ActionsEnabled", True):
            return
        key = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}
        message = notification(alarm, old, result, self.cloud.region, now)
        region = REGION_NAMES.get(self.cloud.region, self.cloud.region)
        for action in alarm.get(key[result.state], []):
            if ":sns:" not in action:
                continue
            sns = self.cloud.client("sns")
            try:
                sns.publish(
                    TopicArn=action,
                    Subject=f'{result.state}: "{alarm["AlarmName"]}" in {region}'[:100],
                    Message=json.dumps(message),
                )
            except sns.exceptions.NotFoundException:
                # As CloudWatch does: the action's topic is not deployed (a stack deployed alone).
                log.warning("alarm %s: %s -> %s, topic %s does not exist", alarm["AlarmName"], old,
                            result.state, action)  # fmt: skip
                continue
            except Exception:
                log.exception("alarm %s: notifying %s failed", alarm["AlarmName"], action)
                continue
            log.info("alarm %s: %s -> %s, notified %s", alarm["AlarmName"], old, result.state, action)

    def _metrics_route(self, _: AwsRequest) -> Response:
        return json_response({"metrics": self.store.metrics()})
