"""HTTP API → Lambda: the plugin registry (`/plugins`), for plugin developers (their own) and admins (all)."""

from __future__ import annotations

import os
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import WithJsonSchema

from services.plugins.adapters import DynamoInvocationLog, DynamoRegistryStore
from services.plugins.config import ApiSettings
from services.plugins.deployments import BusDeployments
from services.plugins.invocation_log import (
    DEFAULT_PAGE_LIMIT,
    InvocationLogReader,
    InvocationPage,
    NextToken,
    PageLimit,
    recent_invocations,
)
from services.plugins.manifest import ManifestError, PluginManifest, parse_manifest
from services.plugins.registry import InvalidRegistration, RegisteredPlugin, Registry
from shared.api import SIGNED_IN, build_resolver
from shared.auth import Principal, principal_from_event
from shared.observability import logger, metrics, tracer

app = build_resolver(invalid_request_status=HTTPStatus.UNPROCESSABLE_ENTITY)
Limit = Annotated[PageLimit, Query(description="Invocations per page")]
Token = Annotated[NextToken | None, Query(description="`next_token` of the previous page")]
# Any JSON object passes the resolver; parse_manifest then names each problem (422 `problems`). The document
# shows the manifest's own schema.
ManifestBody = Annotated[
    dict[str, Any], WithJsonSchema(PluginManifest.model_json_schema()), Body(description="A plugin manifest")
]


@cache
def settings() -> ApiSettings:
    return ApiSettings.from_env(os.environ)


@cache
def registry() -> Registry:
    table = boto3.resource("dynamodb").Table(settings().registry_table)
    deployments = BusDeployments(
        settings().bus_name, settings().stage, boto3.client("events"), boto3.client("sqs"),
        boto3.client("lambda"),
    )  # fmt: skip
    return Registry(DynamoRegistryStore(table), deployments=deployments)


@cache
def invocation_log() -> InvocationLogReader:
    return DynamoInvocationLog(boto3.resource("dynamodb").Table(settings().lifecycle_table))


def caller() -> Principal:
    # Every /plugins route sits behind the JWT authorizer: the claims are there, no token to verify here.
    return principal_from_event(app.current_event.raw_event, verifier=None)


def _view(plugin: RegisteredPlugin) -> dict[str, Any]:
    return {**plugin.model_dump(mode="json", exclude={"manifest"}), "name": plugin.name,
            "manifest": plugin.manifest.model_dump(mode="json")}  # fmt: skip


@app.post("/plugins", status_code=201, security=SIGNED_IN, summary="Register a plugin")
def register(manifest: ManifestBody) -> Response[dict[str, Any]]:
    plugin = registry().register(caller(), parse_manifest(manifest))
    return Response(201, content_types.APPLICATION_JSON, _view(plugin))


@app.get("/plugins", security=SIGNED_IN, summary="Registered plugins (own; admins: all)")
def list_plugins() -> dict[str, Any]:
    return {"plugins": [_view(p) for p in registry().list_plugins(caller())]}


@app.get("/plugins/<name>", security=SIGNED_IN, summary="One plugin")
def get_plugin(name: str) -> dict[str, Any]:
    return _view(registry().get(caller(), name))


@app.put("/plugins/<name>", security=SIGNED_IN, summary="Replace a plugin's manifest")
def update_plugin(name: str, manifest: ManifestBody) -> dict[str, Any]:
    return _view(registry().update(caller(), name, parse_manifest(manifest)))


@app.post("/plugins/<name>/enable", security=SIGNED_IN, summary="Enable a plugin")
def enable_plugin(name: str) -> dict[str, Any]:
    return _view(registry().set_enabled(caller(), name, True))


@app.post("/plugins/<name>/disable", security=SIGNED_IN, summary="Disable a plugin")
def disable_plugin(name: str) -> dict[str, Any]:
    return _view(registry().set_enabled(caller(), name, False))


@app.get("/plugins/<name>/invocations", security=SIGNED_IN, summary="Recent invocations")
def list_invocations(
    name: str, limit: Limit = DEFAULT_PAGE_LIMIT, next_token: Token = None
) -> InvocationPage:
    return recent_invocations(registry(), invocation_log(), caller(), name, limit, next_token)


@app.delete("/plugins/<name>", status_code=204, security=SIGNED_IN, summary="Deregister a plugin")
def deregister_plugin(name: str) -> Response[str]:
    registry().deregister(caller(), name)
    return Response(204, content_types.TEXT_PLAIN, "")


def _refused(message: str, problems: list[tuple[str, str]]) -> Response[dict[str, Any]]:
    """422 with one `{field, message}` per problem, `field` a JSON pointer into the manifest."""
    listed = [{"field": field, "message": text} for field, text in problems]
    return Response(422, content_types.APPLICATION_JSON, {"message": message, "problems": listed})


@app.exception_handler(ManifestError)
def manifest_refused(error: ManifestError) -> Response[dict[str, Any]]:
    return _refused("invalid manifest", error.problems)


@app.exception_handler(InvalidRegistration)
def registration_refused(error: InvalidRegistration) -> Response[dict[str, Any]]:
    return _refused("registration refused", error.problems)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
