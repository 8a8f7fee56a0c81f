"""Environment of the live functions, validated once per cold start (never at import)."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    connections_table: str = Field(alias="CONNECTIONS_TABLE", min_length=3, max_length=255)
    region: str = Field(alias="AWS_REGION", min_length=1)


class SocketSettings(_Settings):
    """The WebSocket routes' function; the user pool is found through SSM so the stack deploys alone."""

    user_pool_issuer_parameter: str = Field(alias="USER_POOL_ISSUER_PARAMETER", pattern=r"^/")
    user_pool_client_id_parameter: str = Field(alias="USER_POOL_CLIENT_ID_PARAMETER", pattern=r"^/")


class NotifierSettings(_Settings):
    connections_url: str = Field(alias="CONNECTIONS_URL", pattern=r"^https?://")


@cache
def socket_settings() -> SocketSettings:
    return SocketSettings.model_validate(os.environ)


@cache
def notifier_settings() -> NotifierSettings:
    return NotifierSettings.model_validate(os.environ)
