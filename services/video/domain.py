"""The catalog's rules: apply changes through the status machine, sweep overdue videos, read and delete.

Takes a repository and a media store as arguments; never sees raw events or boto3. Events are not published
from here: every change hands its events to the repository, which writes them to the table's outbox in the
same transaction (the stream and EventBridge Pipes carry them to the bus).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.video.media import MediaStore, video_prefix
from services.video.models import (
    PRIVATE_FIELDS,
    Change,
    Deadlines,
    HistoryEntry,
    HistoryEntryView,
    HistoryView,
    MediaUrls,
    Page,
    PublicVideoView,
    TitleChoice,
    TitleRound,
    Titles,
    Video,
    VideoPageView,
    VideoView,
)
from services.video.policy import Action, allowed, authorize, needs_sign_in
from services.video.ports import (
    TRANSACTION_ITEMS,
    ConcurrentChangeError,
    DuplicateEventError,
    VideoRepository,
)
from services.video.search import SearchIndex
from services.video.status import CREATED_AS, INITIAL, NON_TERMINAL, STAGE, Move, decide
from shared.auth import Principal
from shared.errors import BadRequestError, NotFoundError
from shared.events import Meta, VideoPublished, VideoStatusChanged
from shared.events.base import EventDetail, SvideoEvent, VideoStatus
from shared.pagination import PageTokenError

UNTITLED = "Untitled video"
SWEEP_PAGE = 100
# Every event the catalog publishes, all through the outbox; the stack builds one Pipe per type from this.
OUTBOX_EVENTS: tuple[type[SvideoEvent], ...] = (VideoStatusChanged, VideoPublished)


class Outcome(StrEnum):
    CREATED = "created"
    MOVED = "moved"
    RECORDED = "recorded"  # late or data-only: in the history, status unchanged
    PARKED = "parked"  # ahead of the video (or its video unknown): kept, applied when its predecessor lands
    DUPLICATE = "duplicate"
    FORGOTTEN = "forgotten"  # for a deleted video: what it left is removed, nothing is recorded


NOT_ACCEPTED = "not from the invocation the plugin lifecycle accepted"
PUBLIC_VIEWS_KEPT = 2_000  # per process: several pages of the public catalog


class PublicViews:
    """Public views of published videos, each rendered once per version and URL window, then reused.

    Every change to a video bumps its version, so a view is handed out again only while the record it was
    rendered from is still the current one; it carries the media store's URLs of its window, which the store
    itself hands out again until the window ends (views of an earlier window are dropped). Channel names
    are kept for the window too: the catalog learns a name once, from Channel.Created, and never changes it.
    """

    def __init__(self, capacity: int = PUBLIC_VIEWS_KEPT) -> None:
        self._capacity = capacity
        self._window = -1
        self._views: dict[tuple[str, int], PublicVideoView] = {}
        self._names: dict[str, str] = {}

    def _enter(self, window: int) -> None:
        if window != self._window or len(self._views) + len(self._names) >= self._capacity:
            self._window, self._views, self._names = window, {}, {}

    def get(self, video_id: str, version: int, window: int) -> PublicVideoView | None:
        return self._views.get((video_id, version)) if window == self._window else None

    def put(self, video: Video, rendered: PublicVideoView, window: int) -> None:
        self._enter(window)
        self._views[(video.video_id, video.version)] = rendered

    def names(self, channel_ids: list[str], window: int) -> dict[str, str]:
        """The names known in this window (a channel without one is asked again)."""
        return {c: self._names[c] for c in channel_ids if c in self._names} if window == self._window else {}

    def remember_names(self, names: dict[str, str], window: int) -> None:
        self._enter(window)
        self._names.update(names)


@dataclass(frozen=True)
class Catalog:
    repository: VideoRepository
    deadlines: Deadlines = field(default_factory=Deadlines)
    # Removes what late events leave under a deleted video's prefix; None where no bucket is reachable.
    media: MediaStore | None = None
    # The search index over published videos, kept in step by `reindex`; None where search is not deployed.
    search: SearchIndex | None = None
    public_views: PublicViews = field(default_factory=PublicViews, compare=False, repr=False)

    # ------------------------------------------------------------ applying events

    def apply(self, change: Change, now: datetime) -> Outcome:
        """Apply one event's change; safe to call twice (the event id is recorded) and in any order: a fact
        that arrives before its predecessor is kept and applied when the predecessor lands."""
        outcome = self._apply(change, now, unparking=False)
        self._drain(change.video_id, now)  # also after parking: its predecessor may have landed meanwhile
        return outcome

    def _drain(self, video_id: str, now: datetime) -> None:
        """Apply every kept fact the video's status now accepts, earliest stage first, until none does."""
        progressed = True
        while progressed:
            progressed = False
            kept = sorted(
                (Change.from_json(text) for text in self.repository.parked(video_id)),
                key=lambda c: (STAGE[c.target] if c.target else len(STAGE), c.occurred_at, c.event_id),
            )
            for change in kept:
                if self._apply(change, now, unparking=True) is not Outcome.PARKED:
                    progressed = True
                    break  # the video changed: read it and its kept facts again

    def _apply(self, change: Change, now: datetime, *, unparking: bool) -> Outcome:
        if change.channel_id and change.owner_id and not unparking:
            self.repository.put_channel(change.channel_id, change.owner_id)
        before = self.repository.get(change.video_id)
        if before is None:
            if change.channel_id and change.owner_id:
                return self._create(change, now)
            return self._park(change, unparking)  # it cannot name the owner: the creating event will
        unparked = change.event_id if unparking else None
        if before.status == "deleted":
            return self._after_deletion(before, change, unparked)
        move, reason = self._move(before, change)
        if move is Move.PARK:
            return self._park(change, unparking)
        target: VideoStatus = change.target if move is Move.APPLY and change.target else before.status
        after = self._updated(before, change, target, now) if reason is None else before
        # A data-only event (titles) is applied even though it moves nothing; a late status is only recorded.
        applied = move is Move.APPLY or (change.target is None and reason is None)
        entry = self._entry(change, before.status, change.target, applied=applied, reason=reason)
        outbox = (
            self._announcements(before.status, after, change.correlation_id)
            if after.status != before.status
            else []
        )
        parts = _parts(change, entry, len(outbox) + (unparked is not None))
        try:
            if after is before:
                self.repository.record(before.video_id, entry, parts, unparked=unparked)
            else:
                self.repository.save(before, after, entry, outbox, parts, unparked=unparked)
        except DuplicateEventError:
            if unparked is not None:
                self.repository.unpark(change.video_id, unparked)  # applied by another delivery meanwhile
            return Outcome.DUPLICATE
        return Outcome.MOVED if outbox else Outcome.RECORDED

    @staticmethod
    def _move(video: Video, change: Change) -> tuple[Move, str | None]:
        """What the video's status makes of the change, and why a data change is refused (None: it is not)."""
        if change.side_of is not None:
            if video.plugin_outcomes is None:
                return Move.PARK, None  # the lifecycle's verdict decides whether this run counts
            accepted = video.plugin_outcomes.get(change.side_of) == "succeeded"
            if not (accepted and _holds(video.fields, change.matches)):
                return Move.LATE, NOT_ACCEPTED
        if change.target is None:
            return Move.LATE, None
        return decide(video.status, change.target), None

    def _park(self, change: Change, unparking: bool) -> Outcome:
        if unparking:
            return Outcome.PARKED  # still waiting
        try:
            self.repository.park(change.video_id, change.event_id, change.to_json())
        except DuplicateEventError:
            return Outcome.DUPLICATE
        return Outcome.PARKED

    def _after_deletion(self, video: Video, change: Change, unparked: str | None = None) -> Outcome:
        """A late event for a deleted video: remove whatever it left under the video's prefix (a late
        Video.Processed announces a fresh MP4, HLS and thumbnails). Nothing is recorded: a deleted video
        keeps no history, so a redelivery does the same again."""
        if self.media is not None:
            self.media.delete_prefix(video_prefix(video.video_id))
        if unparked is not None:
            self.repository.unpark(video.video_id, unparked)
        return Outcome.FORGOTTEN

    def _create(self, change: Change, now: datetime) -> Outcome:
        """The first fact that names the owner creates the video, with the deadline of the status it creates
        it in. A verdict creates it in the status it waits in (`processing`, until the media lands) and is
        kept: the creation is its own history entry."""
        assert change.channel_id and change.owner_id
        waits = change.target is None or change.target not in INITIAL
        target: VideoStatus = "processing"
        if change.target is not None:
            target = CREATED_AS.get(change.target, "processing") if waits else change.target
        values = {} if waits else {**change.defaults, **change.updates, **change.updates_if_moved}
        values.pop("title_round", None)
        values.pop("title_choice", None)
        video = Video(
            video_id=change.video_id,
            channel_id=change.channel_id,
            owner_id=change.owner_id,
            status=target,
            created_at=change.occurred_at,
            updated_at=now,
            status_since=now,
            deadline_at=self._deadline(target, now),
            reason=None if waits else change.reason,
            **values,
        )
        outbox = self._announcements(None, video, change.correlation_id)
        entry = self._entry(change, None, target, applied=True)
        if waits:
            reason = f"created from {change.event_type}, which waits for the video to be processed"
            entry = entry.model_copy(update={"event_id": f"{change.event_id}-created", "reason": reason})
        try:
            parts = [] if waits else _parts(change, entry, len(outbox))
            self.repository.save(None, video, entry, outbox, parts)
        except DuplicateEventError:
            return Outcome.DUPLICATE
        except ConcurrentChangeError:
            return self._apply(change, now, unparking=False)  # created meanwhile by another fact: apply to it
        if waits:
            return self._park(change, unparking=False)
        return Outcome.CREATED

    def _updated(self, before: Video, change: Change, target: VideoStatus, now: datetime) -> Video:
        updates = dict(change.updates)
        written: TitleRound | None = updates.pop("title_round", None)
        titles = _titles(before.titles, written, updates.pop("title_choice", None))
        for name, value in change.defaults.items():
            if getattr(before, name) is None:
                updates.setdefault(name, value)
        if titles is not None:
            updates["titles"] = titles
        if "fields" in updates or titles is not None:
            merged = {**before.fields, **updates.get("fields", {})}
            latest = (titles or before.titles or Titles()).rounds
            if latest:  # description and tags follow the latest round, whatever order rounds arrive in
                merged |= {"description": latest[-1].description, "tags": list(latest[-1].tags)}
            updates["fields"] = merged
        if change.occurred_at < before.created_at:  # the earliest fact dates the video, whenever it arrives
            updates["created_at"] = change.occurred_at
        moved = target != before.status
        if moved:
            updates |= change.updates_if_moved
            updates |= {
                "status": target,
                "status_since": now,
                "deadline_at": self._deadline(target, now),
                "reason": change.reason,
            }
            if target == "published":
                updates["published_at"] = now
        return before.model_copy(update={**updates, "updated_at": now, "version": before.version + 1})

    def _deadline(self, status: VideoStatus, now: datetime) -> datetime | None:
        allowance = self.deadlines.for_status(status)
        return now + allowance if allowance is not None else None

    @staticmethod
    def _entry(
        change: Change,
        from_status: VideoStatus | None,
        to_status: VideoStatus | None,
        *,
        applied: bool,
        reason: str | None = None,
    ) -> HistoryEntry:
        return HistoryEntry(
            at=change.occurred_at,
            event_id=change.event_id,
            type=change.event_type,
            from_status=from_status,
            to_status=to_status,
            applied=applied,
            reason=reason or change.reason,
            plugin=change.plugin,
            correlation_id=change.correlation_id,
        )

    @staticmethod
    def _announcements(
        from_status: VideoStatus | None, video: Video, correlation_id: str
    ) -> list[EventDetail]:
        """The events a status change publishes: written with the change, so they exist iff it does."""
        meta = Meta.now(correlation_id)
        details: list[EventDetail] = [
            VideoStatusChanged(
                meta=meta,
                video_id=video.video_id,
                channel_id=video.channel_id,
                owner_id=video.owner_id,
                from_status=from_status,
                to_status=video.status,
                reason=video.reason if video.status in ("invalid", "failed") else None,
            )
        ]
        if video.status == "published":
            details.append(
                VideoPublished(
                    meta=meta,
                    video_id=video.video_id,
                    channel_id=video.channel_id,
                    owner_id=video.owner_id,
                    title=(video.title or UNTITLED)[:120],
                    duration_ms=video.duration_ms or 0,
                    published_at=video.published_at or video.updated_at,
                )
            )
        return details

    def reindex(self, video_id: str) -> bool:
        """Bring the search index in line with the video as it is now (after any change, duplicates too: the
        change may have been written by an attempt that failed before indexing)."""
        if self.search is None:
            return False
        media = self.media
        return self.search.sync(
            self.repository.get(video_id), video_id, lambda key: media.read_text(key) if media else None
        )

    def search_videos(self, q: str, media: MediaStore, limit: int, token: str | None) -> VideoPageView:
        """Published videos holding every word of `q`, newest first, as the public sees them."""
        if self.search is None:
            raise NotFoundError("search is not deployed")
        try:
            found = self.search.search(q, limit=limit, token=token)
        except PageTokenError as exc:
            raise BadRequestError(str(exc)) from exc
        videos = [v for v in map(self.repository.get, found.video_ids) if v and v.status == "published"]
        return self._page_view(Page(videos, found.next_token), media, full=False)

    # ------------------------------------------------------------ deadlines

    def sweep(self, now: datetime) -> list[str]:
        """Fail every video past its status's deadline; returns their ids. Idempotent, safe against races."""
        failed: list[str] = []
        for status in NON_TERMINAL:
            token: str | None = None
            while True:
                page = self.repository.list_by_status(status, due_before=now, limit=SWEEP_PAGE, token=token)
                for video in page.videos:
                    if self._expire(video, now):
                        failed.append(video.video_id)
                token = page.next_token
                if token is None:
                    break
        return failed

    def _expire(self, video: Video, now: datetime) -> bool:
        change = Change(
            # One id per (video, status): two sweepers racing record it once.
            event_id=f"deadline-{video.status}-{video.video_id}",
            event_type="Deadline.Exceeded",
            occurred_at=now,
            correlation_id=str(uuid.uuid4()),
            video_id=video.video_id,
            target="failed",
            reason=f"deadline exceeded in {video.status}",
        )
        after = self._updated(video, change, "failed", now)
        entry = self._entry(change, video.status, "failed", applied=True)
        try:
            self.repository.save(
                video, after, entry, self._announcements(video.status, after, change.correlation_id)
            )
        except (DuplicateEventError, ConcurrentChangeError):
            return False  # someone else moved it since we read it: their status stands
        # Facts kept for it are now late: into the history (racing the events consumer, its drain does it).
        with contextlib.suppress(ConcurrentChangeError):
            self._drain(video.video_id, now)
        return True

    # ------------------------------------------------------------ reads and deletion

    def get(self, principal: Principal, video_id: str, media: MediaStore) -> VideoView | PublicVideoView:
        video = self._visible(principal, video_id)
        full = allowed(principal, Action.READ_PRIVATE, owner_id=video.owner_id)
        return view(video, media, self._names([video]).get(video.channel_id), full=full)

    def _names(self, videos: list[Video]) -> dict[str, str]:
        return self.repository.channel_names([v.channel_id for v in videos]) if videos else {}

    def _page_view(self, page: Page, media: MediaStore, *, full: bool) -> VideoPageView:
        return page_view(page, media, self._names(page.videos), full=full)

    def _visible(self, principal: Principal, video_id: str) -> Video:
        video = self.repository.get(video_id)
        if video is None or video.status == "deleted":
            raise NotFoundError(f"no video {video_id!r}")
        authorize(principal, Action.READ, owner_id=video.owner_id, published=video.status == "published")
        return video

    def list_published(self, media: MediaStore, limit: int, token: str | None) -> VideoPageView:
        """The public catalog, newest first. Read as (id, version) pairs; only a video whose current version
        has no view yet is read whole and rendered (a page of the home page is read by every visitor)."""
        page = self.repository.published_versions(limit=limit, token=token)
        window = media.window()
        shown = {
            video_id: cached
            for video_id, version in page.entries
            if (cached := self.public_views.get(video_id, version, window)) is not None
        }
        unseen = [video_id for video_id, _ in page.entries if video_id not in shown]
        for video in self.repository.get_many(unseen) if unseen else []:
            if video.status == "published":  # one unpublished since the index listed it is left out
                rendered = view(video, media, full=False)
                assert isinstance(rendered, PublicVideoView)
                self.public_views.put(video, rendered, window)
                shown[video.video_id] = rendered
        listed = [shown[video_id] for video_id, _ in page.entries if video_id in shown]
        channels = sorted({v.channel_id for v in listed})
        names = self.public_views.names(channels, window)
        if unnamed := [c for c in channels if c not in names]:
            found = self.repository.channel_names(unnamed)
            self.public_views.remember_names(found, window)
            names |= found
        return VideoPageView(
            videos=[v.model_copy(update={"channel_name": names.get(v.channel_id)}) for v in listed],
            next_token=page.next_token,
        )

    def list_channel(
        self, principal: Principal, channel_id: str, media: MediaStore, limit: int, token: str | None
    ) -> VideoPageView:
        owner_id = self.repository.channel_owner(channel_id)
        if owner_id is None:
            raise NotFoundError(f"no channel {channel_id!r}")
        everything = allowed(principal, Action.LIST_ALL_STATUSES, owner_id=owner_id)
        page = self.repository.list_by_channel(
            channel_id, published_only=not everything, limit=limit, token=token
        )
        # An owner's list hides deleted videos too; they are gone for everyone but the history.
        shown = Page([v for v in page.videos if v.status != "deleted"], page.next_token)
        return self._page_view(shown, media, full=everything)

    def list_mine(
        self, principal: Principal, media: MediaStore, limit: int, token: str | None
    ) -> VideoPageView:
        """The caller's own videos across their channels, every status but deleted, newest first."""
        needs_sign_in(principal, Action.LIST_MINE)
        authorize(principal, Action.LIST_MINE)
        assert principal.sub is not None
        page = self.repository.list_by_owner(principal.sub, limit=limit, token=token)
        shown = Page([v for v in page.videos if v.status != "deleted"], page.next_token)
        return self._page_view(shown, media, full=True)

    def history(self, principal: Principal, video_id: str) -> HistoryView:
        needs_sign_in(principal, Action.HISTORY)
        video = self.repository.get(video_id)
        if video is None:
            raise NotFoundError(f"no video {video_id!r}")
        authorize(principal, Action.HISTORY, owner_id=video.owner_id, published=video.status == "published")
        entries = [HistoryEntryView.model_validate(e.model_dump()) for e in self.repository.history(video_id)]
        return HistoryView(video_id=video_id, status=video.status, history=entries)

    def delete(self, principal: Principal, video_id: str, media: MediaStore, now: datetime) -> int:
        """Mark the video deleted and remove its media; returns how many media objects were removed."""
        needs_sign_in(principal, Action.DELETE)
        video = self._visible(principal, video_id)
        authorize(principal, Action.DELETE, owner_id=video.owner_id, published=video.status == "published")
        removed = media.delete_prefix(video_prefix(video_id))
        change = Change(
            event_id=f"delete-{uuid.uuid4()}",
            event_type="Video.Deleted",
            occurred_at=now,
            correlation_id=str(uuid.uuid4()),
            video_id=video_id,
            target="deleted",
            reason=f"deleted by {'an admin' if not principal.owns(video.owner_id) else 'the owner'}",
        )
        # A tombstone stays, so late events change nothing: ids, owner, times and the status, no content.
        after = self._updated(video, change, "deleted", now).model_copy(
            update={"media": None, "fields": {}, "titles": None, "duration_ms": None, "compute": None}
        )
        entry = self._entry(change, video.status, "deleted", applied=True)
        self.repository.save(
            video, after, entry, self._announcements(video.status, after, change.correlation_id)
        )
        # The history goes too; only the deletion's own outbox items stay, until the Pipes carried them.
        self.repository.purge(video_id, keep_event_id=change.event_id)
        self.reindex(video_id)
        return removed


