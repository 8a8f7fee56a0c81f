"""What the catalog's domain needs from storage, without an AWS SDK: the repository protocol and its errors.

`services.video.repository.DynamoVideoRepository` implements it on DynamoDB; unit tests use an in-memory one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.video.models import HistoryEntry, Page, VersionPage, Video
from shared.events.base import EventDetail, VideoStatus

# DynamoDB's TransactWriteItems ceiling: a change, its history parts and its outbox must fit in one.
TRANSACTION_ITEMS = 100


class DuplicateEventError(Exception):
    """This event was already recorded against the video: applying it again is a no-op."""


class ConcurrentChangeError(Exception):
    """The video changed between read and write; the caller re-reads (SQS redelivery) or gives up."""


class VideoRepository(Protocol):
    def get(self, video_id: str) -> Video | None: ...

    def save(
        self,
        before: Video | None,
        after: Video,
        entry: HistoryEntry,
        outbox: Sequence[EventDetail] = (),
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        """Write `after`, `entry`, its `parts` and the events to publish in one transaction (at most
        TRANSACTION_ITEMS items), removing the parked fact `unparked` if named: raises DuplicateEventError or
        ConcurrentChangeError, and then nothing is written and nothing is published."""
        ...

    def record(
        self,
        video_id: str,
        entry: HistoryEntry,
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        """Record an event that changes nothing, with its parts, removing the parked fact `unparked` if named
        (raises DuplicateEventError if already recorded)."""
        ...

    def park(self, video_id: str, event_id: str, change: str) -> None:
        """Keep a change that cannot apply yet (raises DuplicateEventError if it is kept already)."""
        ...

    def parked(self, video_id: str) -> list[str]:
        """The changes kept for this video, as `park` was given them."""
        ...

    def unpark(self, video_id: str, event_id: str) -> None:
        """Drop a kept change (one applied by another delivery meanwhile)."""
        ...

    def history(self, video_id: str) -> list[HistoryEntry]: ...

    def purge(self, video_id: str, *, keep_event_id: str) -> int:
        """Remove the video's history and its outbox items but `keep_event_id`'s; returns how many."""
        ...

    def list_by_channel(
        self, channel_id: str, *, published_only: bool, limit: int, token: str | None
    ) -> Page: ...

    def list_published(self, *, limit: int, token: str | None) -> Page: ...

    def published_versions(self, *, limit: int, token: str | None) -> VersionPage:
        """`list_published`'s page as (video id, version) pairs only, the same tokens."""
        ...

    def get_many(self, video_ids: Sequence[str]) -> list[Video]:
        """The current record of each video that exists, in no particular order."""
        ...

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page: ...

    def list_by_status(
        self, status: VideoStatus, *, due_before: datetime | None, limit: int, token: str | None
    ) -> Page: ...

    def channel_owner(self, channel_id: str) -> str | None: ...

    def put_channel(
        self, channel_id: str, owner_id: str, *, deleted: bool = False, name: str | None = None
    ) -> None: ...

    def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        """Display names of the channels that have one (from Channel.Created), by id."""
        ...
