"""The channel routes of the public HTTP API; each route is one domain call."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.channel import channels
from services.channel.handlers.dependencies import api_dependencies
from services.channel.models import (
    ChannelPage,
    ChannelView,
    ChannelWithKey,
    CreateChannelRequest,
    PublicChannelPage,
    PublicChannelView,
    UpdateChannelRequest,
)
from shared.api import OPTIONAL_SIGN_IN, SIGNED_IN, build_resolver
from shared.auth import Principal, principal_from_event
from shared.observability import logger, metrics, tracer

app = build_resolver()
ChannelIdPath = Annotated[str, Path(pattern=r"^ch-[0-9a-f]{12}$", description="A channel id, `ch-` + 12 hex")]
Limit = Annotated[int, Query(ge=1, le=100)]
Token = Annotated[str | None, Query(max_length=2048)]


def _caller() -> Principal:
    return principal_from_event(app.current_event.raw_event, api_dependencies().verifier)


@app.post("/channels", status_code=201, security=SIGNED_IN, summary="Create a channel (broadcasters)")
def create(body: CreateChannelRequest) -> ChannelWithKey:
    d = api_dependencies()
    return channels.create_channel(
        _caller(), body, repository=d.repository, ivs=d.ivs, publisher=d.publisher, settings=d.settings
    )


@app.get("/channels", security=SIGNED_IN, summary="My channels")
def list_mine(limit: Limit = 25, next_token: Token = None) -> ChannelPage:
    d = api_dependencies()
    return channels.list_my_channels(
        _caller(),
        repository=d.repository,
        limit=limit,
        token=next_token,
        default_window_seconds=d.settings.default_reconnect_window_seconds,
    )


@app.get("/channels/live", security=OPTIONAL_SIGN_IN, summary="Channels live now")
def list_live(limit: Limit = 25, next_token: Token = None) -> PublicChannelPage:
    _caller()  # the list is public, but a token sent with it must be valid (401 otherwise)
    return channels.list_live_channels(
        repository=api_dependencies().repository, limit=limit, token=next_token
    )


@app.get("/channels/<channel_id>", security=OPTIONAL_SIGN_IN, summary="A channel (owners see more)")
def get(channel_id: ChannelIdPath) -> ChannelView | PublicChannelView:
    d = api_dependencies()
    return channels.get_channel(
        _caller(),
        channel_id,
        repository=d.repository,
        default_window_seconds=d.settings.default_reconnect_window_seconds,
        ivs=d.ivs,
    )


@app.patch(
    "/channels/<channel_id>", security=SIGNED_IN, summary="Rename, or set the reconnect window (owner)"
)
def update(channel_id: ChannelIdPath, body: UpdateChannelRequest) -> ChannelView:
    d = api_dependencies()
    return channels.update_channel(
        _caller(), channel_id, body, repository=d.repository, ivs=d.ivs, settings=d.settings
    )


@app.post("/channels/<channel_id>/stream-key/rotate", security=SIGNED_IN, summary="New stream key (owner)")
def rotate(channel_id: ChannelIdPath) -> ChannelWithKey:
    d = api_dependencies()
    return channels.rotate_stream_key(
        _caller(), channel_id, repository=d.repository, ivs=d.ivs, publisher=d.publisher, settings=d.settings
    )


@app.delete("/channels/<channel_id>", status_code=204, security=SIGNED_IN, summary="Delete a channel")
def delete(channel_id: ChannelIdPath) -> None:
    d = api_dependencies()
    channels.delete_channel(_caller(), channel_id, repository=d.repository, ivs=d.ivs, publisher=d.publisher)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
