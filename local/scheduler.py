"""EventBridge Scheduler (REST-JSON, signing name "scheduler") and the timing shared with scheduled rules.

Schedules live in our state: `at()`, `rate()` and `cron()` expressions in their `ScheduleExpressionTimezone`,
StartDate/EndDate, ENABLED/DISABLED, `ActionAfterCompletion: DELETE`, targets with Input, RetryPolicy and
DeadLetterConfig, delivered by one timer thread through the shared `DeliveryQueue`. Differences from AWS:
a FLEXIBLE time window is validated and stored but the local cloud fires at the window's start; an `at()` time
already past when the schedule is created fires at once (a missed deadline must still fire locally);
`rate_time_scale` (default 1) can compress rate periods for demos.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, epoch_seconds, json_response
from local.targets import DeliveryJob, dispatcher_of

log = logging.getLogger("svideo.local.scheduler")

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_DAYS = {
    name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)
}
_NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
_CRON_SEARCH_DAYS = 366 * 6


class InvalidExpression(ValueError):
    pass


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression; `next_after(t)` is the first firing strictly after `t` (UTC) or None."""

    kind: str
    text: str
    zone: ZoneInfo
    at: datetime | None = None
    period: timedelta | None = None
    cron: _Cron | None = None

    def next_after(self, after: datetime, *, anchor: datetime | None = None) -> datetime | None:
        if self.kind == "at":
            assert self.at is not None
            return self.at if self.at > after else None
        if self.kind == "rate":
            assert self.period is not None
            start = anchor or after
            if after < start:
                return start + self.period
            elapsed = after - start
            periods = int(elapsed / self.period) + 1
            return start + self.period * periods
        assert self.cron is not None
        return self.cron.next_after(after, self.zone)


def parse_expression(text: str, timezone: str | None = None, *, rate_time_scale: float = 1.0) -> Expression:
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidExpression(f"Invalid timezone: {timezone}") from exc
    text = text.strip()
    if match := _AT.match(text):
        try:
            local = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)
        except ValueError as exc:
            raise InvalidExpression(f"Invalid date in {text}") from exc
        return Expression("at", text, zone, at=local.astimezone(UTC))
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2)
        if value <= 0:
            raise InvalidExpression("rate value must be positive")
        if (value == 1 and unit.endswith("s")) or (value > 1 and not unit.endswith("s")):
            raise InvalidExpression(f"Invalid rate unit {unit} for value {value}")
        seconds = value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        return Expression("rate", text, zone, period=timedelta(seconds=seconds * rate_time_scale))
    if match := _CRON.match(text):
        return Expression("cron", text, zone, cron=_Cron.parse(match.group(1)))
    raise InvalidExpression(f"Invalid schedule expression: {text}")


