"""The one publisher: contract models in, PutEvents out (chunks of 10, size-checked, trace header passed on).

Domain code depends on the `Publisher` protocol (`shared.events.entries`, no boto3); handlers pass in an
`EventPublisher`, unit tests a fake from shared/events/testing.py.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3

from shared.events.base import EventDetail
from shared.events.entries import (
    DETAIL_BUDGET_BYTES,
    MAX_ENTRIES_PER_CALL,
    MAX_ENTRY_BYTES,
    TRACE_HEADER_ENV,
    DetailTooLargeError,
    FailedEntry,
    Publisher,
    PublishError,
    build_entry,
    chunks,
    entry_size,
)

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

__all__ = [
    "DETAIL_BUDGET_BYTES",
    "MAX_ENTRIES_PER_CALL",
    "MAX_ENTRY_BYTES",
    "TRACE_HEADER_ENV",
    "DetailTooLargeError",
    "EventPublisher",
    "FailedEntry",
    "PublishError",
    "Publisher",
    "build_entry",
    "chunks",
    "entry_size",
]


class EventPublisher:
    """Publishes contract models to one bus; the boto3 client is created on first use unless injected."""

    def __init__(
        self,
        bus_name: str,
        client: EventBridgeClient | None = None,
        max_detail_bytes: int = DETAIL_BUDGET_BYTES,
    ) -> None:
        self.bus_name = bus_name
        self.max_detail_bytes = max_detail_bytes
        self._client = client

    @property
    def client(self) -> EventBridgeClient:
        if self._client is None:
            self._client = boto3.client("events")
        return self._client

    def publish(self, *details: EventDetail, resources: Sequence[str] = ()) -> list[str]:
        """Send every detail (all are size-checked before the first call); returns their event ids in order.

        AWS-shaped details (`aws.*`) are accepted for the local ingest; EventBridge itself refuses them.
        """
        trace_header = os.environ.get(TRACE_HEADER_ENV)
        entries = [
            build_entry(detail, self.bus_name, resources, trace_header, self.max_detail_bytes)
            for detail in details
        ]
        event_ids: list[str | None] = []
        failures: list[FailedEntry] = []
        for batch in chunks(entries):
            response: Any = self.client.put_events(Entries=batch)
            for entry, result in zip(batch, response["Entries"], strict=True):
                event_ids.append(result.get("EventId"))
                if "ErrorCode" in result or "EventId" not in result:
                    failures.append(
                        FailedEntry(
                            index=len(event_ids) - 1,
                            source=entry["Source"],
                            detail_type=entry["DetailType"],
                            error_code=result.get("ErrorCode", "Unknown"),
                            error_message=result.get("ErrorMessage", ""),
                        )
                    )
        if failures:
            raise PublishError(failures, event_ids)
        return [event_id for event_id in event_ids if event_id is not None]
