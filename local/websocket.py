"""API Gateway WebSocket APIs on the local cloud: a real WebSocket server beside the gateway.

The gateway's WSGI server cannot upgrade connections, so clients connect to a small asyncio server on its own
loopback port: `ws://127.0.0.1:<ws-port>/<apiId>/<stage>` (the path `/_aws/execute-api/<apiId>/<stage>` works
too, so the gateway-style URL the deployer reports only needs its scheme and port swapped). moto keeps the
management API (CreateApi, CreateRoute, CreateIntegration, CreateStage); this module reads the APIs from
moto's apigatewayv2 backend, runs `$connect`/`$disconnect`/message routes on their Lambda integrations through
`cloud.lambdas` with the WebSocket event shape, and serves the `@connections` management API at
`<gateway>/_aws/execute-api/<apiId>/<stage>/@connections/<connectionId>` (signed for `execute-api`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request
from websockets.http11 import Response as HandshakeResponse
from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response

if TYPE_CHECKING:
    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.websocket")

DEFAULT_WS_PORT = 4510
EXECUTE_PREFIX = "/_aws/execute-api/"
_MANAGEMENT_PATH = re.compile(
    r"^/_aws/execute-api/(?P<api>[^/]+)/(?P<stage>[^/]+)/@connections/(?P<id>[^/]+)/?$"
)
_LAMBDA_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")
_BODY_EXPRESSION = re.compile(r"^\$request\.body\.(?P<path>[A-Za-z0-9_.]+)$")
SEND_TIMEOUT_S = 5.0
DISCONNECT_WAIT_S = 2.0
MAX_FRAME_BYTES = 128 * 1024  # API Gateway's message size limit


@dataclass
class LiveConnection:
    """One open client connection of one API stage."""

    connection_id: str
    api_id: str
    stage: str
    source_ip: str
    user_agent: str
    connected_at: datetime
    socket: ServerConnection | None = None
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _request_time(moment: datetime) -> str:
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def select_route(expression: str | None, body: str | bytes, route_keys: set[str]) -> str | None:
    """The route a message goes to: the value at `$request.body.<path>` when a route has that key, else
    `$default` (None when there is no `$default` either)."""
    match = _BODY_EXPRESSION.match(expression or "")
    if match and isinstance(body, str):
        try:
            value: Any = json.loads(body)
        except ValueError:
            value = None
        for part in match.group("path").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value in route_keys and not value.startswith("$"):
            return value
    return "$default" if "$default" in route_keys else None


def connection_event(
    connection: LiveConnection,
    *,
    route_key: str,
    event_type: str,
    domain_name: str,
    headers: Mapping[str, str] | None = None,
    query: list[tuple[str, str]] | None = None,
    body: str | bytes | None = None,
    disconnect: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """The event a Lambda integration of a WebSocket route receives (CONNECT, MESSAGE or DISCONNECT)."""
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode(),
        "requestTime": _request_time(now),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": _epoch_ms(connection.connected_at),
        "requestTimeEpoch": _epoch_ms(now),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "requestId": base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode(),
        "domainName": domain_name,
        "connectionId": connection.connection_id,
        "apiId": connection.api_id,
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "MESSAGE":
        context["messageId"] = base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode()
        if isinstance(body, bytes):
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"] = body
    if event_type in ("CONNECT", "DISCONNECT"):
        single = dict(headers or {})
        event["headers"] = single
        event["multiValueHeaders"] = {key: [value] for key, value in single.items()}
    if event_type == "CONNECT" and query:
        event["queryStringParameters"] = dict(query)
        multi: dict[str, list[str]] = {}
        for key, value in query:
            multi.setdefault(key, []).append(value)
        event["multiValueQueryStringParameters"] = multi
    if disconnect is not None:
        context["disconnectStatusCode"], context["disconnectReason"] = disconnect
    return event


class WebSocketService:
    """A `LocalService` for the `@connections` API (signing name `execute-api`) plus the WebSocket server.

    It also answers nothing for `apigateway` calls but stamps WebSocket APIs' `ApiEndpoint` in moto with the
    local `ws://` URL first, so `GetApi` reports where to connect.
    """

    signing_names = ("execute-api", "apigateway")

    def __init__(self, cloud: LocalCloud, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.cloud = cloud
        self.host = host
        # A cloud on port 0 (tests) runs beside others: pick a free port for the WebSocket server too.
        self.port = port if port is not None else (0 if cloud.port == 0 else DEFAULT_WS_PORT)
        self._connections: dict[str, LiveConnection] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def endpoint(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def url(self, api_id: str, stage: str) -> str:
        return f"{self.endpoint}/{api_id}/{stage}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="websocket", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10) or self._failure is not None:
            raise RuntimeError(f"the WebSocket server did not start: {self._failure}")
        self.cloud.add_internal_route("GET", "/_svideo/websocket", self._describe)
        log.info("WebSocket APIs served on %s", self.endpoint)

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return
        # Closing the server closes every connection (going away); $disconnect handlers get a short grace.
        loop.call_soon_threadsafe(server.close)
        if self._thread is not None:
            self._thread.join(timeout=DISCONNECT_WAIT_S + 3)
        self._loop = self._server = None

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
        except BaseException as error:  # reported to start(), which raises it
            self._failure = error
            self._ready.set()
        finally:
            loop.close()

    async def _listen(self) -> None:
        async with serve(
            self._session,
            self.host,
            self.port,
            process_request=self._handshake,
            max_size=MAX_FRAME_BYTES,
            server_header=None,
        ) as server:
            self._server = server
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await server.wait_closed()

    # ------------------------------------------------------------------ reading moto's API definitions

    def _backend(self) -> Any:
        from moto.apigatewayv2.models import apigatewayv2_backends

        return apigatewayv2_backends[self.cloud.account_id][self.cloud.region]

    def _api(self, api_id: str) -> Any:
        api = self._backend().apis.get(api_id)
        return api if api is not None and api.protocol_type == "WEBSOCKET" else None

    def _stamp_endpoints(self) -> None:
        for api in list(self._backend().apis.values()):
            if api.protocol_type == "WEBSOCKET":
                api.api_endpoint = f"{self.endpoint}/{api.api_id}"

    def _describe(self, _: AwsRequest) -> Response:
        apis = [
            {
                "apiId": api.api_id,
                "name": api.name,
                "stages": sorted(api.stages),
                "urls": [self.url(api.api_id, stage) for stage in sorted(api.stages)],
            }
            for api in list(self._backend().apis.values())
            if api.protocol_type == "WEBSOCKET"
        ]
        with self._lock:
            open_connections = len(self._connections)
        return json_response({"endpoint": self.endpoint, "apis": apis, "connections": open_connections})

    def _routes(self, api: Any) -> dict[str, Any]:
        return {route.route_key: route for route in list(api.routes.values())}

    def _function(self, api: Any, route: Any) -> str | None:
        target = route.target or ""
        if not target.startswith("integrations/"):
            return None
        integration = api.integrations.get(target.split("/", 1)[1])
        if integration is None or (integration.integration_type or "").upper() not in ("AWS_PROXY", "AWS"):
            return None
        uri = integration.integration_uri or ""
        match = _LAMBDA_URI.search(uri)
        function = match.group("arn") if match else uri
        return function if ":lambda:" in function else None

    # ------------------------------------------------------------------ client connections

    def _parse_path(self, path: str) -> tuple[str, str] | None:
        parts = [part for part in urlsplit(path).path.split("/") if part]
        if parts[:2] == ["_aws", "execute-api"]:
            parts = parts[2:]
        return (parts[0], parts[1]) if len(parts) == 2 else None

    def _invoke(self, function: str, event: dict[str, Any]) -> tuple[int, Any]:
        """(status, result payload) of one integration call; 500 when the function failed."""
        lambdas = self.cloud.lambdas
        if lambdas is None:
            return 500, None
        try:
            result = lambdas.invoke(function, json.dumps(event).encode())
        except Exception:
            log.exception("WebSocket integration %s failed", function)
            return 500, None
        if result.function_error:
            log.warning("WebSocket integration %s raised: %s", function, result.payload[:500])
            return 500, None
        try:
            payload = json.loads(result.payload) if result.payload else None
        except ValueError:
            return 500, None
        status = int(payload.get("statusCode", 200)) if isinstance(payload, dict) else 200
        return status, payload

    async def _handshake(self, socket: ServerConnection, request: Request) -> HandshakeResponse | None:
        located = self._parse_path(request.path)
        api = self._api(located[0]) if located else None
        if located is None or api is None or located[1] not in api.stages:
            return socket.respond(404, "Not Found\n")
        api_id, stage = located
        forwarded = request.headers.get("X-Forwarded-For")
        remote = socket.remote_address[0] if socket.remote_address else "127.0.0.1"
        connection = LiveConnection(
            connection_id=base64.urlsafe_b64encode(os.urandom(11)).decode(),
            api_id=api_id,
            stage=stage,
            source_ip=forwarded.split(",")[0].strip() if forwarded else remote,
            user_agent=request.headers.get("User-Agent", ""),
            connected_at=datetime.now(UTC),
        )
        route = self._routes(api).get("$connect")
        if route is not None:
            function = self._function(api, route)
            if function is None:
                return socket.respond(500, "Internal server error\n")
            event = connection_event(
                connection,
                route_key="$connect",
                event_type="CONNECT",
                domain_name=f"{self.host}:{self.port}",
                headers=dict(request.headers.raw_items()),
                query=parse_qsl(urlsplit(request.path).query, keep_blank_values=True),
            )
            status, _ = await asyncio.to_thread(self._invoke, function, event)
            if not 200 <= status < 300:
                log.info(
                    "$connect refused %s on %s/%s with %d", connection.connection_id, api_id, stage, status
                )
                return socket.respond(status, "Unauthorized\n" if status in (401, 403) else "Refused\n")
        with self._lock:
            self._connections[connection.connection_id] = connection
        socket.request_connection_id = connection.connection_id  # type: ignore[attr-defined]
        return None

    async def _session(self, socket: ServerConnection) -> None:
        connection_id: str = socket.request_connection_id  # type: ignore[attr-defined]
        with self._lock:
            connection = self._connections[connection_id]
        connection.socket = socket
        log.info("connected %s to %s/%s", connection_id, connection.api_id, connection.stage)
        code, reason = 1000, "Client closed"
        try:
            async for message in socket:
                connection.last_active_at = datetime.now(UTC)
                await self._message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            if socket.close_code is not None:
                code, reason = socket.close_code, socket.close_reason or reason
            with self._lock:
                self._connections.pop(connection_id, None)
            await self._disconnected(connection, code, reason)

    async def _message(self, connection: LiveConnection, message: str | bytes) -> None:
        api = self._api(connection.api_id)
        if api is None:
            return
        routes = self._routes(api)
        route_key = select_route(api.route_selection_expression, message, set(routes))
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode()
        function = self._function(api, routes[route_key]) if route_key else None
        if route_key is None or function is None:
            await self._send_error(connection, "Forbidden", request_id)
            return
        event = connection_event(
            connection,
            route_key=route_key,
            event_type="MESSAGE",
            domain_name=f"{self.host}:{self.port}",
            body=message,
        )
        status, payload = await asyncio.to_thread(self._invoke, function, event)
        if status >= 500 and payload is None:
            await self._send_error(connection, "Internal server error", request_id)
            return
        # Only a route with a route response sends the integration's result back (two-way routes).
        if routes[route_key].route_response_selection_expression and isinstance(payload, dict):
            body = payload.get("body")
            if body is not None and connection.socket is not None:
                await connection.socket.send(body if isinstance(body, str) else json.dumps(body))

    async def _send_error(self, connection: LiveConnection, message: str, request_id: str) -> None:
        if connection.socket is not None:
            frame = {"message": message, "connectionId": connection.connection_id, "requestId": request_id}
            await connection.socket.send(json.dumps(frame))

    async def _disconnected(self, connection: LiveConnection, code: int, reason: str) -> None:
        api = self._api(connection.api_id)
        route = self._routes(api).get("$disconnect") if api is not None else None
        function = self._function(api, route) if route is not None else None
        if function is None:
            return
        event = connection_event(
            connection,
            route_key="$disconnect",
            event_type="DISCONNECT",
            domain_name=f"{self.host}:{self.port}",
            headers={"Host": f"{self.host}:{self.port}"},
            disconnect=(code, reason),
        )
        try:
            await asyncio.wait_for(asyncio.to_thread(self._invoke, function, event), DISCONNECT_WAIT_S)
        except TimeoutError:
            log.info("$disconnect of %s still running at shutdown", connection.connection_id)

    # ------------------------------------------------------------------ the @connections management API

    def handle(self, request: AwsRequest) -> Response | None:
        if request.service == "apigateway":
            self._stamp_endpoints()
            return None
        match = _MANAGEMENT_PATH.match(request.path)
        if match is None or self._api(match.group("api")) is None:
            return None
        with self._lock:
            connection = self._connections.get(match.group("id"))
        if (
            connection is None
            or connection.api_id != match.group("api")
            or connection.stage != match.group("stage")
        ):
            raise AwsError("GoneException", f"connection {match.group('id')} is gone", 410)
        if request.method == "POST":
            self._post(connection, request.body)
            return Response(status=200)
        if request.method == "GET":
            return json_response(
                {
                    "connectedAt": connection.connected_at.isoformat(),
                    "lastActiveAt": connection.last_active_at.isoformat(),
                    "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                },
                content_type="application/json",
            )
        if request.method == "DELETE":
            self._on_loop(connection, self._close(connection))
            return Response(status=204)
        raise AwsError("MethodNotAllowedException", f"{request.method} is not allowed on @connections", 405)

    def _post(self, connection: LiveConnection, data: bytes) -> None:
        if len(data) > MAX_FRAME_BYTES:
            raise AwsError("PayloadTooLargeException", f"Data is over {MAX_FRAME_BYTES} bytes", 413)
        try:
            frame: str | bytes = data.decode()
        except UnicodeDecodeError:
            frame = data
        self._on_loop(connection, self._send(connection, frame))

    async def _send(self, connection: LiveConnection, frame: str | bytes) -> None:
        if connection.socket is None:
            raise ConnectionClosed(None, None)
        await connection.socket.send(frame)

    async def _close(self, connection: LiveConnection) -> None:
        if connection.socket is not None:
            await connection.socket.close(1000, "Going away")

    def _on_loop(self, connection: LiveConnection, work: Any) -> None:
        """Runs a coroutine on the server's loop from a gateway thread; a closed socket is `GoneException`."""
        loop = self._loop
        if loop is None:
            work.close()
            raise AwsError("GoneException", f"connection {connection.connection_id} is gone", 410)
        future = asyncio.run_coroutine_threadsafe(work, loop)
        started = time.monotonic()
        try:
            future.result(timeout=SEND_TIMEOUT_S)
        except (ConnectionClosed, FutureTimeoutError) as error:
            future.cancel()
            log.info(
                "post to %s failed after %.1fs: %r",
                connection.connection_id,
                time.monotonic() - started,
                error,
            )
            raise AwsError("GoneException", f"connection {connection.connection_id} is gone", 410) from error