@dataclass(frozen=True)
class _Cron:
    """AWS's six-field cron: minutes hours day-of-month month day-of-week year, with ? L W # and names."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int] | None

    @classmethod
    def parse(cls, body: str) -> _Cron:
        fields = body.split()
        if len(fields) != 6:
            raise InvalidExpression("cron expressions have six fields")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise InvalidExpression("cron: exactly one of day-of-month and day-of-week must be '?'")
        for spec, pattern in (
            (dom, r"^(\?|\*|L|LW|\d{1,2}W|[\d,\-/*]+)$"),
            (dow, r"^(\?|\*|\d#[1-5]|[1-7]L|[A-Z\d,\-/*]+)$"),
        ):
            if not re.match(pattern, spec.upper()):
                raise InvalidExpression(f"cron: invalid day field {spec}")
        return cls(
            minutes=tuple(sorted(_field(minute, 0, 59))),
            hours=tuple(sorted(_field(hour, 0, 23))),
            day_of_month=dom.upper(),
            months=frozenset(_field(month, 1, 12, _MONTHS)),
            day_of_week=dow.upper(),
            years=None if year == "*" else frozenset(_field(year, 1970, 2199)),
        )

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        local_after = after.astimezone(zone)
        day = local_after.date()
        for _ in range(_CRON_SEARCH_DAYS):
            if (
                (self.years is None or day.year in self.years)
                and day.month in self.months
                and self._day_ok(day)
            ):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                        if candidate > local_after:
                            return candidate.astimezone(UTC)
            day += timedelta(days=1)
        return None

    def _day_ok(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.day_of_month != "?":
            spec = self.day_of_month
            if spec == "L":
                return day.day == last
            if spec == "LW":
                return day == _nearest_weekday(day.replace(day=last))
            if spec.endswith("W"):
                wanted = min(int(spec[:-1]), last)
                return day == _nearest_weekday(day.replace(day=wanted))
            return day.day in _field(spec, 1, 31)
        weekday = day.isoweekday() % 7 + 1  # AWS: 1 = Sunday ... 7 = Saturday
        spec = self.day_of_week
        if "#" in spec:
            wanted, nth = (int(part) for part in spec.split("#"))
            return weekday == wanted and (day.day - 1) // 7 + 1 == nth
        if spec.endswith("L") and spec != "L":
            return weekday == int(spec[:-1]) and day.day + 7 > last
        return weekday in _field(spec, 1, 7, _DAYS)


def _nearest_weekday(day: date) -> date:
    if day.weekday() == 5:  # Saturday -> Friday, unless that leaves the month
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if day.weekday() == 6:
        last = calendar.monthrange(day.year, day.month)[1]
        return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)
    return day


def _field(spec: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for part in spec.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, names)
            if step <= 0:
                raise InvalidExpression(f"cron: invalid step in {spec}")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, second = part.split("-", 1)
            start, end = _number(first, names), _number(second, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise InvalidExpression(f"cron: {spec} is out of range {low}-{high}")
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # wrap-around ranges such as FRI-MON
            values.update(
                v
                for i, v in enumerate(list(range(start, high + 1)) + list(range(low, end + 1)))
                if i % step == 0
            )
    return values


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise InvalidExpression(f"cron: {text!r} is not a number")
    return int(text)


# ---------------------------------------------------------------- one timer thread for many schedules


class Timer:
    """Calls `callback()` at a wall-clock time, once per key; re-arming a key replaces its call."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._heap: list[tuple[float, int, str]] = []
        self._calls: dict[str, tuple[int, Callable[[], None]]] = {}
        self._sequence = itertools.count()
        self._wakeup = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def call_at(self, key: str, when: datetime, callback: Callable[[], None]) -> None:
        with self._wakeup:
            sequence = next(self._sequence)
            self._calls[key] = (sequence, callback)
            heapq.heappush(self._heap, (when.timestamp(), sequence, key))
            self._wakeup.notify()

    def cancel(self, key: str) -> None:
        with self._wakeup:
            self._calls.pop(key, None)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._wakeup:
            self._wakeup.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._wakeup:
                now = time.time()
                due: list[Callable[[], None]] = []
                while self._heap and self._heap[0][0] <= now:
                    _, sequence, key = heapq.heappop(self._heap)
                    current = self._calls.get(key)
                    if current is not None and current[0] == sequence:
                        del self._calls[key]
                        due.append(current[1])
                if not due:
                    timeout = self._heap[0][0] - now if self._heap else 0.5
                    self._wakeup.wait(timeout=max(0.005, min(timeout, 0.5)))
                    continue
            for callback in due:
                try:
                    callback()
                except Exception:
                    log.exception("%s: a timed call failed", self._name)


# ---------------------------------------------------------------- the Scheduler API


@dataclass
class Schedule:
    name: str
    group: str
    arn: str
    body: dict[str, Any]
    expression: Expression
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    anchor: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def key(self) -> str:
        return f"{self.group}/{self.name}"


