"""svideo's event contract v1: detail models, the envelope, the registry of event types, the publisher.

Models are the source of truth; docs/events.md is the catalog and `shared.events.schemas` exports them to
the EventBridge Schema Registry (imported on its own, by the CDK app).

Importing the package loads pydantic only: `Envelope` (a Powertools model) and `EventPublisher` (boto3) are
loaded on first use, so domain modules may import the contract without an AWS SDK.
"""

import importlib
from typing import TYPE_CHECKING, Any

from shared.events.aws import IvsRecordingStateChange, IvsStreamStateChange, TranscribeJobStateChange
from shared.events.base import STRICT, AwsEventDetail, EventDetail, Meta, SvideoEvent
from shared.events.channel import (
    BroadcastEnded,
    BroadcastStarted,
    ChannelCreated,
    ChannelDeleted,
    RecordingEnded,
    RecordingFailed,
    StreamKeyRotated,
)
from shared.events.entries import DetailTooLargeError, Publisher, PublishError
from shared.events.generative import AvatarsGenerated, TitlesGenerated, TranscriptCompleted
from shared.events.plugins import LifecycleCompleted, PluginCompleted, PluginInvoked
from shared.events.postprocess import VideoProcessed, VideoProcessingFailed
from shared.events.registry import (
    ALL_MODELS,
    EVENT_TYPES,
    EventContractError,
    EventValidationError,
    UnknownEventTypeError,
    model_for,
    parse_detail,
    parse_event,
)
from shared.events.video import TitleSelected, TitlesRegenerateRequested, VideoPublished, VideoStatusChanged

if TYPE_CHECKING:
    from shared.events.envelope import Envelope
    from shared.events.publisher import EventPublisher

_LAZY = {"Envelope": "shared.events.envelope", "EventPublisher": "shared.events.publisher"}


def __getattr__(name: str) -> Any:
    """`Envelope` and `EventPublisher`, imported when first asked for (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALL_MODELS",
    "EVENT_TYPES",
    "STRICT",
    "AvatarsGenerated",
    "AwsEventDetail",
    "BroadcastEnded",
    "BroadcastStarted",
    "ChannelCreated",
    "ChannelDeleted",
    "DetailTooLargeError",
    "Envelope",
    "EventContractError",
    "EventDetail",
    "EventPublisher",
    "EventValidationError",
    "IvsRecordingStateChange",
    "IvsStreamStateChange",
    "LifecycleCompleted",
    "Meta",
    "PluginCompleted",
    "PluginInvoked",
    "PublishError",
    "Publisher",
    "RecordingEnded",
    "RecordingFailed",
    "StreamKeyRotated",
    "SvideoEvent",
    "TitleSelected",
    "TitlesGenerated",
    "TitlesRegenerateRequested",
    "TranscribeJobStateChange",
    "TranscriptCompleted",
    "UnknownEventTypeError",
    "VideoProcessed",
    "VideoProcessingFailed",
    "VideoPublished",
    "VideoStatusChanged",
    "model_for",
    "parse_detail",
    "parse_event",
]