def _parts(change: Change, entry: HistoryEntry, outbox_items: int) -> list[HistoryEntry]:
    """One history entry per plugin result, written with the event's own entry. Whatever does not fit in the
    transaction beside the video and the outbox is summarised, by name and outcome, in the last entry."""
    room = TRANSACTION_ITEMS - 2 - outbox_items
    itemised = change.results if len(change.results) <= room else change.results[: room - 1]
    parts = [
        entry.model_copy(
            update={
                "from_status": None,
                "to_status": None,
                "plugin": result.plugin,
                "hook": result.hook,
                "outcome": result.status,
                "reason": result.reason,
                "duration_ms": result.duration_ms,
                "part": index,
            }
        )
        for index, result in enumerate(itemised)
    ]
    rest = change.results[len(itemised) :]
    if rest:
        listed = ", ".join(f"{r.plugin} ({r.hook}): {r.status}" for r in rest)
        summary = f"{len(rest)} more plugin results than one transaction holds: {listed}"
        parts.append(
            entry.model_copy(
                update={"from_status": None, "to_status": None, "reason": summary, "part": len(itemised)}
            )
        )
    return parts


def _holds(actual: Any, expected: Any) -> bool:
    """Whether `actual` holds all of `expected`: dicts by key (extra keys allowed), lists item by item."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            name in actual and _holds(actual[name], value) for name, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_holds(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def _titles(current: Titles | None, written: TitleRound | None, choice: TitleChoice | None) -> Titles | None:
    if written is None and choice is None:
        return None
    titles = current or Titles()
    if written is not None:
        titles = titles.with_round(written)
    if choice is not None:
        titles = titles.with_choice(choice)
    return titles


def url_field(name: str) -> str:
    """`captions_key` → `captions_url`; `image_key` → `image_url`."""
    return name.removesuffix("_key") + "_url"


def with_urls(value: Any, prefix: str, media: MediaStore) -> Any:
    """A copy of projected plugin output where every `*_key` naming an object under `prefix` gains a sibling
    `*_url`. Keys outside the video's own prefix are never signed: a plugin cannot make the API hand out
    another video's (or another service's) objects."""
    if isinstance(value, list):
        return [with_urls(item, prefix, media) for item in value]
    if not isinstance(value, dict):
        return value
    signed = {name: with_urls(item, prefix, media) for name, item in value.items()}
    for name, item in value.items():
        if (
            name.endswith("_key")
            and isinstance(item, str)
            and item.startswith(prefix)
            and ".." not in item
            and url_field(name) not in value
        ):
            signed[url_field(name)] = media.url(item)
    return signed


def view(
    video: Video, media: MediaStore, channel_name: str | None = None, *, full: bool
) -> VideoView | PublicVideoView:
    """The owner's full record (`full`), or the public one: what was published and nothing else."""
    urls = None
    if video.media is not None:
        urls = MediaUrls(
            mp4_url=media.url(video.media.mp4_key),
            hls_url=media.url(video.media.hls_master_key) if video.media.hls_master_key else None,
            poster_url=media.url(video.media.poster_key),
            thumbnail_urls=[media.url(key) for key in video.media.thumbnail_keys],
            width=video.media.width,
            height=video.media.height,
        )
    fields = video.fields if full else {k: v for k, v in video.fields.items() if k not in PRIVATE_FIELDS}
    public = PublicVideoView(
        video_id=video.video_id,
        channel_id=video.channel_id,
        channel_name=channel_name,
        status=video.status,
        title=video.title,
        title_provisional=video.title_provisional,
        duration_ms=video.duration_ms,
        created_at=video.created_at,
        published_at=video.published_at,
        media=urls,
        fields=with_urls(fields, video_prefix(video.video_id), media),
    )
    if not full:
        return public
    return VideoView(
        **dict(public),
        owner_id=video.owner_id,
        reason=video.reason,
        compute=video.compute,
        updated_at=video.updated_at,
    )


def page_view(
    page: Page, media: MediaStore, names: dict[str, str] | None = None, *, full: bool
) -> VideoPageView:
    names = names or {}
    return VideoPageView(
        videos=[view(video, media, names.get(video.channel_id), full=full) for video in page.videos],
        next_token=page.next_token,
    )