class SchedulerService:
    """The `scheduler` API; schedules fire on `Timer` and deliver through the shared `DeliveryQueue`."""

    signing_names = ("scheduler",)

    def __init__(self, cloud: Any, *, rate_time_scale: float = 1.0) -> None:
        self._cloud = cloud
        self._deliveries = dispatcher_of(cloud).deliveries
        self._rate_time_scale = rate_time_scale
        self._lock = threading.RLock()
        self._groups: dict[str, dict[str, Any]] = {"default": self._group_record("default")}
        self._schedules: dict[str, Schedule] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._timer = Timer("scheduler")
        self.fired: list[tuple[str, str]] = []  # (schedule ARN, execution id), newest last

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._deliveries.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    # ------------------------------------------------------------ routing

    def handle(self, request: AwsRequest) -> Response | None:
        parts = [part for part in request.path.split("/") if part]
        body = request.json() if request.method in ("POST", "PUT") else {}
        method = request.method
        if parts[:1] == ["schedules"]:
            if len(parts) == 1 and method == "GET":
                return json_response(self._list_schedules(request), content_type="application/json")
            if len(parts) == 2:
                name = unquote(parts[1])
                group = request.query_one("groupName") or body.get("GroupName") or "default"
                if method == "POST":
                    return self._ok(self._put_schedule(name, body, create=True))
                if method == "PUT":
                    return self._ok(self._put_schedule(name, body, create=False))
                if method == "GET":
                    return self._ok(self._describe(self._get(name, group)))
                if method == "DELETE":
                    self._delete(name, group)
                    return self._ok({})
        if parts[:1] == ["schedule-groups"]:
            if len(parts) == 1 and method == "GET":
                return self._ok(self._list_groups(request))
            if len(parts) == 2:
                return self._ok(self._group_operation(method, unquote(parts[1]), body))
        if parts[:1] == ["tags"] and len(parts) >= 2:
            arn = unquote("/".join(parts[1:]))
            return self._ok(self._tags_operation(method, arn, body, request))
        raise AwsError(
            "UnknownOperationException", f"{method} {request.path} is not a Scheduler operation", 404
        )

    @staticmethod
    def _ok(payload: dict[str, Any]) -> Response:
        return json_response(payload, content_type="application/json")

    # ------------------------------------------------------------ schedules

    def _put_schedule(self, name: str, body: dict[str, Any], *, create: bool) -> dict[str, Any]:
        if not _NAME.match(name):
            raise AwsError("ValidationException", f"Schedule name {name!r} is not valid.")
        group = body.get("GroupName") or "default"
        expression = self._validate(body)
        with self._lock:
            if group not in self._groups:
                raise AwsError("ResourceNotFoundException", f"Schedule group {group} does not exist.", 404)
            key = f"{group}/{name}"
            existing = self._schedules.get(key)
            if create and existing is not None:
                raise AwsError("ConflictException", f"Schedule {name} already exists.", 409)
            if not create and existing is None:
                raise AwsError("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)
            arn = self._cloud.arn("scheduler", f"schedule/{group}/{name}")
            schedule = Schedule(name=name, group=group, arn=arn, body=dict(body), expression=expression)
            if existing is not None:
                schedule.created = existing.created
            self._schedules[key] = schedule
            self._arm(schedule)
        log.info("schedule %s %s: %s", arn, "created" if create else "updated", expression.text)
        return {"ScheduleArn": arn}

    def _validate(self, body: dict[str, Any]) -> Expression:
        text = body.get("ScheduleExpression")
        if not text:
            raise AwsError("ValidationException", "ScheduleExpression is required.")
        try:
            expression = parse_expression(
                str(text), body.get("ScheduleExpressionTimezone"), rate_time_scale=self._rate_time_scale
            )
        except InvalidExpression as exc:
            raise AwsError("ValidationException", f"Invalid Schedule Expression {text}. {exc}") from exc
        window = body.get("FlexibleTimeWindow")
        if not isinstance(window, dict) or window.get("Mode") not in ("OFF", "FLEXIBLE"):
            raise AwsError("ValidationException", "FlexibleTimeWindow with Mode OFF or FLEXIBLE is required.")
        if (
            window["Mode"] == "FLEXIBLE"
            and not 1
            <= _integer(window.get("MaximumWindowInMinutes") or 0, 0, "MaximumWindowInMinutes")
            <= 1440
        ):
            raise AwsError("ValidationException", "MaximumWindowInMinutes must be between 1 and 1440.")
        if body.get("State", "ENABLED") not in ("ENABLED", "DISABLED"):
            raise AwsError("ValidationException", "State must be ENABLED or DISABLED.")
        if body.get("ActionAfterCompletion", "NONE") not in ("NONE", "DELETE"):
            raise AwsError("ValidationException", "ActionAfterCompletion must be NONE or DELETE.")
        target = body.get("Target")
        if not isinstance(target, dict) or not target.get("Arn") or not target.get("RoleArn"):
            raise AwsError("ValidationException", "Target with Arn and RoleArn is required.")
        policy = target.get("RetryPolicy") or {}
        if not 0 <= _integer(policy.get("MaximumRetryAttempts", 0), 0, "MaximumRetryAttempts") <= 185:
            raise AwsError("ValidationException", "MaximumRetryAttempts must be between 0 and 185.")
        if (
            not 60
            <= _integer(policy.get("MaximumEventAgeInSeconds", 86400), 0, "MaximumEventAgeInSeconds")
            <= 86400
        ):
            raise AwsError("ValidationException", "MaximumEventAgeInSeconds must be between 60 and 86400.")
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq is not None and not str(dlq).startswith("arn:aws:sqs:"):
            raise AwsError("ValidationException", "DeadLetterConfig Arn must be an SQS queue ARN.")
        parameters = target.get("EventBridgeParameters")
        if parameters is not None and not (parameters.get("Source") and parameters.get("DetailType")):
            raise AwsError("ValidationException", "EventBridgeParameters needs Source and DetailType.")
        start, end = epoch_seconds(body.get("StartDate")), epoch_seconds(body.get("EndDate"))
        if start is not None and end is not None and end <= start:
            raise AwsError("ValidationException", "The EndDate must be after the StartDate.")
        return expression

    def _get(self, name: str, group: str) -> Schedule:
        with self._lock:
            schedule = self._schedules.get(f"{group}/{name}")
        if schedule is None:
            raise AwsError("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)
        return schedule

    def _delete(self, name: str, group: str) -> None:
        with self._lock:
            schedule = self._get(name, group)
            del self._schedules[schedule.key]
            self._timer.cancel(schedule.key)

    def _describe(self, schedule: Schedule) -> dict[str, Any]:
        body = schedule.body
        described = {key: value for key, value in body.items() if key not in ("ClientToken",)}
        described.update(
            {
                "Arn": schedule.arn,
                "Name": schedule.name,
                "GroupName": schedule.group,
                "State": body.get("State", "ENABLED"),
                "CreationDate": schedule.created,
                "LastModificationDate": schedule.modified,
                "ActionAfterCompletion": body.get("ActionAfterCompletion", "NONE"),
            }
        )
        return described

    def _list_schedules(self, request: AwsRequest) -> dict[str, Any]:
        prefix = request.query_one("NamePrefix") or ""
        group = request.query_one("ScheduleGroup")
        state = request.query_one("State")
        with self._lock:
            schedules = sorted(self._schedules.values(), key=lambda s: (s.group, s.name))
        summaries = [
            {
                "Arn": s.arn,
                "Name": s.name,
                "GroupName": s.group,
                "State": s.body.get("State", "ENABLED"),
                "CreationDate": s.created,
                "LastModificationDate": s.modified,
                "Target": {"Arn": s.body["Target"]["Arn"]},
            }
            for s in schedules
            if s.name.startswith(prefix)
            and (group is None or s.group == group)
            and (state is None or s.body.get("State", "ENABLED") == state)
        ]
        return _page(summaries, "Schedules", request)

    # ------------------------------------------------------------ groups and tags

    def _group_record(self, name: str) -> dict[str, Any]:
        now = time.time()
        return {
            "Name": name,
            "Arn": self._cloud.arn("scheduler", f"schedule-group/{name}"),
            "State": "ACTIVE",
            "CreationDate": now,
            "LastModificationDate": now,
        }

    def _group_operation(self, method: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if method == "POST":
                if not _NAME.match(name):
                    raise AwsError("ValidationException", f"Schedule group name {name!r} is not valid.")
                if name in self._groups:
                    raise AwsError("ConflictException", f"Schedule group {name} already exists.", 409)
                self._groups[name] = self._group_record(name)
                if body.get("Tags"):
                    self._tags[self._groups[name]["Arn"]] = {t["Key"]: t["Value"] for t in body["Tags"]}
                return {"ScheduleGroupArn": self._groups[name]["Arn"]}
            if name not in self._groups:
                raise AwsError("ResourceNotFoundException", f"Schedule group {name} does not exist.", 404)
            if method == "GET":
                return dict(self._groups[name])
            if method == "DELETE":
                if name == "default":
                    raise AwsError("ValidationException", "The default schedule group cannot be deleted.")
                for key in [key for key, s in self._schedules.items() if s.group == name]:
                    self._timer.cancel(key)
                    del self._schedules[key]
                del self._groups[name]
                return {}
        raise AwsError("UnknownOperationException", f"{method} on a schedule group is not an operation", 404)

    def _list_groups(self, request: AwsRequest) -> dict[str, Any]:
        prefix = request.query_one("NamePrefix") or ""
        with self._lock:
            groups = [dict(g) for name, g in sorted(self._groups.items()) if name.startswith(prefix)]
        return _page(groups, "ScheduleGroups", request)

    def _tags_operation(
        self, method: str, arn: str, body: dict[str, Any], request: AwsRequest
    ) -> dict[str, Any]:
        with self._lock:
            tags = self._tags.setdefault(arn, {})
            if method == "POST":
                tags.update({t["Key"]: t["Value"] for t in body.get("Tags", [])})
                return {}
            if method == "DELETE":
                for key in request.query.get("TagKeys", []):
                    tags.pop(key, None)
                return {}
            return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    # ------------------------------------------------------------ firing

    def _arm(self, schedule: Schedule) -> None:
        """Set the schedule's next firing on the timer (or cancel it: disabled, ended, one-time done)."""
        self._timer.cancel(schedule.key)
        if schedule.body.get("State", "ENABLED") != "ENABLED":
            return
        now = datetime.now(UTC)
        start = epoch_seconds(schedule.body.get("StartDate"))
        end = epoch_seconds(schedule.body.get("EndDate"))
        after = max(now, datetime.fromtimestamp(start, UTC)) if start is not None else now
        anchor = datetime.fromtimestamp(start, UTC) if start is not None else schedule.anchor
        if schedule.expression.kind == "at":
            assert schedule.expression.at is not None
            when: datetime | None = max(schedule.expression.at, now)  # a missed one-time schedule fires now
        else:
            when = schedule.expression.next_after(after, anchor=anchor)
        if when is None or (end is not None and when.timestamp() > end):
            return
        key, arn = schedule.key, schedule.arn
        self._timer.call_at(key, when, lambda: self._fire(key, arn, when))

    def _fire(self, key: str, arn: str, scheduled: datetime) -> None:
        with self._lock:
            schedule = self._schedules.get(key)
            if schedule is None or schedule.arn != arn:
                return
            one_time = schedule.expression.kind == "at"
            delete_after = schedule.body.get("ActionAfterCompletion") == "DELETE"
            if one_time:
                if delete_after:
                    del self._schedules[key]
                    log.info("schedule %s completed and deleted (ActionAfterCompletion DELETE)", arn)
                else:
                    schedule.body["State"] = schedule.body.get("State", "ENABLED")
            else:
                self._arm(schedule)
            target = dict(schedule.body["Target"])
        execution_id = str(uuid.uuid4())
        scheduled_text = scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = _context_attributes(str(target.get("Input") or "{}"), arn, scheduled_text, execution_id)
        self.fired.append((arn, execution_id))
        log.info("schedule %s fired for %s", arn, scheduled_text, extra={"execution_id": execution_id})
        self._deliveries.submit(
            DeliveryJob(
                target=target,
                payload=payload,
                dlq_body=payload,
                source_arn=arn,
                kind="schedule",
                dlq_attributes={
                    "SCHEDULE_ARN": arn,
                    "SCHEDULED_TIME": scheduled_text,
                    "EXECUTION_ID": execution_id,
                    "IS_PAYLOAD_TRUNCATED": "false",
                },
            )
        )

    # ------------------------------------------------------------ for the DLQ tools

    def schedules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._describe(s) for s in self._schedules.values()]

    def target_for(self, schedule_arn: str) -> dict[str, Any] | None:
        with self._lock:
            for schedule in self._schedules.values():
                if schedule.arn == schedule_arn:
                    return dict(schedule.body["Target"])
        return None


def _context_attributes(payload: str, arn: str, scheduled: str, execution_id: str) -> str:
    """Scheduler's context attributes in a target's Input."""
    return (
        payload.replace("<aws.scheduler.schedule-arn>", arn)
        .replace("<aws.scheduler.scheduled-time>", scheduled)
        .replace("<aws.scheduler.execution-id>", execution_id)
        .replace("<aws.scheduler.attempt-number>", "1")
    )


def _page(items: list[dict[str, Any]], key: str, request: AwsRequest) -> dict[str, Any]:
    start = _integer(request.query_one("NextToken"), 0, "NextToken")
    size = _integer(request.query_one("MaxResults"), 100, "MaxResults")
    page = items[start : start + size]
    result: dict[str, Any] = {key: page}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def _integer(value: Any, default: int, name: str) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise AwsError("ValidationException", f"{name} is not valid.") from exc
