"""An in-memory `Publisher` for unit tests of other services (no boto3, no network).

It builds the same entries as `EventPublisher` (same serialisation and size check), so a detail that the
real publisher would refuse is refused here too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from shared.events.base import EventDetail
from shared.events.entries import DETAIL_BUDGET_BYTES, build_entry

DetailT = TypeVar("DetailT", bound=EventDetail)


class FakePublisher:
    """Records what was published; `entries` are the PutEvents entries the real publisher would send."""

    def __init__(self, bus_name: str = "svideo-test", max_detail_bytes: int = DETAIL_BUDGET_BYTES) -> None:
        self.bus_name = bus_name
        self.max_detail_bytes = max_detail_bytes
        self.published: list[EventDetail] = []
        self.entries: list[dict[str, Any]] = []

    def publish(self, *details: EventDetail, resources: Sequence[str] = ()) -> list[str]:
        built = [build_entry(d, self.bus_name, resources, None, self.max_detail_bytes) for d in details]
        self.published.extend(details)
        self.entries.extend(dict(entry) for entry in built)
        return [str(uuid.uuid4()) for _ in details]

    def of_type(self, model: type[DetailT]) -> list[DetailT]:
        """The published details of one model, in order."""
        return [detail for detail in self.published if isinstance(detail, model)]

    def details_json(self) -> list[dict[str, Any]]:
        """The `Detail` of each entry as consumers will receive it."""
        return [json.loads(entry["Detail"]) for entry in self.entries]

    def clear(self) -> None:
        self.published.clear()
        self.entries.clear()
