"""The plugin lifecycle of one video: a small state machine persisted as one item, advanced by three inputs.

Inputs: `Video.Processed` (start), `Plugin.Completed` (an answer), a deadline (one invocation's, or the whole
lifecycle's backstop). Hooks run in order; a hook's plugins run in parallel as soon as the plugins they name
in `after` have an outcome; a hook ends when every plugin in it has one, so nothing waits forever.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from services.plugins.budget import lifecycle_budget
from services.plugins.invocation_log import REASON_CHARS, InvocationEntry, preview, redact
from services.plugins.manifest import VALIDATION_HOOKS, PluginManifest
from services.plugins.tokens import TokenSigner
from shared.events.base import HOOK_ORDER, MAX_INLINE_JSON_BYTES, Hook, Meta
from shared.events.entries import Publisher
from shared.events.plugins import (
    Invocation,
    LifecycleCompleted,
    PluginCompleted,
    PluginInvoked,
    PluginResult,
    Verdict,
    VideoRef,
    plugin_source,
)
from shared.events.postprocess import VideoProcessed

log = logging.getLogger(__name__)

InvocationStatus = Literal["waiting", "pending", "succeeded", "failed", "timed_out", "rejected", "skipped"]
OUTCOMES: frozenset[str] = frozenset({"succeeded", "failed", "timed_out", "rejected", "skipped"})
MAX_LIFECYCLE = timedelta(hours=4)
MAX_REJECTIONS_KEPT = 50
MAX_SAVE_ATTEMPTS = 10
INPUTS_BUDGET_BYTES = 2 * MAX_INLINE_JSON_BYTES
UNKNOWN_OWNER = "unknown"  # Video.Processed from before owners travelled with it
_IDS = uuid.UUID("6f1d5c1e-2b7a-4e0c-9a53-8d2f0b4c7e91")


def invocation_id(video_id: str, hook: str, plugin: str) -> str:
    """Deterministic, so a retried transition signs and schedules the same invocation again."""
    return f"inv-{uuid.uuid5(_IDS, f'{video_id}/{hook}/{plugin}').hex}"


def invocation_schedule_name(invocation: str) -> str:
    return f"svideo-{invocation}"[:64]


def lifecycle_schedule_name(video_id: str) -> str:
    return f"svideo-lc-{uuid.uuid5(_IDS, video_id).hex}"


class InvocationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plugin: str
    hook: Hook
    id: str
    status: InvocationStatus = "waiting"
    invoked_at: datetime | None = None
    deadline: datetime | None = None
    finished_at: datetime | None = None
    output: dict[str, Any] | None = None
    reason: str | None = None
    late: str | None = Field(default=None, description="A completion that came after the deadline")

    def log_entry(self, video_id: str, token: str | None) -> InvocationEntry:
        """This invocation as the invocation log shows it; `token` is only used to keep it out."""
        elapsed = (self.finished_at - self.invoked_at) if self.finished_at and self.invoked_at else None
        return InvocationEntry(
            invocation_id=self.id,
            plugin=self.plugin,
            video_id=video_id,
            hook=self.hook,
            status="skipped" if self.status == "waiting" else self.status,
            started_at=self.invoked_at,
            ended_at=self.finished_at,
            duration_ms=max(0, int(elapsed.total_seconds() * 1000)) if elapsed else None,
            reason=redact(self.reason, token)[:REASON_CHARS] if self.reason else None,
            output_preview=preview(self.output, token),
        )

    def result(self) -> PluginResult:
        elapsed = (self.finished_at - self.invoked_at) if self.finished_at and self.invoked_at else None
        return PluginResult(
            plugin=self.plugin,
            hook=self.hook,
            status=self.status if self.status in OUTCOMES else "skipped",
            reason=self.reason,
            duration_ms=max(0, int(elapsed.total_seconds() * 1000)) if elapsed else 0,
        )


class Rejection(BaseModel):
    """A completion that changed nothing: forged, reused, late, from the wrong source."""

    at: datetime
    plugin: str
    invocation_id: str
    reason: str


class LifecycleState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video_id: str
    correlation_id: str
    video: VideoRef
    status: Literal["running", "completed"] = "running"
    hook_index: int = 0
    started_at: datetime
    deadline: datetime
    manifests: dict[str, PluginManifest]
    invocations: dict[str, InvocationRecord]
    verdict: Verdict | None = None
    reason: str | None = None
    completed_at: datetime | None = None
    completion_published: bool = False
    rejections: list[Rejection] = Field(default_factory=list)
    version: int = 0

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> LifecycleState:
        return cls.model_validate_json(text)

    def results(self) -> list[PluginResult]:
        order = {hook: index for index, hook in enumerate(HOOK_ORDER)}
        records = sorted(self.invocations.values(), key=lambda r: (order[r.hook], r.plugin))
        return [record.result() for record in records]

    def video_fields(self) -> dict[str, Any]:
        """Succeeded plugins' projections, in hook order (a later hook's field wins on a clash)."""
        fields: dict[str, Any] = {}
        order = {hook: index for index, hook in enumerate(HOOK_ORDER)}
        for record in sorted(self.invocations.values(), key=lambda r: (order[r.hook], r.plugin)):
            if record.status == "succeeded" and record.output is not None:
                fields.update(self.manifests[record.plugin].project(record.output))
        return fields


class DeadlineMessage(BaseModel):
    """What a deadline schedule delivers to the lifecycle queue; no `invocation_id` = the backstop."""

    kind: Literal["svideo.plugins.deadline"] = "svideo.plugins.deadline"
    video_id: str
    invocation_id: str | None = None


class LifecycleStore(Protocol):
    def get(self, video_id: str) -> LifecycleState | None: ...

    def create(self, state: LifecycleState, log: Sequence[InvocationEntry] = ()) -> bool:
        """False when a lifecycle for this video exists already; `log` is written with the state or not."""
        ...

    def save(self, state: LifecycleState, expected_version: int, log: Sequence[InvocationEntry] = ()) -> bool:
        """Writes `state` (its version bumped) and `log` only if the stored version is `expected_version`."""
        ...

    def forget(self, video_id: str) -> int:
        """A deleted video: its lifecycle state and its invocations' log rows go; returns how many items."""
        ...


