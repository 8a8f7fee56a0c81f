"""Environment of the channel functions, validated once at cold start (first use), never at import."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1)]


class _Env(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    TABLE_NAME: Name
    BUS_NAME: Name


class ApiEnv(_Env):
    """The API function: creates IVS channels with the stack's recording configuration."""

    RECORDING_CONFIGURATION_ARN: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:ivs:")]
    IVS_CHANNEL_PREFIX: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    STAGE: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")]
    # Public routes verify a bearer token themselves (they have no authorizer); empty = no tokens there.
    USER_POOL_ISSUER: str = ""
    USER_POOL_CLIENT_IDS: str = ""
    PAGE_SIZE: Annotated[int, Field(ge=1, le=100)] = 25
    # The window of the stack's recording configuration: channels that name none get it.
    DEFAULT_RECONNECT_WINDOW_SECONDS: Annotated[int, Field(ge=0, le=300)] = 60

    @property
    def client_ids(self) -> list[str]:
        return [c for c in self.USER_POOL_CLIENT_IDS.split(",") if c]


class EventsEnv(_Env):
    """The IVS events consumer. Each channel has its own window; this one is for channels that name none."""

    RECONNECT_WINDOW_SECONDS: Annotated[int, Field(ge=0, le=300)]

    @property
    def reconnect_window(self) -> timedelta:
        return timedelta(seconds=self.RECONNECT_WINDOW_SECONDS)


@cache
def api_env() -> ApiEnv:
    return ApiEnv.model_validate(dict(os.environ))


@cache
def events_env() -> EventsEnv:
    return EventsEnv.model_validate(dict(os.environ))


class DeletionEnv(BaseModel):
    """The consumer that forgets deleted videos: the table, and the recording bucket it deletes from."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TABLE_NAME: Name


@cache
def deletion_env() -> DeletionEnv:
    return DeletionEnv.model_validate(dict(os.environ))
