"""API Gateway HTTP API execution on the local cloud, with JWT authorizers fed by the local Cognito.

moto keeps the management API (CreateApi, CreateRoute, CreateIntegration, CreateAuthorizer, CreateStage);
this service executes the APIs at `<endpoint>/_aws/execute-api/<apiId>/<stage>/<path>` (no stage segment
for the `$default` stage): route selection, Lambda proxy integrations with payload format 2.0, CORS and JWT.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import jwt
import requests
from werkzeug.wrappers import Response

from local.aws import AwsRequest

if TYPE_CHECKING:
    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.apigateway")

PREFIX = "/_aws/execute-api/"
JWKS_TTL_S = 300.0
_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/(?P<pool>[\w-]+)$")
_LAMBDA_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/javascript",
)


@dataclass(frozen=True)
class RouteMatch:
    route: Any
    route_key: str
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def match_template(template: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` fits the route template (`{name}` one segment, `{name+}` the rest)."""
    wanted, actual = _segments(template), _segments(path)
    parameters: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            if index != len(wanted) - 1 or index >= len(actual):
                return None
            parameters[segment[1:-2]] = "/".join(actual[index:])
            return parameters
        if index >= len(actual):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            parameters[segment[1:-1]] = actual[index]
        elif segment != actual[index]:
            return None
    return parameters if len(wanted) == len(actual) else None