class PluginCatalog(Protocol):
    def enabled_manifests(self) -> list[PluginManifest]: ...

    def record_outcome(self, plugin: str, video_id: str, outcome: str) -> None:
        """One more video's invocation of `plugin` ended with `outcome` (repeated timeouts disable it)."""
        ...


class DeadlineScheduler(Protocol):
    def schedule(self, name: str, at: datetime, message: DeadlineMessage) -> None:
        """A one-time schedule; creating one that exists already is not an error."""
        ...

    def cancel(self, name: str) -> None:
        """Deletes a schedule that is no longer needed; one that is gone already is not an error."""
        ...


def _whole_second_after(moment: datetime, seconds: float) -> datetime:
    """Deadlines on whole seconds: `at()` schedules have second resolution and the token signs the value."""
    target = moment + timedelta(seconds=seconds)
    return datetime.fromtimestamp(math.ceil(target.timestamp()), UTC)


# ------------------------------------------------------------------------- pure transitions


def _dependencies(state: LifecycleState, record: InvocationRecord) -> list[InvocationRecord]:
    after = state.manifests[record.plugin].after
    return [
        state.invocations[name]
        for name in after
        if name in state.invocations and state.invocations[name].hook == record.hook
    ]


def _finish(
    state: LifecycleState, now: datetime, verdict: Verdict, reason: str | None, leftover: str
) -> None:
    for record in state.invocations.values():
        if record.status == "pending":
            record.status, record.reason, record.finished_at = "timed_out", leftover, now
        elif record.status == "waiting":
            record.status, record.reason, record.finished_at = "skipped", leftover, now
    state.status, state.verdict, state.reason, state.completed_at = "completed", verdict, reason, now


def _invalid_reason(state: LifecycleState, hook: Hook) -> str | None:
    for record in sorted(state.invocations.values(), key=lambda r: r.plugin):
        output = record.output if record.hook == hook and record.status == "succeeded" else None
        if output is not None and output.get("valid") is False:
            said = output.get("reason") or "no reason given"
            return f"{record.plugin}: {said}"
    return None


