"""The HTTP API's shared setup: the status codes of the domain errors in `shared.errors`, OpenAPI metadata.

Each service builds its resolver with `build_resolver()` so errors read the same everywhere:
`{"message": "...", "errors": [...]}` with 400/401/403/404/409/413 (and 422 where a service keeps it for
invalid requests). Before any route runs, a request body is checked once for every route: at most
`MAX_BODY_BYTES`, UTF-8 JSON sent as JSON, nested at most `MAX_JSON_DEPTH` deep; otherwise 400, 413 or 415
says which.
CORS is configured on the HTTP API itself (API Gateway answers preflights and sets the headers), so the
resolver adds none.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.auth import ForbiddenError, InvalidTokenError, NotSignedInError
from shared.errors import BadRequestError, ConflictError, NotFoundError

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
# Request bodies: manifests and title feedback are a few KB; 256 KB is EventBridge's own event limit.
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


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


class BodyRejected(Exception):
    """A request body no route could read: not typed as JSON, too large, not UTF-8, not JSON or too deep."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_body(event: Mapping[str, Any]) -> None:
    """Raises BodyRejected naming what is wrong with the body of an HTTP API (payload 2.0) event."""
    body = event.get("body")
    if not body:
        return
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        message = f"the body must be application/json, not {media_type or '(empty)'}"
        raise BodyRejected(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, message)
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BodyRejected(HTTPStatus.BAD_REQUEST, "the body is not valid base64") from None
    else:
        raw = str(body).encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise BodyRejected(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the body is {len(raw)} bytes, over the limit of {MAX_BODY_BYTES}",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise BodyRejected(HTTPStatus.BAD_REQUEST, f"the body is not UTF-8: {byte}") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise BodyRejected(HTTPStatus.BAD_REQUEST, _too_deep()) from None
    except json.JSONDecodeError as exc:
        raise BodyRejected(
            HTTPStatus.BAD_REQUEST,
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise BodyRejected(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON: {exc}") from None
    if json_depth(document) > MAX_JSON_DEPTH:
        raise BodyRejected(HTTPStatus.BAD_REQUEST, _too_deep())


def _too_deep() -> str:
    return f"the body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"


def json_depth(document: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON document (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


class ApiResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver that refuses an unreadable body before routing (see `check_body`)."""

    invalid_request_status: HTTPStatus = HTTPStatus.BAD_REQUEST

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            check_body(event)
        except BodyRejected as rejected:
            return {
                "statusCode": int(rejected.status),
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json.dumps({"message": rejected.message}),
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


def build_resolver(invalid_request_status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> ApiResolver:
    """A resolver that validates requests and responses and maps the shared errors to status codes.

    `invalid_request_status` is the status of a request that fails validation: 400 for videos and channels,
    422 for the plugin registry and the title feedback routes, whose clients were given 422 from the start.
    """
    app = ApiResolver(enable_validation=True)
    app.invalid_request_status = invalid_request_status

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
