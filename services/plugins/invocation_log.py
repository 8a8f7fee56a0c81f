"""The invocation log: one row per plugin invocation, written in the same transaction as the lifecycle change
that starts or ends it, read per plugin newest first by the plugin's owner (the plugin console).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from services.plugins.registry import Registry
from shared.auth import Principal
from shared.errors import BadRequestError
from shared.events.base import Hook
from shared.pagination import PageTokenError, decode_page_token, encode_page_token

LoggedStatus = Literal["pending", "succeeded", "failed", "timed_out", "rejected", "skipped"]
OUTPUT_PREVIEW_CHARS = 500
REASON_CHARS = 2000
LOG_RETENTION = timedelta(days=30)
DEFAULT_PAGE_LIMIT = 20
PageLimit = Annotated[int, Field(ge=1, le=100)]
NextToken = Annotated[str, Field(max_length=2048, description="Opaque token from the previous page")]
REDACTED = "[redacted token]"
# The log's items share the lifecycle table: keys no video id can take (a video id has no '#').
ITEM_KEY_PREFIX = "invocation#"
PLUGIN_INDEX = "by-plugin"
PLUGIN_ATTRIBUTE = "log_plugin"
TIME_ATTRIBUTE = "log_at"
TABLE_KEY = "video_id"


class InvocationEntry(BaseModel):
    """What the console shows of one invocation; no token, and only a preview of the output."""

    model_config = ConfigDict(extra="forbid")

    invocation_id: str
    plugin: str
    video_id: str
    hook: Hook
    status: LoggedStatus
    started_at: datetime | None = Field(default=None, description="When it was invoked (none if skipped)")
    ended_at: datetime | None = Field(default=None, description="When it got its outcome (none if pending)")
    duration_ms: int | None = Field(default=None, description="ended_at - started_at, when both exist")
    reason: str | None = Field(default=None, description="Why it failed, timed out, was rejected or skipped")
    output_preview: str | None = Field(
        default=None, description=f"The output as JSON, cut at {OUTPUT_PREVIEW_CHARS} characters"
    )

    @property
    def logged_at(self) -> datetime:
        """The row's place in the newest-first order: its start, or its end for one that never started."""
        moment = self.started_at or self.ended_at
        assert moment is not None, "a logged invocation has started or ended"
        return moment


class InvocationPage(BaseModel):
    invocations: list[InvocationEntry]
    next_token: str | None = Field(default=None, description="Pass as `next_token` for the next page")


class InvocationLogReader(Protocol):
    def page(self, plugin: str, limit: int, token: str | None) -> InvocationPage: ...


def preview(output: dict[str, Any] | None, secret: str | None) -> str | None:
    if output is None:
        return None
    text = redact(json.dumps(output, separators=(",", ":"), ensure_ascii=False, default=str), secret)
    return text if len(text) <= OUTPUT_PREVIEW_CHARS else text[: OUTPUT_PREVIEW_CHARS - 1] + "…"


def redact(text: str, secret: str | None) -> str:
    """A plugin may echo its token back in an output or an error message: the log never shows it."""
    return text.replace(secret, REDACTED) if secret else text


def recent_invocations(
    registry: Registry, log: InvocationLogReader, caller: Principal, name: str, limit: int, token: str | None
) -> InvocationPage:
    """The plugin's invocations, newest first: its owner's or an admin's; others get the registry's 404."""
    plugin = registry.get(caller, name)
    return log.page(plugin.name, limit, token)


def log_at_key(entry: InvocationEntry) -> str:
    """Fixed-width UTC text, so string order is time order in the index's sort key."""
    return entry.logged_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    return encode_page_token(last_key)


def decode_token(token: str | None, plugin: str) -> dict[str, str] | None:
    """The LastEvaluatedKey a token stands for, checked to be a key of this plugin's list."""
    try:
        return decode_page_token(
            token,
            attributes={TABLE_KEY, PLUGIN_ATTRIBUTE, TIME_ATTRIBUTE},
            equal={PLUGIN_ATTRIBUTE: plugin},
            prefixed={TABLE_KEY: ITEM_KEY_PREFIX},
        )
    except PageTokenError as exc:
        raise BadRequestError(str(exc)) from exc
