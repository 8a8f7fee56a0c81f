"""In-memory stand-ins for the catalog table and the media bucket, with the same conditions and tokens."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.video.models import HistoryEntry, Page, VersionPage, Video
from services.video.repository import (
    INDEX_KEYS,
    PUBLISHED_PARTITION,
    ConcurrentChangeError,
    DuplicateEventError,
    _history_item,
    _item,
    _purged,
    check_transaction_size,
    decode_token,
    encode_token,
    outbox_items,
    timestamp_key,
)
from services.video.search import Document
from shared.events.base import EventDetail, VideoStatus


class InMemoryVideoRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, Video] = {}
        self.entries: dict[str, dict[str, HistoryEntry]] = {}
        self.channels: dict[str, tuple[str, bool]] = {}
        self.names: dict[str, str] = {}
        self.outbox: list[dict[str, Any]] = []
        self.kept: dict[str, dict[str, str]] = {}  # parked changes by video, then event id
        self.purged_outbox: set[str] = set()

    def details_json(self) -> list[dict[str, Any]]:
        """The outbox's details in write order: what the Pipes put on the bus."""
        return [json.loads(item["detail"]) for item in self.outbox]

    def outbox_types(self) -> list[str]:
        return [item["outbox_type"] for item in self.outbox]

    def get(self, video_id: str) -> Video | None:
        return self.videos.get(video_id)

    def save(
        self,
        before: Video | None,
        after: Video,
        entry: HistoryEntry,
        outbox: Sequence[EventDetail] = (),
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        check_transaction_size(outbox, parts, unparked)  # DynamoDB refuses an oversized transaction
        history = self.entries.setdefault(after.video_id, {})
        sort_key = _history_item(after.video_id, entry)["SK"]
        if sort_key in history:
            raise DuplicateEventError(entry.event_id)
        current = self.videos.get(after.video_id)
        if (before is None and current is not None) or (
            before is not None and (current is None or current.version != before.version)
        ):
            raise ConcurrentChangeError(after.video_id)
        written = outbox_items(after.video_id, entry, outbox)  # refuses oversized details, as the table would
        for item in (entry, *parts):
            history[_history_item(after.video_id, item)["SK"]] = item
        self.videos[after.video_id] = after
        self.items[after.video_id] = _item(after)
        self.outbox.extend(written)
        if unparked is not None:
            self.kept.get(after.video_id, {}).pop(unparked, None)

    def record(
        self,
        video_id: str,
        entry: HistoryEntry,
        parts: Sequence[HistoryEntry] = (),
        unparked: str | None = None,
    ) -> None:
        check_transaction_size((), parts, unparked)
        history = self.entries.setdefault(video_id, {})
        if _history_item(video_id, entry)["SK"] in history:
            raise DuplicateEventError(entry.event_id)
        for item in (entry, *parts):
            history[_history_item(video_id, item)["SK"]] = item
        if unparked is not None:
            self.kept.get(video_id, {}).pop(unparked, None)

    def park(self, video_id: str, event_id: str, change: str) -> None:
        kept = self.kept.setdefault(video_id, {})
        if event_id in kept:
            raise DuplicateEventError(event_id)
        kept[event_id] = change

    def parked(self, video_id: str) -> list[str]:
        return [change for _, change in sorted(self.kept.get(video_id, {}).items())]

    def unpark(self, video_id: str, event_id: str) -> None:
        self.kept.get(video_id, {}).pop(event_id, None)

    def purge(self, video_id: str, *, keep_event_id: str) -> int:
        """`outbox` is what the stream carried (it stays); the table still holds `stored_outbox()`."""
        removed = len(self.entries.pop(video_id, {}))
        gone = {
            item["SK"]
            for item in self.outbox
            if item["PK"] == f"VIDEO#{video_id}" and _purged(item["SK"], keep_event_id)
        }
        self.purged_outbox |= gone
        return removed + len(gone)

    def stored_outbox(self) -> list[dict[str, Any]]:
        return [item for item in self.outbox if item["SK"] not in self.purged_outbox]

    def history(self, video_id: str) -> list[HistoryEntry]:
        return [entry for _, entry in sorted(self.entries.get(video_id, {}).items())]

    def _page(
        self,
        index: str,
        partition_value: str,
        limit: int,
        token: str | None,
        *,
        upper: str | None = None,
        newest_first: bool = True,
    ) -> Page:
        partition, sort = INDEX_KEYS[index]
        start = decode_token(token, index, partition_value)
        rows = sorted(
            (item for item in self.items.values() if item.get(partition) == partition_value and sort in item),
            key=lambda item: item[sort],
            reverse=newest_first,
        )
        if upper is not None:
            rows = [item for item in rows if item[sort] < upper]
        if start:
            rows = [
                item
                for item in rows
                if (item[sort] < start[sort]) == newest_first and item[sort] != start[sort]
            ]
        chosen = rows[:limit]
        last = None
        if len(rows) > limit:
            tail = chosen[-1]
            last = {"PK": tail["PK"], "SK": tail["SK"], partition: tail[partition], sort: tail[sort]}
        return Page([self.videos[item["video_id"]] for item in chosen], encode_token(last))

    def list_by_channel(
        self, channel_id: str, *, published_only: bool, limit: int, token: str | None
    ) -> Page:
        return self._page(
            "published-by-channel" if published_only else "by-channel", channel_id, limit, token
        )

    def list_published(self, *, limit: int, token: str | None) -> Page:
        return self._page("published", PUBLISHED_PARTITION, limit, token)

    def published_versions(self, *, limit: int, token: str | None) -> VersionPage:
        page = self.list_published(limit=limit, token=token)
        return VersionPage([(v.video_id, v.version) for v in page.videos], page.next_token)

    def get_many(self, video_ids: Sequence[str]) -> list[Video]:
        return [self.videos[video_id] for video_id in video_ids if video_id in self.videos]

    def list_by_owner(self, owner_id: str, *, limit: int, token: str | None) -> Page:
        return self._page("by-owner", owner_id, limit, token)

    def list_by_status(
        self, status: VideoStatus, *, due_before: datetime | None, limit: int, token: str | None
    ) -> Page:
        if due_before is None:
            return self._page("by-status", status, limit, token)
        return self._page(
            "by-status", status, limit, token, upper=timestamp_key(due_before) + "~", newest_first=False
        )

    def channel_owner(self, channel_id: str) -> str | None:
        owner, deleted = self.channels.get(channel_id, (None, False))
        return None if deleted else owner

    def put_channel(
        self, channel_id: str, owner_id: str, *, deleted: bool = False, name: str | None = None
    ) -> None:
        if self.channels.get(channel_id, ("", False))[1] and not deleted:
            return
        self.channels[channel_id] = (owner_id, deleted)
        if name is not None:
            self.names[channel_id] = name

    def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        return {c: self.names[c] for c in channel_ids if c in self.names}


class FakeMediaStore:
    """Objects as a set of keys; URLs are recognisable fakes."""

    def __init__(self, keys: list[str] | None = None, texts: dict[str, str] | None = None) -> None:
        self.keys = set(keys or []) | set(texts or {})
        self.texts = dict(texts or {})

    def read_text(self, key: str) -> str | None:
        return self.texts.get(key) if key in self.keys else None

    def url(self, key: str) -> str:
        return f"https://media.example/{key}?signed"

    def window(self) -> int:
        return 0

    def delete_prefix(self, prefix: str) -> int:
        gone = {key for key in self.keys if key.startswith(prefix)}
        self.keys -= gone
        return len(gone)


class InMemorySearchStore:
    """The search table as postings (word → rank keys) and documents, read newest first like the Query."""

    def __init__(self) -> None:
        self.postings: dict[str, set[str]] = {}
        self.documents: dict[str, Document] = {}

    def page(self, term: str, *, limit: int, start: str | None) -> tuple[list[str], str | None]:
        keys = sorted(self.postings.get(term, set()), reverse=True)
        if start is not None:
            keys = [k for k in keys if k < start]
        chosen = keys[:limit]
        return chosen, chosen[-1] if len(keys) > limit else None

    def present(self, term: str, rank_keys: Sequence[str]) -> set[str]:
        return set(rank_keys) & self.postings.get(term, set())

    def document(self, video_id: str) -> Document | None:
        return self.documents.get(video_id)

    def write(self, old: Document | None, new: Document | None) -> None:
        if old is not None:
            for term in old.terms:
                self.postings.get(term, set()).discard(old.rank_key)
            self.documents.pop(old.video_id, None)
        if new is not None:
            for term in new.terms:
                self.postings.setdefault(term, set()).add(new.rank_key)
            self.documents[new.video_id] = new
        self.postings = {term: keys for term, keys in self.postings.items() if keys}
