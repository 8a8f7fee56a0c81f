"""Connections, subscriptions and the fan-out of svideo events to the connections that may see them.

Public topics never carry private data: a video that is not (or not yet) published is only pushed to its
owner's connections, whatever topic they subscribed to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from services.live.models import (
    MAX_TOPICS_PER_CONNECTION,
    OWNER_TOPIC,
    ProtocolError,
    Push,
    PushType,
    Subscribe,
    Unsubscribe,
    error_frame,
    parse_client_message,
    reply,
)
from shared.events import (
    BroadcastEnded,
    BroadcastStarted,
    EventDetail,
    PluginCompleted,
    PluginInvoked,
    TitleSelected,
    TitlesGenerated,
    VideoPublished,
    VideoStatusChanged,
)

# Connections live 2 h at most in API Gateway; the record outlives that a little, then TTL removes it.
CONNECTION_TTL_S = 2 * 3600 + 600

if TYPE_CHECKING:
    from shared.events.envelope import Envelope


def owner_topic(owner_id: str) -> str:
    """How `mine` is stored: one topic per owner, so an owner's events fan out by a key lookup."""
    return f"owner:{owner_id}"


@dataclass(frozen=True)
class Subscriber:
    connection_id: str
    principal: str | None


class ConnectionStore(Protocol):
    def add(self, connection_id: str, principal: str | None, connected_at: datetime) -> None: ...
    def principal(self, connection_id: str) -> str | None:
        """The connection's signed-in subject (None when anonymous or unknown)."""
        ...

    def subscribe(self, connection_id: str, principal: str | None, topics: list[str]) -> None: ...
    def unsubscribe(self, connection_id: str, topics: list[str]) -> None: ...
    def topics(self, connection_id: str) -> list[str]: ...
    def remove(self, connection_id: str) -> None: ...
    def subscribers(self, topic: str) -> list[Subscriber]: ...
    def mark_published(self, video_id: str, channel_id: str) -> None: ...
    def published_channel(self, video_id: str) -> str | None: ...
    def remember_owner(self, video_id: str, owner_id: str) -> None: ...
    def video_owner(self, video_id: str) -> str | None: ...
    def forget_video(self, video_id: str) -> None:
        """A deleted video: nothing of it stays here."""
        ...


class ConnectionGoneError(Exception):
    """The connection is closed (API Gateway answered 410)."""


class ConnectionPoster(Protocol):
    def post(self, connection_id: str, frame: bytes) -> None:
        """Send one frame; raises ConnectionGoneError when the connection is gone."""
        ...


# --------------------------------------------------------------------------- client side


def connect(store: ConnectionStore, connection_id: str, principal: str | None, now: datetime) -> None:
    store.add(connection_id, principal, now)


def handle_message(store: ConnectionStore, connection_id: str, body: str | None) -> str:
    """The reply frame to one client message: an acknowledgement, a pong or an error frame."""
    try:
        message = parse_client_message(body)
        if isinstance(message, Subscribe):
            return reply("subscribed", _subscribe(store, connection_id, message))
        if isinstance(message, Unsubscribe):
            stored = [_stored_topic(topic, store.principal(connection_id)) for topic in message.topics]
            store.unsubscribe(connection_id, stored)
            return reply("unsubscribed", message.topics)
        return reply("pong")
    except ProtocolError as error:
        return error_frame(error)


def _stored_topic(topic: str, principal: str | None) -> str:
    if topic != OWNER_TOPIC:
        return topic
    if principal is None:
        raise ProtocolError(
            "unauthorized", "`mine` needs a signed-in connection (connect with ?token=<id token>)"
        )
    return owner_topic(principal)


def _subscribe(store: ConnectionStore, connection_id: str, message: Subscribe) -> list[str]:
    principal = store.principal(connection_id)
    stored = [_stored_topic(topic, principal) for topic in message.topics]
    if len(set(store.topics(connection_id)) | set(stored)) > MAX_TOPICS_PER_CONNECTION:
        raise ProtocolError("too_many_topics", f"at most {MAX_TOPICS_PER_CONNECTION} topics per connection")
    store.subscribe(connection_id, principal, stored)
    return message.topics


def disconnect(store: ConnectionStore, connection_id: str) -> None:
    store.remove(connection_id)


# --------------------------------------------------------------------------- server side


@dataclass(frozen=True)
class Delivery:
    """One push on one stored topic; `owner` set means only that owner's connections may receive it."""

    topic: str
    push: Push
    owner: str | None = None


@dataclass
class FanOutResult:
    sent: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _push(kind: PushType, topic: str, data: dict[str, Any], event: Envelope[EventDetail]) -> Push:
    meta = getattr(event.detail, "meta", None)
    return Push(
        type=kind, topic=topic, data=data, event_id=event.id, at=meta.occurred_at if meta else event.time
    )


def _public(
    kind: PushType, topics: Iterable[str], data: dict[str, Any], event: Envelope[EventDetail]
) -> list[Delivery]:
    return [Delivery(topic, _push(kind, topic, data, event)) for topic in topics]


def _private(
    kind: PushType, topics: Iterable[str], data: dict[str, Any], owner: str, event: Envelope[EventDetail]
) -> list[Delivery]:
    """Owner-only: the owner's `mine` first, then the public topics filtered to the owner's connections."""
    deliveries = [Delivery(owner_topic(owner), _push(kind, OWNER_TOPIC, data, event), owner)]
    return deliveries + [Delivery(topic, _push(kind, topic, data, event), owner) for topic in topics]


