"""The live-updates protocol: what a client may send, what the server pushes, and the topics.

Clients only ever send `subscribe`, `unsubscribe` or `ping`; everything else is refused with an error frame.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.events.base import ID

# API Gateway's 128 KB frame limit is far above anything a subscription needs; refuse early.
MAX_CLIENT_MESSAGE_BYTES = 4096
MAX_TOPICS_PER_CONNECTION = 20

TOPIC_PATTERN = re.compile(rf"^(videos|channels|mine|channel:{ID}|video:{ID})$")
# The signed-in caller's own channels and videos, unpublished ones included.
OWNER_TOPIC = "mine"


def _unique(topics: list[str]) -> list[str]:
    return list(dict.fromkeys(topics))


Topic = Annotated[str, Field(pattern=TOPIC_PATTERN.pattern, examples=["videos", "channel:ch-4f7d2a9e"])]
Topics = Annotated[
    list[Topic], Field(min_length=1, max_length=MAX_TOPICS_PER_CONNECTION), AfterValidator(_unique)
]


class _ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Subscribe(_ClientMessage):
    action: Literal["subscribe"]
    topics: Topics


class Unsubscribe(_ClientMessage):
    action: Literal["unsubscribe"]
    topics: Topics


class Ping(_ClientMessage):
    action: Literal["ping"]


ClientMessage = Annotated[Subscribe | Unsubscribe | Ping, Field(discriminator="action")]
_CLIENT_MESSAGE: TypeAdapter[Subscribe | Unsubscribe | Ping] = TypeAdapter(ClientMessage)

ErrorCode = Literal["bad_request", "unknown_action", "unauthorized", "too_many_topics"]


class ProtocolError(Exception):
    """A client message the server refuses; becomes an error frame, never a disconnect."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_client_message(body: str | None) -> Subscribe | Unsubscribe | Ping:
    """The one client message in a frame; raises ProtocolError for anything else."""
    if not body or len(body.encode()) > MAX_CLIENT_MESSAGE_BYTES:
        raise ProtocolError(
            "bad_request", f"send one JSON object of at most {MAX_CLIENT_MESSAGE_BYTES} bytes"
        )
    try:
        raw: Any = json.loads(body)
    except ValueError:
        raise ProtocolError("bad_request", "the message is not JSON") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_request", "the message must be a JSON object")
    if raw.get("action") not in ("subscribe", "unsubscribe", "ping"):
        raise ProtocolError("unknown_action", "clients may only subscribe, unsubscribe or ping")
    try:
        return _CLIENT_MESSAGE.validate_python(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ProtocolError("bad_request", problems) from None


PushType = Literal[
    "channel.live",
    "channel.offline",
    "video.created",
    "video.status",
    "video.published",
    "video.title",
    "video.titles",
    "video.plugin",
]


class Push(BaseModel):
    """What the server sends for one event on one topic."""

    model_config = ConfigDict(frozen=True)

    type: PushType
    topic: str
    data: dict[str, Any]
    event_id: str
    at: datetime

    def frame(self) -> bytes:
        return self.model_dump_json().encode()


def reply(kind: Literal["subscribed", "unsubscribed", "pong"], topics: list[str] | None = None) -> str:
    """The route response to a client message (sent back on the same connection only)."""
    frame: dict[str, Any] = {"type": kind}
    if topics is not None:
        frame["topics"] = topics
    return json.dumps(frame)


def error_frame(error: ProtocolError) -> str:
    return json.dumps({"type": "error", "error": {"code": error.code, "message": error.message}})
