"""PutEvents entries from contract models, without boto3: the `Publisher` protocol domain code depends on,
the size rules (EventBridge's 256 KB, our 64 KB detail budget), batching, and the errors a publisher raises.

`shared.events.publisher.EventPublisher` sends these entries with boto3; `shared.events.testing.FakePublisher`
builds the same entries in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shared.events.base import EventDetail

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

MAX_ENTRIES_PER_CALL = 10  # PutEvents limit
MAX_ENTRY_BYTES = 256 * 1024  # EventBridge's hard limit for one entry, and for one PutEvents request
# Our own budget, far below the hard limit: large payloads belong in S3 and events carry keys.
DETAIL_BUDGET_BYTES = 64 * 1024
TRACE_HEADER_ENV = "_X_AMZN_TRACE_ID"


class Publisher(Protocol):
    """What domain code needs: publish some details, get their event ids back."""

    def publish(self, *details: EventDetail, resources: Sequence[str] = ()) -> list[str]: ...


@dataclass(frozen=True)
class FailedEntry:
    index: int
    source: str
    detail_type: str
    error_code: str
    error_message: str


class PublishError(Exception):
    """Some entries were not accepted; `event_ids` holds the ids of those that were (None where failed)."""

    def __init__(self, failures: list[FailedEntry], event_ids: list[str | None]) -> None:
        self.failures = failures
        self.event_ids = event_ids
        listed = "; ".join(
            f"#{f.index} {f.source}/{f.detail_type}: {f.error_code} {f.error_message}" for f in failures
        )
        super().__init__(f"{len(failures)} of {len(event_ids)} events not published: {listed}")


class DetailTooLargeError(ValueError):
    def __init__(self, source: str, detail_type: str, size: int, limit: int) -> None:
        super().__init__(
            f"{source}/{detail_type} detail is {size} bytes, over the {limit}-byte budget: "
            "store large payloads in S3 and send keys"
        )
        self.size = size
        self.limit = limit


def entry_size(entry: PutEventsRequestEntryTypeDef | Mapping[str, Any]) -> int:
    """EventBridge's way of counting an entry's size: Time (14 bytes, when set), Source, DetailType, Detail,
    Resources. The publisher checks its entries with it; the local bus checks what callers send."""
    size = 14 if entry.get("Time") else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    size += sum(len(str(resource).encode()) for resource in entry.get("Resources") or [])
    return size


def build_entry(
    detail: EventDetail,
    bus_name: str,
    resources: Sequence[str] = (),
    trace_header: str | None = None,
    max_detail_bytes: int = DETAIL_BUDGET_BYTES,
) -> PutEventsRequestEntryTypeDef:
    """One PutEvents entry from a contract model; refuses a detail over `max_detail_bytes`."""
    body = detail.model_dump_json(by_alias=True)
    size = len(body.encode())
    if size > min(max_detail_bytes, MAX_ENTRY_BYTES):
        raise DetailTooLargeError(detail.event_source(), detail.detail_type, size, max_detail_bytes)
    entry: PutEventsRequestEntryTypeDef = {
        "Source": detail.event_source(),
        "DetailType": detail.detail_type,
        "Detail": body,
        "EventBusName": bus_name,
        "Resources": list(resources),
    }
    if trace_header:
        entry["TraceHeader"] = trace_header
    if entry_size(entry) > MAX_ENTRY_BYTES:
        raise DetailTooLargeError(
            detail.event_source(), detail.detail_type, entry_size(entry), MAX_ENTRY_BYTES
        )
    return entry


def chunks(entries: list[PutEventsRequestEntryTypeDef]) -> Iterator[list[PutEventsRequestEntryTypeDef]]:
    """Batches of at most 10 entries and 256 KB in total."""
    batch: list[PutEventsRequestEntryTypeDef] = []
    batch_bytes = 0
    for entry in entries:
        size = entry_size(entry)
        if batch and (len(batch) == MAX_ENTRIES_PER_CALL or batch_bytes + size > MAX_ENTRY_BYTES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(entry)
        batch_bytes += size
    if batch:
        yield batch
