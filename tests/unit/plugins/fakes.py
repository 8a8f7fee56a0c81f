"""In-memory ports of the plugin service and builders for manifests and events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.plugins.invocation_log import InvocationEntry, InvocationPage
from services.plugins.lifecycle import DeadlineMessage, LifecycleService, LifecycleState
from services.plugins.manifest import PluginManifest, parse_manifest
from services.plugins.tokens import TokenSigner
from shared.events import PluginCompleted, PluginInvoked, VideoProcessed, parse_event
from shared.events.base import Meta
from shared.events.plugins import plugin_source
from shared.events.testing import FakePublisher

EVENTS = Path(__file__).resolve().parents[2] / "events"
KEY = b"k" * 32


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 14, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeLifecycleStore:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.log: dict[str, InvocationEntry] = {}
        self.log_writes: list[list[InvocationEntry]] = []

    def get(self, video_id: str) -> LifecycleState | None:
        if video_id not in self.items:
            return None
        state = LifecycleState.from_json(self.items[video_id])
        state.version = self.versions[video_id]
        return state

    def create(self, state: LifecycleState, log: Sequence[InvocationEntry] = ()) -> bool:
        if state.video_id in self.items:
            return False
        state.version = 1
        self.items[state.video_id], self.versions[state.video_id] = state.to_json(), 1
        self._log(log)
        return True

    def save(self, state: LifecycleState, expected_version: int, log: Sequence[InvocationEntry] = ()) -> bool:
        if self.versions.get(state.video_id) != expected_version:
            return False
        state.version = expected_version + 1
        self.items[state.video_id], self.versions[state.video_id] = state.to_json(), state.version
        self._log(log)
        return True

    def forget(self, video_id: str) -> int:
        if video_id not in self.items:
            return 0
        gone = [key for key, entry in self.log.items() if entry.video_id == video_id]
        for key in gone:
            del self.log[key]
        del self.items[video_id], self.versions[video_id]
        return len(gone) + 1

    def _log(self, entries: Sequence[InvocationEntry]) -> None:
        if entries:
            self.log_writes.append(list(entries))
        self.log.update({entry.invocation_id: entry for entry in entries})

    def page(self, plugin: str, limit: int, token: str | None) -> InvocationPage:
        """The log read like the plugin index: newest first; the token is the offset as text."""
        rows = sorted(
            (e for e in self.log.values() if e.plugin == plugin), key=lambda e: e.logged_at, reverse=True
        )
        start = int(token or 0)
        more = start + limit < len(rows)
        return InvocationPage(
            invocations=rows[start : start + limit], next_token=str(start + limit) if more else None
        )


class FakeCatalog:
    def __init__(self, *manifests: PluginManifest) -> None:
        self.manifests = list(manifests)
        self.outcomes: list[tuple[str, str, str]] = []

    def enabled_manifests(self) -> list[PluginManifest]:
        return list(self.manifests)

    def record_outcome(self, plugin: str, video_id: str, outcome: str) -> None:
        self.outcomes.append((plugin, video_id, outcome))


class FakeScheduler:
    def __init__(self) -> None:
        self.schedules: dict[str, tuple[datetime, DeadlineMessage]] = {}
        self.cancelled: list[str] = []

    def schedule(self, name: str, at: datetime, message: DeadlineMessage) -> None:
        self.schedules.setdefault(name, (at, message))

    def cancel(self, name: str) -> None:
        self.schedules.pop(name, None)
        self.cancelled.append(name)

    def due(self, now: datetime) -> list[DeadlineMessage]:
        """Fires (and deletes, like ActionAfterCompletion DELETE) every schedule due by `now`."""
        fired = [name for name, (at, _) in self.schedules.items() if at <= now]
        return [self.schedules.pop(name)[1] for name in sorted(fired)]


def manifest(name: str, hook: str = "preMetadata", **overrides: Any) -> PluginManifest:
    validation = hook in ("preValidate", "postValidate")
    schema = (
        {"type": "object", "required": ["valid"], "properties": {"valid": {"type": "boolean"},
                                                                 "reason": {"type": "string"}}}
        if validation
        else {"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}}}
    )  # fmt: skip
    data: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "description": f"the {name} test plugin",
        "author": "tests",
        "hook": hook,
        "timeout_seconds": 30,
        "output_schema": schema,
        "projection": {} if validation else {f"{name.replace('-', '_')}_value": "/value"},
    }
    return parse_manifest({**data, **overrides})


def video_processed(video_id: str = "vid-plugins-1") -> VideoProcessed:
    raw = json.loads((EVENTS / "svideo.postprocess" / "Video.Processed.json").read_text())
    raw["detail"]["video_id"] = video_id
    detail = parse_event(raw).detail
    assert isinstance(detail, VideoProcessed)
    return detail


class Harness:
    """A lifecycle service on fakes, with helpers that act like plugins and like the scheduler."""

    def __init__(self, *manifests: PluginManifest) -> None:
        self.clock = FakeClock()
        self.store = FakeLifecycleStore()
        self.publisher = FakePublisher()
        self.scheduler = FakeScheduler()
        self.signer = TokenSigner(KEY)
        self.service = LifecycleService(
            store=self.store,
            catalog=FakeCatalog(*manifests),
            publisher=self.publisher,
            scheduler=self.scheduler,
            signer=self.signer,
            clock=self.clock,
        )

    def invoked(self) -> list[PluginInvoked]:
        return self.publisher.of_type(PluginInvoked)

    def invocation(self, plugin: str, video_id: str | None = None) -> PluginInvoked:
        return next(i for i in self.invoked() if i.plugin == plugin and video_id in (None, i.video_id))

    def answer(
        self,
        plugin: str,
        output: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        source: str | None = None,
        error: tuple[str, str] | None = None,
        video_id: str | None = None,
    ) -> None:
        invoked = self.invocation(plugin, video_id)
        completed = PluginCompleted(
            meta=Meta.now(invoked.meta.correlation_id),
            video_id=invoked.video_id,
            plugin=plugin,
            invocation_id=invoked.invocation.id,
            token=token or invoked.invocation.token,
            status="failed" if error else "succeeded",
            output=None if error else (output if output is not None else {"value": plugin}),
            error={"code": error[0], "message": error[1]} if error else None,  # type: ignore[arg-type]
        )
        self.service.complete(completed, source or plugin_source(plugin))

    def pass_time(self, seconds: float) -> None:
        self.clock.advance(seconds)
        for message in self.scheduler.due(self.clock.now):
            self.service.expire(message)

    def state(self, video_id: str = "vid-plugins-1") -> LifecycleState:
        state = self.store.get(video_id)
        assert state is not None
        return state
