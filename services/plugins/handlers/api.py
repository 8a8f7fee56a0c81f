"""HTTP API → Lambda: the plugin registry (`/plugins`), for plugin developers (their own) and admins (all)."""

from __future__ import annotations

import os
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.plugins.adapters import DynamoInvocationLog, DynamoRegistryStore
from services.plugins.config import ApiSettings
from services.plugins.invocation_log import (
    DEFAULT_PAGE_LIMIT,
    InvocationLogReader,
    InvocationPage,
    NextToken,
    PageLimit,
    recent_invocations,
)
from services.plugins.manifest import ManifestError, parse_manifest
from services.plugins.registry import InvalidRegistration, RegisteredPlugin, Registry
from shared.api import build_resolver, error_response
from shared.auth import Principal, principal_from_event
from shared.observability import logger, metrics, tracer

app = build_resolver(invalid_request_status=HTTPStatus.UNPROCESSABLE_ENTITY)
Limit = Annotated[PageLimit, Query(description="Invocations per page")]
Token = Annotated[NextToken | None, Query(description="`next_token` of the previous page")]


@cache
def settings() -> ApiSettings:
    return ApiSettings.from_env(os.environ)


@cache
def registry() -> Registry:
    return Registry(DynamoRegistryStore(boto3.resource("dynamodb").Table(settings().registry_table)))


@cache
def invocation_log() -> InvocationLogReader:
    return DynamoInvocationLog(boto3.resource("dynamodb").Table(settings().lifecycle_table))


def caller() -> Principal:
    # Every /plugins route sits behind the JWT authorizer: the claims are there, no token to verify here.
    return principal_from_event(app.current_event.raw_event, verifier=None)


def _view(plugin: RegisteredPlugin) -> dict[str, Any]:
    return {**plugin.model_dump(mode="json", exclude={"manifest"}), "name": plugin.name,
            "manifest": plugin.manifest.model_dump(mode="json")}  # fmt: skip


@app.post("/plugins")
def register() -> Response[dict[str, Any]]:
    plugin = registry().register(caller(), parse_manifest(app.current_event.json_body))
    return Response(201, content_types.APPLICATION_JSON, _view(plugin))


@app.get("/plugins")
def list_plugins() -> dict[str, Any]:
    return {"plugins": [_view(p) for p in registry().list_plugins(caller())]}


@app.get("/plugins/<name>")
def get_plugin(name: str) -> dict[str, Any]:
    return _view(registry().get(caller(), name))


@app.put("/plugins/<name>")
def update_plugin(name: str) -> dict[str, Any]:
    return _view(registry().update(caller(), name, parse_manifest(app.current_event.json_body)))


@app.post("/plugins/<name>/enable")
def enable_plugin(name: str) -> dict[str, Any]:
    return _view(registry().set_enabled(caller(), name, True))


@app.post("/plugins/<name>/disable")
def disable_plugin(name: str) -> dict[str, Any]:
    return _view(registry().set_enabled(caller(), name, False))


@app.get("/plugins/<name>/invocations")
def list_invocations(
    name: str, limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None
) -> InvocationPage:
    return recent_invocations(registry(), invocation_log(), caller(), name, limit, next_token)


@app.delete("/plugins/<name>")
def deregister_plugin(name: str) -> Response[str]:
    registry().deregister(caller(), name)
    return Response(204, content_types.TEXT_PLAIN, "")


@app.exception_handler(ManifestError)
def manifest_refused(error: ManifestError) -> Response[dict[str, Any]]:
    problems = [{"field": field, "message": message} for field, message in error.problems]
    return Response(
        422, content_types.APPLICATION_JSON, {"message": "invalid manifest", "problems": problems}
    )


@app.exception_handler(InvalidRegistration)
def registration_refused(error: InvalidRegistration) -> Response[str]:
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