def select_route(route_keys: list[str], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """API Gateway's choice: the most specific matching route, `METHOD` over `ANY`, else `$default`."""
    best: tuple[tuple[int, int, int, int], str, dict[str, str]] | None = None
    for key in route_keys:
        if key == "$default" or " " not in key:
            continue
        route_method, template = key.split(" ", 1)
        if route_method not in (method, "ANY"):
            continue
        parameters = match_template(template, path)
        if parameters is None:
            continue
        segments = _segments(template)
        greedy = any(s.endswith("+}") for s in segments)
        literals = sum(1 for s in segments if not s.startswith("{"))
        rank = (0 if greedy else 1, literals, len(segments), 1 if route_method == method else 0)
        if best is None or rank > best[0]:
            best = (rank, key, parameters)
    if best is not None:
        return best[1], best[2]
    if "$default" in route_keys:
        return "$default", {}
    return None


def _gateway_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps({"message": message}), status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _claim_text(value: Any) -> str:
    """The 2.0 payload passes claims as strings: lists as "[a b]", booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(item) for item in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


class JwtRejected(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class JwksCache:
    """Signing keys per issuer; a Cognito issuer is mapped to the local endpoint that serves its JWKS."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._keys: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def url(self, issuer: str) -> str:
        match = _COGNITO_ISSUER.match(issuer.rstrip("/"))
        if match:
            return f"{self._endpoint}/{match.group('pool')}/.well-known/jwks.json"
        return issuer.rstrip("/") + "/.well-known/jwks.json"

    def key(self, issuer: str, kid: str | None) -> Any:
        with self._lock:
            cached = self._keys.get(issuer)
        if cached is None or time.monotonic() - cached[0] > JWKS_TTL_S or kid not in cached[1]:
            try:
                document = requests.get(self.url(issuer), timeout=5).json()
            except (requests.RequestException, ValueError) as exc:
                raise JwtRejected(401, f"unable to fetch the issuer's keys: {exc}") from exc
            keys = {entry.get("kid"): entry for entry in document.get("keys", [])}
            cached = (time.monotonic(), keys)
            with self._lock:
                self._keys[issuer] = cached
        entry = cached[1].get(kid or "")
        if entry is None:
            raise JwtRejected(401, "the token's signing key is not among the issuer's keys")
        return jwt.PyJWK(entry).key


def validate_jwt(
    token: str, *, issuer: str, audiences: list[str], scopes: list[str], keys: JwksCache
) -> dict[str, Any]:
    """The claims of a token that API Gateway's JWT authorizer would accept; raises JwtRejected otherwise."""
    try:
        header = jwt.get_unverified_header(token)
        key = keys.key(issuer, header.get("kid"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"verify_aud": False, "require": ["exp", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise JwtRejected(401, str(exc)) from exc
    audience = claims.get("aud", claims.get("client_id"))
    token_audiences = audience if isinstance(audience, list) else [audience]
    if not set(token_audiences) & set(audiences):
        raise JwtRejected(401, "the token's audience is not allowed")
    if scopes:
        granted = str(claims.get("scope", "")).split()
        if not set(granted) & set(scopes):
            raise JwtRejected(403, "the token does not carry a scope this route requires")
    return claims


class ApiGatewayService:
    """A `LocalService` under "*": answers requests whose path starts with `/_aws/execute-api/`."""

    signing_names = ("*",)

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._keys: JwksCache | None = None

    def start(self) -> None:
        self._keys = JwksCache(self.cloud.endpoint)

    def stop(self) -> None:
        self._keys = None

    def handle(self, request: AwsRequest) -> Response | None:
        if not request.path.startswith(PREFIX):
            return None
        parts = request.path[len(PREFIX) :].split("/", 1)
        api = self._api(parts[0])
        if api is None or api.protocol_type != "HTTP":
            return _gateway_error(404, "Not Found")
        rest = "/" + (parts[1] if len(parts) > 1 else "")
        stage, path = "$default", rest
        first = _segments(rest)[:1]
        if first and first[0] in api.stages and first[0] != "$default":
            stage, path = (
                first[0],
                "/"
                + "/".join(_segments(rest)[1:])
                + ("/" if rest.endswith("/") and len(_segments(rest)) > 1 else ""),
            )
        elif "$default" not in api.stages:
            return _gateway_error(404, "Not Found")
        cors = api.cors_configuration or None
        if cors and request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return self._preflight(cors, request)
        response = self._execute(api, stage, path, rest, request)
        if cors:
            self._cors_headers(cors, request, response)
        return response

    def _api(self, api_id: str) -> Any:
        from moto.apigatewayv2.models import apigatewayv2_backends

        backend = apigatewayv2_backends[self.cloud.account_id][self.cloud.region]
        return backend.apis.get(api_id)

    def _execute(self, api: Any, stage: str, path: str, raw_path: str, request: AwsRequest) -> Response:
        routes = {route.route_key: route for route in api.routes.values()}
        selected = select_route(list(routes), request.method, path)
        if selected is None:
            return _gateway_error(404, "Not Found")
        route_key, path_parameters = selected
        route = routes[route_key]
        authorizer_context: dict[str, Any] | None = None
        if (route.authorization_type or "NONE") == "JWT":
            outcome = self._authorize(api, route, request)
            if isinstance(outcome, Response):
                return outcome
            authorizer_context = outcome
        integration = self._integration(api, route)
        if integration is None:
            return _gateway_error(500, "Internal Server Error")
        event = build_event(
            request,
            api_id=api.api_id,
            account_id=self.cloud.account_id,
            stage=stage,
            route_key=route_key,
            raw_path=raw_path,
            path_parameters=path_parameters,
            authorizer=authorizer_context,
            domain=self.cloud.host,
        )
        return self._invoke(integration, event)

    def _integration(self, api: Any, route: Any) -> Any:
        target = route.target or ""
        if not target.startswith("integrations/"):
            return None
        return api.integrations.get(target.split("/", 1)[1])

    def _authorize(self, api: Any, route: Any, request: AwsRequest) -> dict[str, Any] | Response:
        authorizer = api.authorizers.get(route.authorizer_id or "")
        if authorizer is None or self._keys is None:
            return _gateway_error(500, "Internal Server Error")
        config = authorizer.jwt_config or {}
        source = authorizer.identity_source or ["$request.header.Authorization"]
        header_name = (source[0] if isinstance(source, list) else source).rsplit(".", 1)[-1].lower()
        token = request.headers.get(header_name, "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            return _gateway_error(401, "Unauthorized")
        try:
            claims = validate_jwt(
                token,
                issuer=config.get("issuer", ""),
                audiences=list(config.get("audience") or []),
                scopes=list(route.authorization_scopes or []),
                keys=self._keys,
            )
        except JwtRejected as rejected:
            log.info("JWT rejected on %s: %s", route.route_key, rejected.description)
            challenge = f'Bearer scope="" error="invalid_token" error_description="{rejected.description}"'
            if rejected.status == 403:
                return _gateway_error(403, "Forbidden")
            return _gateway_error(401, "Unauthorized", {"www-authenticate": challenge})
        scopes = str(claims.get("scope", "")).split() or None
        return {
            "jwt": {"claims": {key: _claim_text(value) for key, value in claims.items()}, "scopes": scopes}
        }

    def _invoke(self, integration: Any, event: dict[str, Any]) -> Response:
        lambdas = self.cloud.lambdas
        uri = integration.integration_uri or ""
        match = _LAMBDA_URI.search(uri)
        function = match.group("arn") if match else uri
        if (
            (integration.integration_type or "").upper() != "AWS_PROXY"
            or lambdas is None
            or ":lambda:" not in function
        ):
            log.warning("unsupported integration %s %s", integration.integration_type, uri)
            return _gateway_error(500, "Internal Server Error")
        try:
            result = lambdas.invoke(function, json.dumps(event).encode())
        except Exception as exc:
            log.warning("integration %s failed: %s", function, exc)
            return _gateway_error(500, "Internal Server Error")
        if result.function_error:
            return _gateway_error(500, "Internal Server Error")
        return map_response(result.payload)

    def _preflight(self, cors: dict[str, Any], request: AwsRequest) -> Response:
        response = Response(status=204)
        origin = request.headers.get("origin", "")
        allowed = _allowed_origin(cors, origin)
        if allowed:
            response.headers["access-control-allow-origin"] = allowed
            methods = cors.get("allowMethods") or []
            response.headers["access-control-allow-methods"] = ",".join(methods) if methods else "*"
            if cors.get("allowHeaders"):
                response.headers["access-control-allow-headers"] = ",".join(cors["allowHeaders"])
            if cors.get("maxAge") is not None:
                response.headers["access-control-max-age"] = str(cors["maxAge"])
            if cors.get("allowCredentials"):
                response.headers["access-control-allow-credentials"] = "true"
        return response

    def _cors_headers(self, cors: dict[str, Any], request: AwsRequest, response: Response) -> None:
        allowed = _allowed_origin(cors, request.headers.get("origin", ""))
        if not allowed:
            return
        response.headers["access-control-allow-origin"] = allowed
        if cors.get("exposeHeaders"):
            response.headers["access-control-expose-headers"] = ",".join(cors["exposeHeaders"])
        if cors.get("allowCredentials"):
            response.headers["access-control-allow-credentials"] = "true"


def _allowed_origin(cors: dict[str, Any], origin: str) -> str | None:
    origins = cors.get("allowOrigins") or []
    if not origin:
        return None
    if "*" in origins:
        return "*" if not cors.get("allowCredentials") else origin
    return origin if origin in origins else None


def build_event(
    request: AwsRequest,
    *,
    api_id: str,
    account_id: str,
    stage: str,
    route_key: str,
    raw_path: str,
    path_parameters: dict[str, str],
    authorizer: dict[str, Any] | None,
    domain: str,
) -> dict[str, Any]:
    """The payload format 2.0 event a Lambda proxy integration receives."""
    raw_query = request.environ.get("QUERY_STRING", "")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    headers = {key: value for key, value in request.headers.items() if key != "cookie"}
    cookies = [c.strip() for c in request.headers.get("cookie", "").split(";") if c.strip()]
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": request.headers.get("host", domain),
        "domainPrefix": api_id,
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.environ.get("REMOTE_ADDR", "127.0.0.1"),
            "userAgent": request.headers.get("user-agent", ""),
        },
        "requestId": base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode(),
        "routeKey": route_key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        content_type = request.headers.get("content-type", "")
        text = content_type.startswith(_TEXT_TYPES) or not content_type
        try:
            event["body"] = request.body.decode() if text else base64.b64encode(request.body).decode()
        except UnicodeDecodeError:
            text = False
            event["body"] = base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event


def map_response(payload: bytes) -> Response:
    """Payload format 2.0 responses: the structured form, or the inferred form for any other JSON value."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return _gateway_error(500, "Internal Server Error")
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body")
        raw: bytes
        if body is None:
            raw = b""
        elif result.get("isBase64Encoded"):
            raw = base64.b64decode(body)
        else:
            raw = (body if isinstance(body, str) else json.dumps(body)).encode()
        response = Response(raw, status=int(result["statusCode"]))
        response.headers.pop("content-type", None)
        for key, value in (result.get("headers") or {}).items():
            response.headers[key] = str(value)
        for key, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(key, str(value))
        for cookie in result.get("cookies") or []:
            response.headers.add("set-cookie", cookie)
        if "content-type" not in response.headers:
            response.headers["content-type"] = "application/json"
        return response
    body_text = result if isinstance(result, str) else json.dumps(result)
    return Response(body_text, status=200, content_type="application/json")
