"""In-memory stand-ins for the connections table and the management API."""

from __future__ import annotations

from datetime import datetime

from services.live.domain import ConnectionGoneError, Subscriber


class MemoryStore:
    def __init__(self) -> None:
        self.principals: dict[str, str | None] = {}
        self.subscriptions: dict[str, dict[str, str | None]] = {}
        self.published: dict[str, str] = {}
        self.owners: dict[str, str] = {}

    def add(self, connection_id: str, principal: str | None, connected_at: datetime) -> None:
        self.principals[connection_id] = principal

    def principal(self, connection_id: str) -> str | None:
        return self.principals.get(connection_id)

    def subscribe(self, connection_id: str, principal: str | None, topics: list[str]) -> None:
        for topic in topics:
            self.subscriptions.setdefault(topic, {})[connection_id] = principal

    def unsubscribe(self, connection_id: str, topics: list[str]) -> None:
        for topic in topics:
            self.subscriptions.get(topic, {}).pop(connection_id, None)

    def topics(self, connection_id: str) -> list[str]:
        return [topic for topic, members in self.subscriptions.items() if connection_id in members]

    def remove(self, connection_id: str) -> None:
        self.principals.pop(connection_id, None)
        for members in self.subscriptions.values():
            members.pop(connection_id, None)

    def subscribers(self, topic: str) -> list[Subscriber]:
        return [Subscriber(cid, principal) for cid, principal in self.subscriptions.get(topic, {}).items()]

    def mark_published(self, video_id: str, channel_id: str) -> None:
        self.published[video_id] = channel_id

    def published_channel(self, video_id: str) -> str | None:
        return self.published.get(video_id)

    def remember_owner(self, video_id: str, owner_id: str) -> None:
        self.owners[video_id] = owner_id

    def video_owner(self, video_id: str) -> str | None:
        return self.owners.get(video_id)

    def forget_video(self, video_id: str) -> None:
        self.published.pop(video_id, None)
        self.owners.pop(video_id, None)


class RecordingPoster:
    def __init__(self, gone: set[str] | None = None) -> None:
        self.frames: dict[str, list[bytes]] = {}
        self.gone = gone or set()

    def post(self, connection_id: str, frame: bytes) -> None:
        if connection_id in self.gone:
            raise ConnectionGoneError(connection_id)
        self.frames.setdefault(connection_id, []).append(frame)
