"""The handlers' collaborators, built once per cold start; tests swap them with `use`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3

from services.genai import config
from services.genai.dynamo_store import DynamoTitleBookStore
from services.genai.feedback import TitleFeedback
from shared.events.publisher import EventPublisher, Publisher


@dataclass
class Runtime:
    settings: config.GenAiSettings
    s3: Any
    publisher: Publisher
    feedback: TitleFeedback


_override: Runtime | None = None


def use(runtime: Runtime | None) -> None:
    """Swap the collaborators (tests); None goes back to the real ones."""
    global _override
    _override = runtime


@cache
def _real() -> Runtime:
    settings = config.settings()
    publisher = EventPublisher(settings.bus_name)
    table = boto3.resource("dynamodb").Table(settings.titles_table) if settings.titles_table else None
    store = DynamoTitleBookStore(table)
    feedback = TitleFeedback(store, publisher, settings.max_title_rounds)
    return Runtime(settings, boto3.client("s3"), publisher, feedback)


def current() -> Runtime:
    return _override or _real()