def advance(state: LifecycleState, now: datetime) -> list[InvocationRecord]:
    """Starts every plugin that may start now; ends hooks and the lifecycle when they are done."""
    while state.status == "running":
        if state.hook_index >= len(HOOK_ORDER):
            _finish(state, now, "valid", None, "lifecycle ended")
            break
        hook = HOOK_ORDER[state.hook_index]
        records = sorted((r for r in state.invocations.values() if r.hook == hook), key=lambda r: r.plugin)
        started = []
        for record in records:
            ready = all(dep.status in OUTCOMES for dep in _dependencies(state, record))
            if record.status == "waiting" and ready:
                timeout = state.manifests[record.plugin].timeout_seconds
                record.status, record.invoked_at = "pending", now
                record.deadline = _whole_second_after(now, timeout)
                started.append(record)
        if started:
            return started
        if any(record.status == "pending" for record in records):
            return []
        stuck = [record for record in records if record.status == "waiting"]
        for record in stuck:  # only reachable through an `after` cycle the registry failed to refuse
            record.status, record.finished_at = "skipped", now
            record.reason = "its `after` plugins can never finish (cycle)"
        if hook in VALIDATION_HOOKS and (reason := _invalid_reason(state, hook)):
            _finish(state, now, "invalid", reason, f"skipped: the video was found invalid in {hook}")
            break
        state.hook_index += 1
    return []


def _reject(state: LifecycleState, now: datetime, completed: PluginCompleted, reason: str) -> None:
    log.warning(
        "completion rejected",
        extra={"video_id": state.video_id, "plugin": completed.plugin, "reason": reason},
    )
    rejection = Rejection(
        at=now, plugin=completed.plugin, invocation_id=completed.invocation_id, reason=reason
    )
    state.rejections = [*state.rejections, rejection][-MAX_REJECTIONS_KEPT:]


def accept_completion(
    state: LifecycleState, completed: PluginCompleted, source: str, signer: TokenSigner, now: datetime
) -> bool:
    """Records the plugin's answer if it is genuine and first; returns whether the state changed an outcome.

    A forged, misdirected or reused completion only adds a rejection: it must not spoil the genuine answer.
    An answer from the plugin itself that breaks its schema is its outcome (`rejected`).
    """
    record = state.invocations.get(completed.plugin)
    if record is None or record.id != completed.invocation_id:
        _reject(state, now, completed, "no such invocation of this plugin for this video")
        return False
    if source != plugin_source(completed.plugin):
        _reject(state, now, completed, f"published by {source!r}, not {plugin_source(completed.plugin)!r}")
        return False
    if record.deadline is None:
        _reject(state, now, completed, "the invocation has not been sent yet")
        return False
    if not signer.verify(completed.token, record.id, record.plugin, state.video_id, record.deadline):
        _reject(state, now, completed, "the token does not match the invocation")
        return False
    if record.status == "timed_out" or (record.status == "pending" and now > record.deadline):
        record.late = record.late or f"{completed.status} at {now.isoformat()}, after the deadline"
        if record.status == "pending":
            record.status, record.finished_at = "timed_out", now
            record.reason = f"no completion within {state.manifests[record.plugin].timeout_seconds}s"
            _reject(state, now, completed, "late: the deadline had passed")
            return True
        _reject(state, now, completed, "late: the invocation had already timed out")
        return False
    if record.status != "pending":
        _reject(state, now, completed, f"already {record.status}: a token is accepted once")
        return False
    record.finished_at = now
    if completed.status == "failed" and completed.error is not None:
        record.status, record.reason = "failed", f"{completed.error.code}: {completed.error.message}"
        return True
    output = dict(completed.output or {})
    problems = state.manifests[record.plugin].output_errors(output)
    if problems:
        record.status = "rejected"
        record.reason = ("output breaks the plugin's schema: " + "; ".join(problems))[:2000]
        return True
    record.status, record.output = "succeeded", output
    return True


def expire(state: LifecycleState, message: DeadlineMessage, now: datetime) -> bool:
    """A deadline fired; returns whether it changed anything."""
    if state.status != "running":
        return False
    if message.invocation_id is None:
        _finish(
            state,
            now,
            "failed",
            "the lifecycle deadline passed before every hook ended",
            "lifecycle deadline passed",
        )
        return True
    for record in state.invocations.values():
        if record.id == message.invocation_id and record.status == "pending":
            timeout = state.manifests[record.plugin].timeout_seconds
            record.status, record.finished_at = "timed_out", now
            record.reason = f"no completion within {timeout}s"
            return True
    return False


