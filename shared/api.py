"""The HTTP API's shared setup: domain errors every service raises, their status codes, OpenAPI metadata.

Each service builds its resolver with `build_resolver()` so errors read the same everywhere:
`{"message": "...", "errors": [...]}` with 400/401/403/404/409 (and 422 where a service keeps it for
invalid requests). CORS is configured on the HTTP API itself
(API Gateway answers preflights and sets the headers), so the resolver adds none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from importlib import resources
from typing import Any, ClassVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.auth import ForbiddenError, InvalidTokenError, NotSignedInError

API_TITLE = "svideo API"
API_VERSION = "1"
SECURITY_SCHEME = "cognito"
# The `security` of a route that needs (or accepts) a user-pool token.
SIGNED_IN: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
OPTIONAL_SIGN_IN: list[dict[str, list[str]]] = [{}, {SECURITY_SCHEME: []}]
# Swagger UI's two assets, served by the API function itself from the pinned Powertools wheel (which ships
# swagger-ui-dist's builds): no CDN, no second copy to keep in step. Relative to `/docs`, so the page works
# under any base path (the local cloud's `/_aws/execute-api/<apiId>/`, a custom domain, a stage).
SWAGGER_ASSETS_PATH = "/swagger-ui"
DEFAULT_SWAGGER_BASE_URL = "swagger-ui"
SWAGGER_ASSETS: dict[str, str] = {
    "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}
ASSET_CACHE_SECONDS = 86400


class NotFoundError(Exception):
    """The resource does not exist, or the caller may not know it exists (404)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.NOT_FOUND


class ConflictError(Exception):
    """The resource is not in a state that allows the request (409)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.CONFLICT


class BadRequestError(Exception):
    """The request is well-formed JSON but not acceptable, e.g. a bad pagination token (400)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST


def error_response(status: HTTPStatus, message: str, errors: list[Any] | None = None) -> Response[str]:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return Response(
        status_code=int(status), content_type=content_types.APPLICATION_JSON, body=json.dumps(body)
    )


def _validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"location": ".".join(str(part) for part in e.get("loc", ())), "message": e.get("msg", "")}
        for e in error.errors()
    ]


ERROR_STATUS: dict[type[Exception], tuple[HTTPStatus, Callable[[Exception], str]]] = {
    NotSignedInError: (HTTPStatus.UNAUTHORIZED, str),
    InvalidTokenError: (HTTPStatus.UNAUTHORIZED, str),
    ForbiddenError: (HTTPStatus.FORBIDDEN, str),
    NotFoundError: (NotFoundError.status, str),
    ConflictError: (ConflictError.status, str),
    BadRequestError: (BadRequestError.status, str),
}


def build_resolver(invalid_request_status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> APIGatewayHttpResolver:
    """A resolver that validates requests and responses and maps the shared errors to status codes.

    `invalid_request_status` is the status of a request that fails validation: 400 for videos and channels,
    422 for the plugin registry and the title feedback routes, whose clients were given 422 from the start.
    """
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return error_response(invalid_request_status, "invalid request", _validation_errors(error))

    for error_type, (status, message) in ERROR_STATUS.items():
        app.exception_handler(error_type)(
            lambda error, status=status, message=message: error_response(status, message(error))
        )
    return app


def swagger_asset(name: str) -> str | None:
    """One of Swagger UI's assets as text, or None for a name that is not one of them."""
    if name not in SWAGGER_ASSETS:
        return None
    folder = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    return folder.joinpath(name).read_text(encoding="utf-8")


def enable_docs(app: APIGatewayHttpResolver, *, description: str, swagger_base_url: str | None) -> None:
    """`/openapi.json` and Swagger UI at `/docs`; its JS/CSS load from `swagger_base_url` (by default this
    API's own `/swagger-ui/<asset>`), never a CDN."""
    app.enable_swagger(
        path="/docs",
        title=API_TITLE,
        version=API_VERSION,
        description=description,
        swagger_base_url=swagger_base_url or DEFAULT_SWAGGER_BASE_URL,
        security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="Cognito ID token")},
    )

    @app.get("/openapi.json", include_in_schema=False)
    def _openapi() -> Response[str]:
        document = app.get_openapi_json_schema(
            title=API_TITLE,
            version=API_VERSION,
            description=description,
            security_schemes={
                SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="Cognito ID token")
            },
        )
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)

    @app.get(f"{SWAGGER_ASSETS_PATH}/<asset>", include_in_schema=False)
    def _swagger_asset(asset: str) -> Response[str]:
        body = swagger_asset(asset)
        if body is None:
            raise NotFoundError(f"no asset {asset!r}")
        return Response(
            status_code=200,
            content_type=SWAGGER_ASSETS[asset],
            body=body,
            headers={"Cache-Control": f"public, max-age={ASSET_CACHE_SECONDS}"},
            compress=True,
        )
