"""Every event type in the contract, and parsing by (source, detail-type) with errors that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.events.aws import IvsRecordingStateChange, IvsStreamStateChange, TranscribeJobStateChange
from shared.events.base import STRICT, EventDetail
from shared.events.channel import (
    BroadcastEnded,
    BroadcastStarted,
    ChannelCreated,
    ChannelDeleted,
    RecordingEnded,
    RecordingFailed,
    StreamKeyRotated,
)
from shared.events.generative import AvatarsGenerated, TitlesGenerated, TranscriptCompleted
from shared.events.plugins import (
    PLUGIN_SOURCE_PREFIX,
    LifecycleCompleted,
    PluginCompleted,
    PluginInvoked,
    plugin_source,
)
from shared.events.postprocess import VideoProcessed, VideoProcessingFailed
from shared.events.video import TitleSelected, TitlesRegenerateRequested, VideoPublished, VideoStatusChanged

if TYPE_CHECKING:  # the envelope is a Powertools model: loaded only by `parse_event`
    from shared.events.envelope import Envelope

ALL_MODELS: tuple[type[EventDetail], ...] = (
    IvsStreamStateChange,
    IvsRecordingStateChange,
    TranscribeJobStateChange,
    ChannelCreated,
    ChannelDeleted,
    StreamKeyRotated,
    BroadcastStarted,
    BroadcastEnded,
    RecordingEnded,
    RecordingFailed,
    VideoProcessed,
    VideoProcessingFailed,
    PluginInvoked,
    PluginCompleted,
    LifecycleCompleted,
    TranscriptCompleted,
    TitlesGenerated,
    AvatarsGenerated,
    VideoStatusChanged,
    VideoPublished,
    TitleSelected,
    TitlesRegenerateRequested,
)

# Plugin.Completed is registered under "svideo.plugin" and matched for every "svideo.plugin.<name>".
EVENT_TYPES: Mapping[tuple[str, str], type[EventDetail]] = {(m.source, m.detail_type): m for m in ALL_MODELS}
_ANY_PLUGIN_SOURCE = PluginCompleted.source


class EventContractError(ValueError):
    """An event does not fit the contract."""


class UnknownEventTypeError(EventContractError):
    def __init__(self, source: str, detail_type: str) -> None:
        super().__init__(f"no event type {source!r} / {detail_type!r} in the contract")
        self.source = source
        self.detail_type = detail_type


class EventValidationError(EventContractError):
    """Lists each problem as `field.path: message`; `fields` holds the paths alone."""

    def __init__(self, event_type: str, problems: list[tuple[str, str]]) -> None:
        self.event_type = event_type
        self.problems = problems
        self.fields = [field for field, _ in problems]
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        super().__init__(f"{event_type}: {listed}")

    @classmethod
    def from_pydantic(cls, event_type: str, error: ValidationError, prefix: str = "") -> EventValidationError:
        problems = []
        for item in error.errors(include_url=False):
            base = ".".join(p for p in (prefix, *map(str, item["loc"])) if p)
            # Model-level checks (extra fields, key material) name their fields in ctx; report each one.
            ctx = item.get("ctx") or {}
            for name in ctx.get("fields") or [""]:
                path = ".".join(p for p in (base, name) if p) or "<root>"
                problems.append((path, ctx.get("reason", item["msg"])))
        return cls(event_type, problems)


def model_for(source: str, detail_type: str) -> type[EventDetail]:
    """The detail model of an event type; every `svideo.plugin.<name>` source maps to the plugin-wide ones."""
    model = EVENT_TYPES.get((source, detail_type))
    if model is None and source.startswith(PLUGIN_SOURCE_PREFIX):
        model = EVENT_TYPES.get((_ANY_PLUGIN_SOURCE, detail_type))
    if model is None:
        raise UnknownEventTypeError(source, detail_type)
    return model


def _check_plugin_source(source: str, detail: EventDetail, event_type: str, field: str) -> None:
    if isinstance(detail, PluginCompleted) and source != plugin_source(detail.plugin):
        raise EventValidationError(
            event_type,
            [(field, f"plugin {detail.plugin!r} must publish as {plugin_source(detail.plugin)!r}")],
        )


def parse_detail(
    source: str, detail_type: str, detail: Mapping[str, Any], *, strict: bool = False
) -> EventDetail:
    """Validate one detail. Unknown fields are ignored unless `strict` (see shared/events/base.py)."""
    model = model_for(source, detail_type)
    event_type = f"{source}/{detail_type}"
    try:
        parsed = model.model_validate(detail, context=STRICT if strict else None)
    except ValidationError as error:
        raise EventValidationError.from_pydantic(event_type, error) from error
    _check_plugin_source(source, parsed, event_type, "plugin")
    return parsed


def parse_event(raw_event: Mapping[str, Any], *, strict: bool = False) -> Envelope[EventDetail]:
    """Validate a whole EventBridge event, choosing the detail model from its source and detail-type."""
    from shared.events.envelope import Envelope  # a Powertools model: handlers only

    missing = [key for key in ("source", "detail-type") if not isinstance(raw_event.get(key), str)]
    if missing:
        raise EventValidationError("<unknown event>", [(key, "Field required (a string)") for key in missing])
    source, detail_type = raw_event["source"], raw_event["detail-type"]
    model = model_for(source, detail_type)
    event_type = f"{source}/{detail_type}"
    try:
        envelope = Envelope[model].model_validate(raw_event, context=STRICT if strict else None)  # type: ignore[valid-type]
    except ValidationError as error:
        raise EventValidationError.from_pydantic(event_type, error) from error
    _check_plugin_source(source, envelope.detail, event_type, "detail.plugin")
    return envelope
