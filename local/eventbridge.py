"""Amazon EventBridge (signing name "events", JSON 1.1) answered entirely from our own state.

Buses, rules, targets, archives, replays, connections and API destinations live here; moto never sees an
`events` call. Matching uses `shared.patterns` (the engine behind TestEventPattern and the project's tests),
one `PatternIndex` per bus so many rules stay cheap. PutEvents validates and matches in the request, appends
each accepted event to `<state_dir>/events.jsonl` (one event per line, for `svideo events tail`), and hands
the deliveries to the shared `DeliveryQueue`, so it returns at once. State is in memory: it does not survive a
restart.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, epoch_seconds, json_response
from local.scheduler import InvalidExpression, Timer, parse_expression
from local.targets import DeliveryJob, TargetDispatcher, dispatcher_of
from local.transform import (
    RuleContext,
    TargetInputInvalid,
    TransformError,
    render_target_input,
    validate_target_input,
)
from shared.events.entries import entry_size
from shared.patterns import InvalidPatternError, PatternIndex, compile_pattern, matches

log = logging.getLogger("svideo.local.eventbridge")

DEFAULT_BUS = "default"
MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
MAX_TARGETS_PER_RULE = 5
_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_BUS_NAME = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$")
_TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _now() -> datetime:
    return datetime.now(UTC)


def _fmt(moment: datetime) -> str:
    return moment.strftime(_TIME_FORMAT)


@dataclass
class Rule:
    name: str
    bus: str
    arn: str
    event_pattern: str | None
    schedule_expression: str | None
    state: str
    description: str | None = None
    role_arn: str | None = None
    managed_by: str | None = None
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        described = {
            "Name": self.name,
            "Arn": self.arn,
            "State": self.state,
            "EventBusName": self.bus,
            "EventPattern": self.event_pattern,
            "ScheduleExpression": self.schedule_expression,
            "Description": self.description,
            "RoleArn": self.role_arn,
            "ManagedBy": self.managed_by,
        }
        return {key: value for key, value in described.items() if value is not None}


@dataclass
class Bus:
    name: str
    arn: str
    description: str | None = None
    statements: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    index: PatternIndex = field(default_factory=PatternIndex)
    created: float = field(default_factory=time.time)

    def policy(self) -> str | None:
        if not self.statements:
            return None
        return json.dumps({"Version": "2012-10-17", "Statement": self.statements})


@dataclass
class Archive:
    name: str
    arn: str
    source_arn: str
    pattern: str | None
    retention_days: int
    description: str | None
    created: float = field(default_factory=time.time)
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (ingestion epoch, event)
    size_bytes: int = 0

    def accepts(self, event: dict[str, Any]) -> bool:
        return self.pattern is None or matches(self.pattern, event)


class EventBridgeService:
    """The `events` API. Also an in-process `EventPutter` for Scheduler, Pipes and bus-to-bus targets."""

    signing_names = ("events",)

    def __init__(self, cloud: Any) -> None:
        self._cloud = cloud
        self._dispatcher = dispatcher_of(cloud)
        self._deliveries = self._dispatcher.deliveries
        self._dispatcher.attach_events(self)
        cloud.events = self  # the emulated AWS services emit their `aws.*` events through this, in-process
        self._lock = threading.RLock()
        self._journal_lock = threading.Lock()
        self._buses: dict[str, Bus] = {
            DEFAULT_BUS: Bus(DEFAULT_BUS, cloud.arn("events", "event-bus/default"))
        }
        self._archives: dict[str, Archive] = {}
        self._replays: dict[str, dict[str, Any]] = {}
        self._connections: dict[str, dict[str, Any]] = {}
        self._destinations: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._timer = Timer("event-rule-schedules")
        self.put_count = 0

    @property
    def journal(self) -> Path:
        return Path(self._cloud.state_dir) / "events.jsonl"

    def start(self) -> None:
        self._deliveries.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._deliveries.stop()

    def handle(self, request: AwsRequest) -> Response | None:
        operation = request.target or ""
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise AwsError(
                "UnknownOperationException", f"Operation {operation or '(none)'} is not supported."
            )
        return json_response(handler(request.json()))

    # ------------------------------------------------------------ buses

    def _bus(self, name_or_arn: str | None) -> Bus:
        name = (name_or_arn or DEFAULT_BUS).split("event-bus/", 1)[-1]
        bus = self._buses.get(name)
        if bus is None:
            raise AwsError("ResourceNotFoundException", f"Event bus {name} does not exist.")
        return bus

    def _op_CreateEventBus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        if not _BUS_NAME.match(name) or name == DEFAULT_BUS:
            raise AwsError("ValidationException", f"Event bus name {name} is not valid.")
        with self._lock:
            if name in self._buses:
                raise AwsError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
            bus = Bus(name, self._cloud.arn("events", f"event-bus/{name}"), body.get("Description"))
            self._buses[name] = bus
            self._set_tags(bus.arn, body.get("Tags"))
        return {"EventBusArn": bus.arn}

    def _op_DescribeEventBus(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            bus = self._bus(body.get("Name"))
            described = {
                "Name": bus.name,
                "Arn": bus.arn,
                "Policy": bus.policy(),
                "Description": bus.description,
                "CreationTime": bus.created,
            }
        return {key: value for key, value in described.items() if value is not None}

    def _op_DeleteEventBus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        if name == DEFAULT_BUS:
            raise AwsError("ValidationException", "Cannot delete event bus default.")
        with self._lock:
            bus = self._buses.pop(name, None)
            if bus is not None:
                for rule in bus.rules.values():
                    self._timer.cancel(rule.arn)
        return {}

    def _op_ListEventBuses(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        with self._lock:
            buses = [
                {"Name": b.name, "Arn": b.arn, **({"Policy": b.policy()} if b.statements else {})}
                for name, b in sorted(self._buses.items())
                if name.startswith(prefix)
            ]
        return _page(buses, "EventBuses", body)

    def _op_PutPermission(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            if body.get("Policy"):
                try:
                    policy = json.loads(body["Policy"])
                except ValueError as exc:
                    raise AwsError("ValidationException", "Policy is not valid JSON.") from exc
                bus.statements = list(policy.get("Statement", []))
                return {}
            statement_id = _required(body, "StatementId")
            principal = _required(body, "Principal")
            statement: dict[str, Any] = {
                "Sid": statement_id,
                "Effect": "Allow",
                "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
                "Action": body.get("Action", "events:PutEvents"),
                "Resource": bus.arn,
            }
            if body.get("Condition"):
                condition = body["Condition"]
                statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
            bus.statements = [s for s in bus.statements if s.get("Sid") != statement_id] + [statement]
        return {}

    def _op_RemovePermission(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            if body.get("RemoveAllPermissions"):
                bus.statements = []
                return {}
            statement_id = _required(body, "StatementId")
            if not any(s.get("Sid") == statement_id for s in bus.statements):
                raise AwsError("ResourceNotFoundException", "Statement with the provided id does not exist.")
            bus.statements = [s for s in bus.statements if s.get("Sid") != statement_id]
        return {}

    # ------------------------------------------------------------ rules

    def _rule(self, bus: Bus, name: str) -> Rule:
        rule = bus.rules.get(name)
        if rule is None:
            raise AwsError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus.name}.")
        return rule

    def _op_PutRule(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        if not _NAME.match(name):
            raise AwsError("ValidationException", f"Rule name {name} is not valid.")
        pattern, schedule = body.get("EventPattern"), body.get("ScheduleExpression")
        if not pattern and not schedule:
            raise AwsError(
                "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        if pattern:
            try:
                compile_pattern(pattern)
            except InvalidPatternError as exc:
                raise AwsError(
                    "InvalidEventPatternException", f"Event pattern is not valid. Reason: {exc}"
                ) from exc
        state = body.get("State") or "ENABLED"
        if state not in ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
            raise AwsError("ValidationException", f"State {state} is not valid.")
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            if schedule:
                if bus.name != DEFAULT_BUS:
                    raise AwsError(
                        "ValidationException",
                        "ScheduleExpression is supported only on the default event bus.",
                    )
                try:
                    parse_expression(schedule)
                except InvalidExpression as exc:
                    raise AwsError(
                        "ValidationException", "Parameter ScheduleExpression is not valid."
                    ) from exc
            resource = f"rule/{name}" if bus.name == DEFAULT_BUS else f"rule/{bus.name}/{name}"
            existing = bus.rules.get(name)
            rule = Rule(
                name=name,
                bus=bus.name,
                arn=self._cloud.arn("events", resource),
                event_pattern=pattern,
                schedule_expression=schedule,
                state=state,
                description=body.get("Description"),
                role_arn=body.get("RoleArn"),
                managed_by=existing.managed_by if existing else None,
                targets=existing.targets if existing else {},
            )
            bus.rules[name] = rule
            self._reindex(bus, rule)
            self._set_tags(rule.arn, body.get("Tags"))
        return {"RuleArn": rule.arn}

    def _reindex(self, bus: Bus, rule: Rule) -> None:
        """Keep the bus index and the schedule timer in step with the rule's pattern, schedule and state."""
        if rule.name in bus.index:
            bus.index.remove(rule.name)
        self._timer.cancel(rule.arn)
        if rule.state == "DISABLED" or bus.rules.get(rule.name) is not rule:
            return
        if rule.event_pattern:
            bus.index.add(rule.name, rule.event_pattern)
        if rule.schedule_expression:
            self._arm_rule_schedule(bus.name, rule.name, rule.arn)

    def _arm_rule_schedule(self, bus_name: str, rule_name: str, rule_arn: str) -> None:
        with self._lock:
            rule = self._buses.get(bus_name, Bus("", "")).rules.get(rule_name)
            if (
                rule is None
                or rule.arn != rule_arn
                or not rule.schedule_expression
                or rule.state == "DISABLED"
            ):
                return
            expression = parse_expression(rule.schedule_expression)
            when = expression.next_after(_now())
        if when is not None:
            self._timer.call_at(
                rule_arn, when, lambda: self._fire_rule_schedule(bus_name, rule_name, rule_arn)
            )

    def _fire_rule_schedule(self, bus_name: str, rule_name: str, rule_arn: str) -> None:
        moment = _now()
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._cloud.account_id,
            "time": _fmt(moment),
            "region": self._cloud.region,
            "resources": [rule_arn],
            "detail": {},
        }
        with self._lock:
            rule = self._buses.get(bus_name, Bus("", "")).rules.get(rule_name)
            targets = list(rule.targets.values()) if rule is not None and rule.arn == rule_arn else []
        if rule is not None:
            self._deliver(rule, targets, event, moment, json.dumps(event, separators=(",", ":")))
        self._arm_rule_schedule(bus_name, rule_name, rule_arn)

    def _op_DescribeRule(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rule = self._rule(self._bus(body.get("EventBusName")), _required(body, "Name"))
            return {**rule.describe(), "CreatedBy": self._cloud.account_id}

    def _op_ListRules(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            rules = [r.describe() for name, r in sorted(bus.rules.items()) if name.startswith(prefix)]
        return _page(rules, "Rules", body)

    def _op_ListRuleNamesByTarget(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = _required(body, "TargetArn")
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            names = [
                name
                for name, r in sorted(bus.rules.items())
                if any(t.get("Arn") == arn for t in r.targets.values())
            ]
        return _page(names, "RuleNames", body)

    def _op_DeleteRule(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            rule = bus.rules.get(_required(body, "Name"))
            if rule is None:
                return {}  # AWS: deleting a missing rule succeeds
            if rule.targets:
                raise AwsError("ValidationException", "Rule can't be deleted since it has targets.")
            del bus.rules[rule.name]
            self._reindex(bus, rule)
            self._tags.pop(rule.arn, None)
        return {}

    def _op_EnableRule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "ENABLED")

    def _op_DisableRule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "DISABLED")

    def _set_state(self, body: dict[str, Any], state: str) -> dict[str, Any]:
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            rule = self._rule(bus, _required(body, "Name"))
            rule.state = state
            self._reindex(bus, rule)
        return {}

    # ------------------------------------------------------------ targets

    def _op_PutTargets(self, body: dict[str, Any]) -> dict[str, Any]:
        targets = body.get("Targets")
        if not isinstance(targets, list) or not targets:
            raise AwsError("ValidationException", "Targets must contain at least one target.")
        for target in targets:
            self._validate_target(target)
        failed: list[dict[str, str]] = []
        with self._lock:
            bus = self._bus(body.get("EventBusName"))
            rule = self._rule(bus, _required(body, "Rule"))
            new_ids = {t["Id"] for t in targets} - rule.targets.keys()
            if len(rule.targets) + len(new_ids) > MAX_TARGETS_PER_RULE:
                raise AwsError(
                    "LimitExceededException",
                    f"The requested resource exceeds the maximum number allowed ({MAX_TARGETS_PER_RULE} "
                    "targets per rule).",
                )
            for target in targets:
                arn = str(target.get("Arn", ""))
                if not arn.startswith("arn:") or len(arn.split(":")) < 6:
                    failed.append(
                        {
                            "TargetId": target["Id"],
                            "ErrorCode": "ValidationException",
                            "ErrorMessage": f"Provided Arn is not in correct format: {arn}",
                        }
                    )
                    continue
                rule.targets[target["Id"]] = dict(target)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def _validate_target(self, target: Any) -> None:
        if not isinstance(target, dict) or not target.get("Id") or not target.get("Arn"):
            raise AwsError("ValidationException", "Each target needs an Id and an Arn.")
        if not _TARGET_ID.match(str(target["Id"])):
            raise AwsError("ValidationException", f"Target id {target['Id']} is not valid.")
        try:
            validate_target_input(target)
        except TargetInputInvalid as exc:
            raise AwsError("ValidationException", str(exc)) from exc
        policy = target.get("RetryPolicy")
        if policy is not None:
            attempts = policy.get("MaximumRetryAttempts")
            age = policy.get("MaximumEventAgeInSeconds")
            if attempts is not None and not (isinstance(attempts, int) and 0 <= attempts <= 185):
                raise AwsError(
                    "ValidationException",
                    "1 validation error detected: Value at "
                    "'targets.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: "
                    "Member must have value between 0 and 185",
                )
            if age is not None and not (isinstance(age, int) and 60 <= age <= 86400):
                raise AwsError(
                    "ValidationException",
                    "1 validation error detected: Value at "
                    "'targets.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy "
                    "constraint: Member must have value between 60 and 86400",
                )
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq is not None and not str(dlq).startswith("arn:aws:sqs:"):
            raise AwsError("ValidationException", f"DeadLetterConfig Arn {dlq} is not an SQS queue ARN.")
        if dlq is not None and str(dlq).endswith(".fifo"):
            raise AwsError("ValidationException", "A FIFO queue cannot be used as a dead-letter queue.")

    def _op_RemoveTargets(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = body.get("Ids") or []
        failed: list[dict[str, str]] = []
        with self._lock:
            rule = self._rule(self._bus(body.get("EventBusName")), _required(body, "Rule"))
            for target_id in ids:
                if rule.targets.pop(target_id, None) is None:
                    failed.append(
                        {
                            "TargetId": target_id,
                            "ErrorCode": "ResourceNotFoundException",
                            "ErrorMessage": f"Target {target_id} does not exist on rule {rule.name}.",
                        }
                    )
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def _op_ListTargetsByRule(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rule = self._rule(self._bus(body.get("EventBusName")), _required(body, "Rule"))
            targets = [dict(t) for t in rule.targets.values()]
        return _page(targets, "Targets", body)

    # ------------------------------------------------------------ events

    def _op_PutEvents(self, body: dict[str, Any]) -> dict[str, Any]:
        entries = body.get("Entries")
        if not isinstance(entries, list) or not entries:
            raise AwsError(
                "ValidationException",
                "1 validation error detected: Value at 'entries' failed to "
                "satisfy constraint: Member must have length greater than or equal to 1",
            )
        if len(entries) > MAX_ENTRIES:
            raise AwsError(
                "ValidationException",
                "1 validation error detected: Value at 'entries' failed to "
                f"satisfy constraint: Member must have length less than or equal to {MAX_ENTRIES}",
            )
        if sum(entry_size(e) for e in entries if isinstance(e, dict)) > MAX_REQUEST_BYTES:
            raise AwsError(
                "ValidationException", "Total size of the entries in the request is over the limit."
            )
        # `aws.*` sources belong to AWS services: a caller's entry with one fails alone, as on AWS.
        refused = [isinstance(e, dict) and str(e.get("Source") or "").startswith("aws.") for e in entries]
        accepted = self.put_events([e for e, no in zip(entries, refused, strict=True) if not no])
        results = iter(accepted["Entries"])
        merged = [
            {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
            if no
            else next(results)
            for no in refused
        ]
        return {"FailedEntryCount": sum(1 for r in merged if "ErrorCode" in r), "Entries": merged}

    def put_events(self, entries: list[dict[str, Any]], *, replay_name: str | None = None) -> dict[str, Any]:
        """PutEvents in-process (Scheduler, Pipes, bus-to-bus): the API's entries in, its response out."""
        results: list[dict[str, Any]] = []
        for entry in entries:
            try:
                bus_name, event = self._accept(entry)
            except _EntryError as error:
                results.append({"ErrorCode": error.code, "ErrorMessage": error.message})
                continue
            self._ingest(bus_name, event, _now(), replay_name=replay_name)
            results.append({"EventId": event["id"]})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def _accept(self, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if not isinstance(entry, dict):
            raise _EntryError("InvalidArgument", "Entry must be an object.")
        for name in ("Source", "DetailType", "Detail"):
            if not entry.get(name):
                raise _EntryError(
                    "InvalidArgument",
                    f"Parameter {name} is not valid. Reason: {name} is a required argument.",
                )
        try:
            detail = json.loads(entry["Detail"])
        except (TypeError, ValueError):
            detail = None
        if not isinstance(detail, dict):
            raise _EntryError("MalformedDetail", "Detail is malformed.")
        if entry_size(entry) > MAX_REQUEST_BYTES:
            raise _EntryError("ValidationException", "Entry size exceeds the 256 KB limit.")
        name = str(entry.get("EventBusName") or DEFAULT_BUS).split("event-bus/", 1)[-1]
        with self._lock:
            if name not in self._buses:
                raise _EntryError("EventBusNotFound", f"Event bus {name} does not exist.")
        moment = _event_time(entry.get("Time"))
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self._cloud.account_id,
            "time": moment,
            "region": self._cloud.region,
            "resources": list(entry.get("Resources") or []),
            "detail": detail,
        }
        return name, event

    def _ingest(
        self,
        bus_name: str,
        event: dict[str, Any],
        ingested: datetime,
        *,
        replay_name: str | None = None,
        only_rules: set[str] | None = None,
    ) -> None:
        if replay_name is not None:
            event = {**event, "replay-name": replay_name}
        original = json.dumps(event, separators=(",", ":"))
        self._journal(original)
        self.put_count += 1
        with self._lock:
            bus = self._buses.get(bus_name)
            if bus is None:
                return
            matched = [bus.rules[name] for name in bus.index.match(event) if name in bus.rules]
            work = [
                (rule, list(rule.targets.values()))
                for rule in matched
                if only_rules is None or rule.arn in only_rules
            ]
            if replay_name is None:
                archives = [a for a in self._archives.values() if a.source_arn == bus.arn]
            else:
                archives = []  # replayed events are not archived again
        for archive in archives:
            self._archive(archive, event, ingested)
        log.debug(
            "event %s on %s matched %d rule(s)",
            event["id"],
            bus_name,
            len(work),
            extra={"event_id": event["id"]},
        )
        for rule, targets in work:
            self._deliver(rule, targets, event, ingested, original)

    def _deliver(
        self,
        rule: Rule,
        targets: list[dict[str, Any]],
        event: dict[str, Any],
        ingested: datetime,
        original: str,
    ) -> None:
        """`original` is the event as compact JSON, serialised once per event for the DLQ body and whole-event
        payloads."""
        context = RuleContext(rule_arn=rule.arn, rule_name=rule.name, ingestion_time=_fmt(ingested))
        for target in targets:
            job = DeliveryJob(target=target, payload="", dlq_body=original, source_arn=rule.arn)
            try:
                payload = render_target_input(target, event, context, event_json=original)
            except TransformError as error:
                job.attempts = 1
                self._deliveries.dead_letter(job, error.code, error.message)
                continue
            if payload is None:
                log.info(
                    "InputPath %s of target %s is not in event %s: nothing sent",
                    target.get("InputPath"),
                    target.get("Id"),
                    event["id"],
                )
                continue
            job.payload = payload
            self._deliveries.submit(job)

    def _journal(self, event_json: str) -> None:
        line = event_json + "\n"
        with self._journal_lock:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def _op_TestEventPattern(self, body: dict[str, Any]) -> dict[str, Any]:
        pattern = _required(body, "EventPattern")
        try:
            event = json.loads(_required(body, "Event"))
        except ValueError as exc:
            raise AwsError("ValidationException", "Parameter Event is not valid.") from exc
        if not isinstance(event, dict):
            raise AwsError("ValidationException", "Parameter Event is not valid.")
        try:
            compiled = compile_pattern(pattern)
        except InvalidPatternError as exc:
            raise AwsError(
                "InvalidEventPatternException", f"Event pattern is not valid. Reason: {exc}"
            ) from exc
        return {"Result": matches(compiled, event)}

    # ------------------------------------------------------------ archives and replays

    def _op_CreateArchive(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "ArchiveName")
        if not _NAME.match(name) or len(name) > 48:
            raise AwsError("ValidationException", f"Archive name {name} is not valid.")
        source = _required(body, "EventSourceArn")
        pattern = body.get("EventPattern")
        if pattern:
            try:
                compile_pattern(pattern)
            except InvalidPatternError as exc:
                raise AwsError(
                    "InvalidEventPatternException", f"Event pattern is not valid. Reason: {exc}"
                ) from exc
        with self._lock:
            self._bus(source)
            if name in self._archives:
                raise AwsError("ResourceAlreadyExistsException", f"Archive {name} already exists.")
            archive = Archive(
                name=name,
                arn=self._cloud.arn("events", f"archive/{name}"),
                source_arn=source,
                pattern=pattern,
                retention_days=int(body.get("RetentionDays") or 0),
                description=body.get("Description"),
            )
            self._archives[name] = archive
        return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}

    def _archive(self, archive: Archive, event: dict[str, Any], ingested: datetime) -> None:
        if not archive.accepts(event):
            return
        with self._lock:
            archive.events.append((ingested.timestamp(), event))
            archive.size_bytes += len(json.dumps(event))
            if archive.retention_days:
                horizon = time.time() - archive.retention_days * 86400
                archive.events = [(at, e) for at, e in archive.events if at >= horizon]

    def _archive_named(self, name: str) -> Archive:
        archive = self._archives.get(name)
        if archive is None:
            raise AwsError("ResourceNotFoundException", f"Archive {name} does not exist.")
        return archive

    def _describe_archive(self, archive: Archive) -> dict[str, Any]:
        described = {
            "ArchiveArn": archive.arn,
            "ArchiveName": archive.name,
            "EventSourceArn": archive.source_arn,
            "Description": archive.description,
            "EventPattern": archive.pattern,
            "State": "ENABLED",
            "RetentionDays": archive.retention_days,
            "SizeBytes": archive.size_bytes,
            "EventCount": len(archive.events),
            "CreationTime": archive.created,
        }
        return {key: value for key, value in described.items() if value is not None}

    def _op_DescribeArchive(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._describe_archive(self._archive_named(_required(body, "ArchiveName")))

    def _op_ListArchives(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        source = body.get("EventSourceArn")
        with self._lock:
            archives = [
                self._describe_archive(a)
                for name, a in sorted(self._archives.items())
                if name.startswith(prefix) and (source is None or a.source_arn == source)
            ]
        for archive in archives:
            archive.pop("EventPattern", None)
            archive.pop("Description", None)
        return _page(archives, "Archives", body)

    def _op_UpdateArchive(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            archive = self._archive_named(_required(body, "ArchiveName"))
            if "EventPattern" in body:
                archive.pattern = body["EventPattern"] or None
            if "RetentionDays" in body:
                archive.retention_days = int(body["RetentionDays"])
            if "Description" in body:
                archive.description = body["Description"]
        return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}

    def _op_DeleteArchive(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._archive_named(_required(body, "ArchiveName"))
            del self._archives[body["ArchiveName"]]
        return {}

    def _op_StartReplay(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "ReplayName")
        if not _NAME.match(name):
            raise AwsError("ValidationException", f"Replay name {name} is not valid.")
        source = _required(body, "EventSourceArn")
        destination = body.get("Destination") or {}
        start, end = epoch_seconds(body.get("EventStartTime")), epoch_seconds(body.get("EventEndTime"))
        if start is None or end is None:
            raise AwsError("ValidationException", "EventStartTime and EventEndTime are required.")
        if end <= start:
            raise AwsError("ValidationException", "EventEndTime must be after EventStartTime.")
        with self._lock:
            if name in self._replays:
                raise AwsError("ResourceAlreadyExistsException", f"Replay {name} already exists.")
            archive = self._archive_named(source.split("archive/", 1)[-1])
            bus = self._bus(_required(destination, "Arn"))
            if bus.arn != archive.source_arn:
                raise AwsError(
                    "ValidationException",
                    "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not "
                    "permitted.",
                )
            replay = {
                "ReplayName": name,
                "ReplayArn": self._cloud.arn("events", f"replay/{name}"),
                "Description": body.get("Description"),
                "State": "STARTING",
                "EventSourceArn": archive.arn,
                "Destination": destination,
                "EventStartTime": start,
                "EventEndTime": end,
                "ReplayStartTime": time.time(),
            }
            self._replays[name] = replay
            events = [(at, e) for at, e in archive.events if start <= at <= end]
        threading.Thread(
            target=self._replay,
            args=(name, bus.name, events, destination),
            daemon=True,
            name=f"replay-{name}",
        ).start()
        return {
            "ReplayArn": replay["ReplayArn"],
            "State": "STARTING",
            "ReplayStartTime": replay["ReplayStartTime"],
        }

    def _replay(
        self,
        name: str,
        bus_name: str,
        events: list[tuple[float, dict[str, Any]]],
        destination: dict[str, Any],
    ) -> None:
        filters = set(destination.get("FilterArns") or []) or None
        with self._lock:
            self._replays[name]["State"] = "RUNNING"
        for at, event in events:
            with self._lock:
                if self._replays[name]["State"] == "CANCELLING":
                    self._replays[name].update(State="CANCELLED", ReplayEndTime=time.time())
                    return
            self._ingest(bus_name, event, _now(), replay_name=name, only_rules=filters)
            with self._lock:
                self._replays[name]["EventLastReplayedTime"] = at
        with self._lock:
            self._replays[name].update(State="COMPLETED", ReplayEndTime=time.time())
        log.info("replay %s re-delivered %d event(s)", name, len(events))

    def _replay_named(self, name: str) -> dict[str, Any]:
        replay = self._replays.get(name)
        if replay is None:
            raise AwsError("ResourceNotFoundException", f"Replay {name} does not exist.")
        return replay

    def _op_DescribeReplay(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            replay = self._replay_named(_required(body, "ReplayName"))
            return {key: value for key, value in replay.items() if value is not None}

    def _op_ListReplays(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        with self._lock:
            replays = [
                {
                    k: v
                    for k, v in r.items()
                    if k
                    in (
                        "ReplayName",
                        "EventSourceArn",
                        "State",
                        "EventStartTime",
                        "EventEndTime",
                        "ReplayStartTime",
                        "ReplayEndTime",
                        "EventLastReplayedTime",
                    )
                }
                for name, r in sorted(self._replays.items())
                if name.startswith(prefix)
            ]
        return _page(replays, "Replays", body)

    def _op_CancelReplay(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            replay = self._replay_named(_required(body, "ReplayName"))
            if replay["State"] in ("COMPLETED", "FAILED", "CANCELLED"):
                raise AwsError("IllegalStatusException", f"Replay {replay['ReplayName']} is not running.")
            replay["State"] = "CANCELLING"
        return {"ReplayArn": replay["ReplayArn"], "State": "CANCELLING"}

    # ------------------------------------------------------------ connections and API destinations

    def _op_CreateConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        kind = _required(body, "AuthorizationType")
        if kind not in ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"):
            raise AwsError("ValidationException", f"AuthorizationType {kind} is not valid.")
        with self._lock:
            if name in self._connections:
                raise AwsError("ResourceAlreadyExistsException", f"Connection {name} already exists.")
            now = time.time()
            connection = {
                "Name": name,
                "ConnectionArn": self._cloud.arn("events", f"connection/{name}/{uuid.uuid4()}"),
                "ConnectionState": "AUTHORIZED",
                "AuthorizationType": kind,
                "AuthParameters": body.get("AuthParameters") or {},
                "Description": body.get("Description"),
                "CreationTime": now,
                "LastModifiedTime": now,
                "LastAuthorizedTime": now,
            }
            self._connections[name] = connection
        return {
            k: connection[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")
        }

    def _op_DescribeConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            connection = self._connections.get(_required(body, "Name"))
            if connection is None:
                raise AwsError("ResourceNotFoundException", f"Connection '{body['Name']}' does not exist.")
            described = {k: v for k, v in connection.items() if k != "AuthParameters" and v is not None}
            described["AuthParameters"] = _redacted(connection["AuthParameters"])
        return described

    def _op_DeleteConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            connection = self._connections.pop(_required(body, "Name"), None)
            if connection is None:
                raise AwsError("ResourceNotFoundException", f"Connection '{body['Name']}' does not exist.")
        return {"ConnectionArn": connection["ConnectionArn"], "ConnectionState": "DELETING"}

    def _op_ListConnections(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        with self._lock:
            connections = [
                {k: v for k, v in c.items() if k != "AuthParameters"}
                for name, c in sorted(self._connections.items())
                if name.startswith(prefix)
            ]
        return _page(connections, "Connections", body)

    def _op_CreateApiDestination(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _required(body, "Name")
        connection_arn = _required(body, "ConnectionArn")
        endpoint = _required(body, "InvocationEndpoint")
        method = _required(body, "HttpMethod")
        if method not in ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"):
            raise AwsError("ValidationException", f"HttpMethod {method} is not valid.")
        with self._lock:
            if not any(c["ConnectionArn"] == connection_arn for c in self._connections.values()):
                raise AwsError("ResourceNotFoundException", f"Connection {connection_arn} does not exist.")
            if name in self._destinations:
                raise AwsError("ResourceAlreadyExistsException", f"ApiDestination {name} already exists.")
            now = time.time()
            destination = {
                "Name": name,
                "ApiDestinationArn": self._cloud.arn("events", f"api-destination/{name}/{uuid.uuid4()}"),
                "ApiDestinationState": "ACTIVE",
                "ConnectionArn": connection_arn,
                "InvocationEndpoint": endpoint,
                "HttpMethod": method,
                "InvocationRateLimitPerSecond": body.get("InvocationRateLimitPerSecond", 300),
                "Description": body.get("Description"),
                "CreationTime": now,
                "LastModifiedTime": now,
            }
            self._destinations[name] = destination
        return {
            k: destination[k]
            for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")
        }

    def _op_DescribeApiDestination(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            destination = self._destinations.get(_required(body, "Name"))
            if destination is None:
                raise AwsError("ResourceNotFoundException", f"ApiDestination {body['Name']} does not exist.")
            return {k: v for k, v in destination.items() if v is not None}

    def _op_ListApiDestinations(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        with self._lock:
            destinations = [
                dict(d) for name, d in sorted(self._destinations.items()) if name.startswith(prefix)
            ]
        return _page(destinations, "ApiDestinations", body)

    def _op_DeleteApiDestination(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._destinations.pop(_required(body, "Name"), None) is None:
                raise AwsError("ResourceNotFoundException", f"ApiDestination {body['Name']} does not exist.")
        return {}

    def api_destination(self, arn: str) -> dict[str, Any] | None:
        """The destination with its connection (auth included), for the dispatcher's HTTP call."""
        with self._lock:
            for destination in self._destinations.values():
                if destination["ApiDestinationArn"] == arn:
                    connection = next(
                        (
                            c
                            for c in self._connections.values()
                            if c["ConnectionArn"] == destination["ConnectionArn"]
                        ),
                        None,
                    )
                    return {**destination, "Connection": connection}
        return None

    # ------------------------------------------------------------ tags

    def _set_tags(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        if tags:
            self._tags.setdefault(arn, {}).update({t["Key"]: t["Value"] for t in tags})

    def _op_TagResource(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._set_tags(_required(body, "ResourceARN"), body.get("Tags") or [])
        return {}

    def _op_UntagResource(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            tags = self._tags.get(_required(body, "ResourceARN"), {})
            for key in body.get("TagKeys") or []:
                tags.pop(key, None)
        return {}

    def _op_ListTagsForResource(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            tags = self._tags.get(_required(body, "ResourceARN"), {})
            return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    # ------------------------------------------------------------ for the DLQ tools

    def rule_targets(self) -> list[tuple[str, dict[str, Any]]]:
        """(rule ARN, target) for every target of every rule."""
        with self._lock:
            return [
                (rule.arn, dict(target))
                for bus in self._buses.values()
                for rule in bus.rules.values()
                for target in rule.targets.values()
            ]

    def redeliver(self, rule_arn: str, target_arn: str, event: dict[str, Any]) -> None:
        """One synchronous attempt to deliver an event again to a rule's target; raises DeliveryError."""
        from local.contracts import DeliveryError

        with self._lock:
            found = [
                (bus, rule)
                for bus in self._buses.values()
                for rule in bus.rules.values()
                if rule.arn == rule_arn
            ]
            if not found:
                raise DeliveryError("RULE_NOT_FOUND", f"rule {rule_arn} no longer exists", retryable=False)
            rule = found[0][1]
            targets = [t for t in rule.targets.values() if t.get("Arn") == target_arn]
        if not targets:
            raise DeliveryError("NO_RESOURCE", f"rule {rule_arn} has no target {target_arn}", retryable=False)
        context = RuleContext(rule_arn=rule.arn, rule_name=rule.name, ingestion_time=_fmt(_now()))
        try:
            payload = render_target_input(targets[0], event, context)
        except TransformError as error:
            raise DeliveryError(error.code, error.message, retryable=False) from error
        if payload is not None:
            self._dispatcher.deliver(targets[0], payload, source_arn=rule.arn)


class _EntryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value null at '{name[:1].lower()}"
            f"{name[1:]}' failed to satisfy constraint: Member must not be null",
        )
    return str(value)


def _event_time(value: Any) -> str:
    if value is None or value == "":
        return _fmt(_now())
    if isinstance(value, int | float):
        return _fmt(datetime.fromtimestamp(value, UTC))
    try:
        return _fmt(datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC))
    except ValueError:
        return _fmt(_now())


def _redacted(parameters: dict[str, Any]) -> dict[str, Any]:
    """DescribeConnection never returns secrets."""
    redacted = json.loads(json.dumps(parameters))
    for section, secret in (("ApiKeyAuthParameters", "ApiKeyValue"), ("BasicAuthParameters", "Password")):
        redacted.get(section, {}).pop(secret, None)
    return redacted


def _page(items: list[Any], key: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        start = int(body.get("NextToken") or 0)
        size = int(body.get("Limit") or 100)
    except (TypeError, ValueError) as exc:
        raise AwsError("ValidationException", "NextToken or Limit is not valid.") from exc
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def install(
    cloud: Any, *, retry_time_scale: float = 0.01, rate_time_scale: float = 1.0, workers: int = 4
) -> tuple[EventBridgeService, Any]:
    """Wire target delivery (`cloud.targets`), EventBridge, Scheduler and the DLQ routes into a cloud."""
    from local import dlq
    from local.scheduler import SchedulerService

    cloud.targets = TargetDispatcher(cloud, workers=workers, time_scale=retry_time_scale)
    events = EventBridgeService(cloud)
    scheduler = SchedulerService(cloud, rate_time_scale=rate_time_scale)
    cloud.add_service(events)
    cloud.add_service(scheduler)
    dlq.register_routes(cloud)
    return events, scheduler
