"""The channel routes of the public HTTP API; each route is one domain call."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.channel import channels
from services.channel.adapters.dynamodb import DynamoChannelRepository
from services.channel.adapters.ivs import BotoIvs
from services.channel.config import api_env
from services.channel.models import (
    ChannelPage,
    ChannelView,
    ChannelWithKey,
    CreateChannelRequest,
    PublicChannelPage,
    PublicChannelView,
)
from shared.api import OPTIONAL_SIGN_IN, SIGNED_IN, build_resolver
from shared.auth import Principal, TokenVerifier, cognito_jwks_url, principal_from_event
from shared.events import EventPublisher
from shared.observability import logger, metrics, tracer

app = build_resolver()
ChannelIdPath = Annotated[str, Path(pattern=r"^ch-[0-9a-f]{12}$", description="A channel id, `ch-` + 12 hex")]
Limit = Annotated[int, Query(ge=1, le=100)]
Token = Annotated[str | None, Query(max_length=2048)]


@cache
def _deps() -> dict[str, Any]:
    env = api_env()
    verifier = None
    if env.USER_POOL_ISSUER and env.client_ids:
        import os

        jwks = cognito_jwks_url(env.USER_POOL_ISSUER, os.environ.get("AWS_ENDPOINT_URL"))
        verifier = TokenVerifier(issuer=env.USER_POOL_ISSUER, audiences=env.client_ids, jwks_url=jwks)
    return {
        "repository": DynamoChannelRepository(boto3.resource("dynamodb").Table(env.TABLE_NAME)),
        "ivs": BotoIvs(boto3.client("ivs")),
        "publisher": EventPublisher(env.BUS_NAME),
        "settings": channels.ChannelSettings(
            recording_configuration_arn=env.RECORDING_CONFIGURATION_ARN,
            ivs_channel_prefix=env.IVS_CHANNEL_PREFIX,
            stage=env.STAGE,
        ),
        "verifier": verifier,
    }


def _caller() -> Principal:
    return principal_from_event(app.current_event.raw_event, _deps()["verifier"])


@app.post("/channels", status_code=201, security=SIGNED_IN, summary="Create a channel (broadcasters)")
def create(body: CreateChannelRequest) -> ChannelWithKey:
    d = _deps()
    return channels.create_channel(
        _caller(),
        body,
        repository=d["repository"],
        ivs=d["ivs"],
        publisher=d["publisher"],
        settings=d["settings"],
    )


@app.get("/channels", security=SIGNED_IN, summary="My channels")
def list_mine(limit: Limit = 25, next_token: Token = None) -> ChannelPage:
    return channels.list_my_channels(
        _caller(), repository=_deps()["repository"], limit=limit, token=next_token
    )


@app.get("/channels/live", security=OPTIONAL_SIGN_IN, summary="Channels live now")
def list_live(limit: Limit = 25, next_token: Token = None) -> PublicChannelPage:
    return channels.list_live_channels(repository=_deps()["repository"], limit=limit, token=next_token)


@app.get("/channels/<channel_id>", security=OPTIONAL_SIGN_IN, summary="A channel (owners see more)")
def get(channel_id: ChannelIdPath) -> ChannelView | PublicChannelView:
    return channels.get_channel(_caller(), channel_id, repository=_deps()["repository"])


@app.post("/channels/<channel_id>/stream-key/rotate", security=SIGNED_IN, summary="New stream key (owner)")
def rotate(channel_id: ChannelIdPath) -> ChannelWithKey:
    d = _deps()
    return channels.rotate_stream_key(
        _caller(),
        channel_id,
        repository=d["repository"],
        ivs=d["ivs"],
        publisher=d["publisher"],
        settings=d["settings"],
    )


@app.delete("/channels/<channel_id>", status_code=204, security=SIGNED_IN, summary="Delete a channel")
def delete(channel_id: ChannelIdPath) -> None:
    d = _deps()
    channels.delete_channel(
        _caller(), channel_id, repository=d["repository"], ivs=d["ivs"], publisher=d["publisher"]
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
