"""The admin routes for roles on the public HTTP API: find users by email, grant and revoke a role."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.identity import users
from services.identity.adapters.cognito import CognitoDirectory
from shared.api import SIGNED_IN, build_resolver
from shared.auth import Principal, principal_from_event
from shared.observability import logger, metrics, tracer

app = build_resolver()
Username = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.@+=,-]+$")]
_directory: users.Directory | None = None


def use(directory: users.Directory | None) -> None:
    """Tests hand in their own directory (None: Cognito again, from the environment)."""
    global _directory
    _directory = directory


@cache
def _cognito_directory() -> CognitoDirectory:
    return CognitoDirectory(boto3.client("cognito-idp"), os.environ["USER_POOL_ID"])


def _deps() -> users.Directory:
    return _directory or _cognito_directory()


def _caller() -> Principal:
    return principal_from_event(app.current_event.raw_event, None)  # behind the JWT authorizer


@app.get("/users", security=SIGNED_IN, summary="Users whose email starts with `email` (admins)")
def find(email: Annotated[users.EmailPrefix, Query()]) -> users.UserPage:
    return users.find_users(_caller(), email, directory=_deps())


@app.put("/users/<username>/roles/<role>", security=SIGNED_IN, summary="Grant a role (admins)")
def grant(username: Username, role: users.Role) -> users.UserView:
    return users.set_role(_caller(), username, role, granted=True, directory=_deps())


@app.delete("/users/<username>/roles/<role>", security=SIGNED_IN, summary="Revoke a role (admins)")
def revoke(username: Username, role: users.Role) -> users.UserView:
    return users.set_role(_caller(), username, role, granted=False, directory=_deps())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