def deliveries(store: ConnectionStore, event: Envelope[EventDetail]) -> list[Delivery]:
    """What one event becomes, most specific topic first (a connection gets each event once)."""
    detail = event.detail
    if isinstance(detail, BroadcastStarted | BroadcastEnded):
        kind: PushType = "channel.live" if isinstance(detail, BroadcastStarted) else "channel.offline"
        data: dict[str, Any] = {"channel_id": detail.channel_id, "stream_id": detail.stream_id}
        if isinstance(detail, BroadcastStarted):
            data["started_at"] = detail.started_at.isoformat()
        else:
            data["ended_at"] = detail.ended_at.isoformat()
        owner_data = {**data, "video_id": detail.video_id}  # the recording's video is the owner's business
        return [
            Delivery(
                owner_topic(detail.owner_id), _push(kind, OWNER_TOPIC, owner_data, event), detail.owner_id
            ),
            *_public(kind, (f"channel:{detail.channel_id}", "channels"), data, event),
        ]
    if isinstance(detail, VideoPublished):
        store.mark_published(detail.video_id, detail.channel_id)
        data = {
            "video_id": detail.video_id,
            "channel_id": detail.channel_id,
            "title": detail.title,
            "duration_ms": detail.duration_ms,
            "published_at": detail.published_at.isoformat(),
        }
        return [
            Delivery(
                owner_topic(detail.owner_id),
                _push("video.published", OWNER_TOPIC, data, event),
                detail.owner_id,
            ),
            *_public("video.published", _video_topics(detail.video_id, detail.channel_id), data, event),
        ]
    if isinstance(detail, PluginInvoked | PluginCompleted | TitlesGenerated):
        return _progress(store, detail, event)
    if isinstance(detail, VideoStatusChanged):
        if detail.to_status == "deleted":
            store.forget_video(detail.video_id)
        else:
            store.remember_owner(detail.video_id, detail.owner_id)
        kind = (
            "video.created"
            if detail.to_status == "processing" and detail.from_status in (None, "recording")
            else "video.status"
        )
        data = {
            "video_id": detail.video_id,
            "channel_id": detail.channel_id,
            "from": detail.from_status,
            "to": detail.to_status,
        }
        if detail.to_status == "published":
            store.mark_published(detail.video_id, detail.channel_id)
        topics = _video_topics(detail.video_id, detail.channel_id)
        if "published" in (detail.from_status, detail.to_status):
            return [
                Delivery(
                    owner_topic(detail.owner_id), _push(kind, OWNER_TOPIC, data, event), detail.owner_id
                ),
                *_public(kind, topics, data, event),
            ]
        # Reasons of failures are internal: only the owner sees them.
        return _private(kind, topics, {**data, "reason": detail.reason}, detail.owner_id, event)
    if isinstance(detail, TitleSelected):
        data = {"video_id": detail.video_id, "title": detail.title}
        channel_id = store.published_channel(detail.video_id)
        if channel_id is None:
            return _private("video.title", (f"video:{detail.video_id}",), data, detail.owner_id, event)
        data["channel_id"] = channel_id
        return [
            Delivery(
                owner_topic(detail.owner_id), _push("video.title", OWNER_TOPIC, data, event), detail.owner_id
            ),
            *_public("video.title", _video_topics(detail.video_id, channel_id), data, event),
        ]
    return []


def _progress(
    store: ConnectionStore,
    detail: PluginInvoked | PluginCompleted | TitlesGenerated,
    event: Envelope[EventDetail],
) -> list[Delivery]:
    """Plugin progress and title rounds: the owner's business only (a published video's new round changes
    its public title, so its viewers get a `video.title` hint too). Never the invocation token or outputs."""
    if isinstance(detail, PluginInvoked):
        owner: str | None = detail.video.owner_id
        store.remember_owner(detail.video_id, detail.video.owner_id)
    else:
        owner = store.video_owner(detail.video_id)
    if owner is None:
        return []  # no event named the owner yet: nobody may be told
    topics = (f"video:{detail.video_id}",)
    if isinstance(detail, TitlesGenerated):
        data: dict[str, Any] = {"video_id": detail.video_id, "round": detail.round}
        deliveries = _private("video.titles", topics, data, owner, event)
        channel_id = store.published_channel(detail.video_id)
        if channel_id is not None:
            hint = {"video_id": detail.video_id, "channel_id": channel_id}
            deliveries += _public("video.title", _video_topics(detail.video_id, channel_id), hint, event)
        return deliveries
    state = "running" if isinstance(detail, PluginInvoked) else detail.status
    data = {"video_id": detail.video_id, "plugin": detail.plugin, "state": state}
    if isinstance(detail, PluginInvoked):
        data["hook"] = detail.hook
    return _private("video.plugin", topics, data, owner, event)


def _video_topics(video_id: str, channel_id: str) -> tuple[str, ...]:
    return (f"video:{video_id}", f"channel:{channel_id}", "videos")


def fan_out(store: ConnectionStore, poster: ConnectionPoster, event: Envelope[EventDetail]) -> FanOutResult:
    """Push one event to every connection allowed to see it, once each; gone connections are removed."""
    result = FanOutResult()
    reached: set[str] = set()
    for delivery in deliveries(store, event):
        for subscriber in store.subscribers(delivery.topic):
            if subscriber.connection_id in reached:
                continue
            if delivery.owner is not None and subscriber.principal != delivery.owner:
                continue
            reached.add(subscriber.connection_id)
            try:
                poster.post(subscriber.connection_id, delivery.push.frame())
            except ConnectionGoneError:
                store.remove(subscriber.connection_id)
                result.gone.append(subscriber.connection_id)
            else:
                result.sent.append(subscriber.connection_id)
    return result
