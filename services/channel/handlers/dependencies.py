"""The channel functions' collaborators, built on first use from the validated environment (never at import).

Tests and local tools hand in their own with `use(...)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import boto3

from services.channel.adapters.dynamodb import DynamoChannelRepository
from services.channel.adapters.ivs import BotoIvs
from services.channel.adapters.s3 import S3RecordingReader
from services.channel.channels import ChannelSettings
from services.channel.config import api_env, events_env
from services.channel.ports import ChannelRepository, IvsPort, RecordingReader
from shared.auth import TokenVerifier, cognito_jwks_url
from shared.events import EventPublisher, Publisher


@dataclass
class ApiDependencies:
    repository: ChannelRepository
    ivs: IvsPort
    publisher: Publisher
    settings: ChannelSettings
    verifier: TokenVerifier | None = None
    page_size: int = 25


@dataclass
class EventsDependencies:
    repository: ChannelRepository
    publisher: Publisher
    recordings: RecordingReader
    reconnect_window: timedelta


_api: ApiDependencies | None = None
_events: EventsDependencies | None = None


def use(api: ApiDependencies | None = None, events: EventsDependencies | None = None) -> None:
    """Replace the collaborators (None: build them from the environment again on next use)."""
    global _api, _events
    _api, _events = api, events


def _repository(table_name: str) -> DynamoChannelRepository:
    return DynamoChannelRepository(boto3.resource("dynamodb").Table(table_name))


def api_dependencies() -> ApiDependencies:
    global _api
    if _api is None:
        env = api_env()
        verifier = None
        if env.USER_POOL_ISSUER and env.client_ids:
            jwks = cognito_jwks_url(env.USER_POOL_ISSUER, os.environ.get("AWS_ENDPOINT_URL"))
            verifier = TokenVerifier(issuer=env.USER_POOL_ISSUER, audiences=env.client_ids, jwks_url=jwks)
        _api = ApiDependencies(
            repository=_repository(env.TABLE_NAME),
            ivs=BotoIvs(boto3.client("ivs")),
            publisher=EventPublisher(env.BUS_NAME),
            settings=ChannelSettings(
                recording_configuration_arn=env.RECORDING_CONFIGURATION_ARN,
                ivs_channel_prefix=env.IVS_CHANNEL_PREFIX,
                stage=env.STAGE,
                default_reconnect_window_seconds=env.DEFAULT_RECONNECT_WINDOW_SECONDS,
            ),
            verifier=verifier,
            page_size=env.PAGE_SIZE,
        )
    return _api


def events_dependencies() -> EventsDependencies:
    global _events
    if _events is None:
        env = events_env()
        _events = EventsDependencies(
            repository=_repository(env.TABLE_NAME),
            publisher=EventPublisher(env.BUS_NAME),
            recordings=S3RecordingReader(boto3.client("s3")),
            reconnect_window=env.reconnect_window,
        )
    return _events