# ------------------------------------------------------------------------- the service


class LifecycleService:
    """Applies the transitions with optimistic locking and sends what they produce."""

    def __init__(
        self,
        *,
        store: LifecycleStore,
        catalog: PluginCatalog,
        publisher: Publisher,
        scheduler: DeadlineScheduler,
        signer: TokenSigner,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.publisher = publisher
        self.scheduler = scheduler
        self.signer = signer
        self.clock = clock

    def start(self, processed: VideoProcessed) -> bool:
        """Begins the lifecycle of a processed video; False for a duplicate `Video.Processed`."""
        if self.store.get(processed.video_id) is not None:
            log.info("lifecycle exists already", extra={"video_id": processed.video_id})
            return False
        now = self.clock()
        manifests = {m.name: m for m in self.catalog.enabled_manifests()}
        budget = lifecycle_budget(manifests.values())  # hooks one after another, each its longest chain
        owner = processed.owner_id or UNKNOWN_OWNER
        state = LifecycleState(
            video_id=processed.video_id,
            correlation_id=processed.meta.correlation_id,
            video=VideoRef(
                channel_id=processed.channel_id,
                owner_id=owner,
                duration_ms=processed.media.duration_ms,
                media=processed.media,
            ),
            started_at=now,
            deadline=_whole_second_after(now, min(budget, MAX_LIFECYCLE).total_seconds()),
            manifests=manifests,
            invocations={
                m.name: InvocationRecord(
                    plugin=m.name, hook=m.hook, id=invocation_id(processed.video_id, m.hook, m.name)
                )
                for m in manifests.values()
            },
        )
        started = advance(state, now)
        self.scheduler.schedule(
            lifecycle_schedule_name(state.video_id), state.deadline, DeadlineMessage(video_id=state.video_id)
        )
        self._schedule(state, started)
        if not self.store.create(state, self._log_entries(state, {})):
            log.info("lifecycle created concurrently", extra={"video_id": processed.video_id})
            return False
        self._send(state, started)
        if state.status == "completed":
            self._mark_published(state)
            self._cancel(state, set(), finishing=True)
        return True

    def forget(self, video_id: str) -> int:
        """The video was deleted: nothing of its lifecycle stays (plugin outputs and previews included)."""
        return self.store.forget(video_id)

    def complete(self, completed: PluginCompleted, source: str) -> None:
        now = self.clock()
        self._transition(
            completed.video_id,
            lambda state: accept_completion(state, completed, source, self.signer, now),
            always_save=True,
        )

    def expire(self, message: DeadlineMessage) -> None:
        now = self.clock()
        self._transition(message.video_id, lambda state: expire(state, message, now))

    def _transition(
        self, video_id: str, change: Callable[[LifecycleState], bool], always_save: bool = False
    ) -> None:
        for _ in range(MAX_SAVE_ATTEMPTS):
            state = self.store.get(video_id)
            if state is None:
                log.warning("no lifecycle for this video", extra={"video_id": video_id})
                return
            expected = state.version
            was_running = state.status == "running"
            rejections_before = len(state.rejections)
            pending_before = {r.id for r in state.invocations.values() if r.status == "pending"}
            statuses_before = {r.plugin: r.status for r in state.invocations.values()}
            changed = change(state)
            started = advance(state, self.clock()) if changed else []
            unpublished_end = state.status == "completed" and not state.completion_published
            if not changed and not always_save and unpublished_end:
                self._send(state, [])  # a previous attempt saved the end but could not publish it
                self._mark_published(state)
                return
            if not changed and len(state.rejections) == rejections_before:
                return
            self._schedule(state, started)
            finishing = was_running and state.status == "completed"
            if not self.store.save(state, expected, self._log_entries(state, statuses_before)):
                continue  # someone else moved it on: read again and re-apply
            self._send(state, started, finishing)
            if finishing:
                self._mark_published(state)
            self._cancel(state, pending_before, finishing)
            self._report_outcomes(state, statuses_before)
            return
        raise RuntimeError(f"lifecycle {video_id}: {MAX_SAVE_ATTEMPTS} conflicting writes in a row")

    def _report_outcomes(self, state: LifecycleState, before: Mapping[str, str]) -> None:
        """Tells the registry how each invocation this transition ended went (skipped ones never ran)."""
        for record in state.invocations.values():
            if before.get(record.plugin) == "pending" and record.status in OUTCOMES - {"skipped"}:
                try:
                    self.catalog.record_outcome(record.plugin, state.video_id, record.status)
                except Exception:  # bookkeeping must not fail the transition that is already saved
                    log.warning("outcome not recorded", extra={"plugin": record.plugin}, exc_info=True)

    def _log_entries(self, state: LifecycleState, before: Mapping[str, str]) -> list[InvocationEntry]:
        """A row for every invocation this transition started or ended (a waiting one is not logged yet)."""
        return [
            record.log_entry(state.video_id, self._token(state, record))
            for record in sorted(state.invocations.values(), key=lambda r: r.plugin)
            if record.status != "waiting" and before.get(record.plugin, "waiting") != record.status
        ]

    def _token(self, state: LifecycleState, record: InvocationRecord) -> str | None:
        if record.deadline is None:
            return None
        return self.signer.sign(record.id, record.plugin, state.video_id, record.deadline)

    def _mark_published(self, state: LifecycleState) -> None:
        for _ in range(MAX_SAVE_ATTEMPTS):
            expected = state.version
            state.completion_published = True
            if self.store.save(state, expected):
                return
            fresh = self.store.get(state.video_id)
            if fresh is None or fresh.completion_published:
                return
            state = fresh

    def _schedule(self, state: LifecycleState, started: Sequence[InvocationRecord]) -> None:
        for record in started:
            assert record.deadline is not None
            self.scheduler.schedule(
                invocation_schedule_name(record.id),
                record.deadline,
                DeadlineMessage(video_id=state.video_id, invocation_id=record.id),
            )

    def _cancel(self, state: LifecycleState, pending_before: set[str], finishing: bool) -> None:
        """Deletes the deadline schedules this transition made useless (hygiene and the Scheduler's quota);
        one left behind only fires into a no-op."""
        answered = [
            r.id for r in state.invocations.values() if r.id in pending_before and r.status != "pending"
        ]
        names = [invocation_schedule_name(invocation) for invocation in sorted(answered)]
        if finishing:
            names.append(lifecycle_schedule_name(state.video_id))
        for name in names:
            try:
                self.scheduler.cancel(name)
            except Exception:  # a failed cleanup must not fail the transition that is already saved
                log.warning("deadline schedule not deleted", extra={"schedule": name}, exc_info=True)

    def _send(
        self, state: LifecycleState, started: Sequence[InvocationRecord], finishing: bool | None = None
    ) -> None:
        meta = Meta.now(state.correlation_id)
        invocations = [self._invoked(state, record, meta) for record in started]
        if invocations:
            self.publisher.publish(*invocations)
        if finishing if finishing is not None else state.status == "completed":
            self.publisher.publish(
                LifecycleCompleted(
                    meta=meta,
                    video_id=state.video_id,
                    # The catalog creates the video from this if it is the first fact it sees about it.
                    channel_id=state.video.channel_id,
                    owner_id=None if state.video.owner_id == UNKNOWN_OWNER else state.video.owner_id,
                    verdict=state.verdict or "failed",
                    reason=state.reason,
                    results=state.results(),
                    video_fields=state.video_fields(),
                )
            )

    def _invoked(self, state: LifecycleState, record: InvocationRecord, meta: Meta) -> PluginInvoked:
        token = self._token(state, record)
        assert token is not None and record.deadline is not None
        return PluginInvoked(
            meta=meta,
            video_id=state.video_id,
            hook=record.hook,
            plugin=record.plugin,
            video=state.video,
            inputs=_inputs(state),
            invocation=Invocation(
                id=record.id,
                token=token,
                deadline=record.deadline,
            ),
        )


def _inputs(state: LifecycleState) -> dict[str, dict[str, Any]]:
    """Earlier plugins' outputs, within the inline budget (large outputs should be S3 keys anyway)."""
    inputs: dict[str, dict[str, Any]] = {}
    used = 2
    for record in sorted(state.invocations.values(), key=lambda r: r.plugin):
        if record.status == "succeeded" and record.output is not None:
            size = len(json.dumps({record.plugin: record.output}, separators=(",", ":")).encode())
            if used + size <= INPUTS_BUDGET_BYTES:
                inputs[record.plugin] = record.output
                used += size
    return inputs
