"""The WebSocket API's routes: `$connect` (optional ID token), `$disconnect`, `subscribe` and `$default`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from services.live import domain
from services.live.auth import ConnectRefusedError, connection_principal, user_pool_verifier
from services.live.repository import DynamoConnectionStore
from services.live.settings import socket_settings
from shared.auth import TokenVerifier
from shared.observability import logger, tracer

TOKEN_PARAMETER = "token"


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")


@cache
def _store() -> DynamoConnectionStore:
    return DynamoConnectionStore(boto3.resource("dynamodb").Table(socket_settings().connections_table))


@cache
def _verifier() -> TokenVerifier | None:
    settings = socket_settings()
    return user_pool_verifier(
        boto3.client("ssm"),
        boto3.client("cognito-idp").meta.endpoint_url,
        settings.user_pool_issuer_parameter,
        settings.user_pool_client_id_parameter,
    )


def on_connect(event: dict[str, Any]) -> dict[str, Any]:
    request = parse(event=event, model=ConnectEvent)
    token = (request.query_string_parameters or {}).get(TOKEN_PARAMETER)
    try:
        principal = connection_principal(token, _verifier() if token else None)
    except ConnectRefusedError as refused:
        logger.info("connection refused", extra={"reason": str(refused)})
        return {"statusCode": 401, "body": "Unauthorized"}
    domain.connect(_store(), request.request_context.connection_id, principal, datetime.now(UTC))
    return {"statusCode": 200}


def on_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    request = parse(event=event, model=APIGatewayWebSocketDisconnectEventModel)
    domain.disconnect(_store(), request.request_context.connection_id)
    return {"statusCode": 200}


def on_message(event: dict[str, Any]) -> dict[str, Any]:
    request = parse(event=event, model=APIGatewayWebSocketMessageEventModel)
    body = request.body if isinstance(request.body, str) else None
    frame = domain.handle_message(_store(), request.request_context.connection_id, body)
    return {"statusCode": 200, "body": frame}


ROUTES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "$connect": on_connect,
    "$disconnect": on_disconnect,
}


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # `subscribe`, `$default` and any other message route share one parser that refuses what is not allowed.
    route = ROUTES.get(str(event.get("requestContext", {}).get("routeKey")), on_message)
    return route(event)
