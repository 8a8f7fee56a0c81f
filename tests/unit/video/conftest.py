from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from services.video.changes import change_for
from services.video.domain import Catalog, Outcome
from services.video.handlers import dependencies
from services.video.handlers.dependencies import Dependencies
from shared.events import parse_event
from tests.unit.video.fakes import FakeMediaStore, InMemoryVideoRepository
from tests.unit.video.support import T0


@dataclass
class World:
    repository: InMemoryVideoRepository
    media: FakeMediaStore
    catalog: Catalog

    def apply(self, raw: dict[str, Any], now: datetime = T0) -> Outcome:
        change = change_for(parse_event(raw))
        assert change is not None
        return self.catalog.apply(change, now)

    def statuses(self) -> list[tuple[str | None, str]]:
        return [(d["from"], d["to"]) for d in self.repository.details_json() if "to" in d]


@pytest.fixture
def world() -> Iterator[World]:
    repository, media = InMemoryVideoRepository(), FakeMediaStore()
    catalog = Catalog(repository, media=media)
    dependencies.use(Dependencies(catalog=catalog, media=media))
    yield World(repository, media, catalog)
    dependencies.use(None)


class FakeLambdaContext:
    function_name = "video-test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:video-test"
    aws_request_id = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
