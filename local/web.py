"""Serves the web app at /web/ on the local cloud's port, with a config.json made from the deployed stacks.

The app, the API, the media in S3 and Cognito share one origin locally, so the browser needs no CORS.
"""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from infra.naming import PROJECT, WEB_CONFIG
from local.aws import AwsRequest

PREFIX = "/web/"
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
# What the app is made of; everything else under web/ (npm files, scripts) is not served.
SERVED = re.compile(r"^(index\.html|favicon\.svg|css/[\w.-]+\.css|js/[\w/.-]+\.js|vendor/[\w.-]+\.mjs)$")
# CloudFront's policy (infra/stacks/web_stack.py) in intent: the app's own origin plus the live playback
# origin for media and playlists. There that is IVS's (`https:`); here the ingest's HTTP port, named exactly,
# so a page that loads anything else still fails locally as it would there.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:{playback}; connect-src 'self' ws: wss:{playback}; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def content_security_policy(playback_origins: list[str]) -> str:
    return POLICY.format(playback="".join(f" {origin}" for origin in playback_origins))


class WebService:
    """A gateway service reached by path (signing name "*"): anything under /web/ is the app."""

    signing_names = ("*",)

    def __init__(self, cloud: Any, root: Path = WEB_ROOT) -> None:
        self._cloud = cloud
        self._root = root

    def start(self) -> None:
        """Nothing runs in the background: files are read per request."""

    def stop(self) -> None:
        """Nothing to stop."""

    def handle(self, request: AwsRequest) -> Response | None:
        if request.service or not (request.path == "/web" or request.path.startswith(PREFIX)):
            return None
        if request.method not in ("GET", "HEAD"):
            return _secure(Response("method not allowed", status=405, content_type="text/plain"))
        relative = request.path[len(PREFIX) :] if request.path.startswith(PREFIX) else ""
        if relative == "config.json":
            return _secure(
                Response(
                    json.dumps(self.config()),
                    content_type="application/json",
                    headers={"Cache-Control": "no-store"},
                )
            )
        if SERVED.match(relative) and (self._root / relative).is_file():
            return self._file(relative)
        if "." in relative.rsplit("/", 1)[-1]:
            return _secure(Response("not found", status=404, content_type="text/plain"))
        return self._index()  # an app route (e.g. /web/watch/<id>): the app's router takes it from here

    def config(self) -> dict[str, Any]:
        """config.json: the values the stacks published to SSM, and this cloud as the Cognito endpoint."""
        values: dict[str, Any] = dict.fromkeys(WEB_CONFIG)
        found = _parameters(self._cloud)
        for key, parameter in WEB_CONFIG.items():
            values[key] = found.get(str(parameter))
        values["region"] = self._cloud.region
        values["cognitoEndpoint"] = self._cloud.endpoint + "/"
        values["webSocketUrl"] = _websocket_url(self._cloud, values["webSocketUrl"])
        return values

    def _file(self, relative: str) -> Response:
        path = self._root / relative
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".js", ".mjs"):
            content_type = "text/javascript"
        body = path.read_bytes()
        if relative == "index.html":
            body = _with_base(body)
        return _secure(
            Response(
                body, content_type=f"{content_type}; charset=utf-8", headers={"Cache-Control": "no-cache"}
            ),
            _playback_origins(self._cloud),
        )

    def _index(self) -> Response:
        return self._file("index.html")


def _with_base(html: bytes) -> bytes:
    return html.replace(b'<base href="/">', f'<base href="{PREFIX}">'.encode(), 1)


def _secure(response: Response, playback_origins: list[str] | None = None) -> Response:
    headers = {"Content-Security-Policy": content_security_policy(playback_origins or []), **SECURITY_HEADERS}
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def _playback_origins(cloud: Any) -> list[str]:
    """The local ingest's live HLS origin (what IVS's `playbackUrl` points at), when the IVS part runs."""
    origins = []
    for service in cloud.gateway.services():
        ingest = getattr(service, "ingest", None)
        if ingest is not None and hasattr(ingest, "playback_url"):
            origins.append(f"http://{ingest.host}:{ingest.http_port}")
    return origins


def _websocket_url(cloud: Any, published: str | None) -> str | None:
    """The gateway-style URL from SSM, on the WebSocket server's port (the gateway cannot upgrade)."""
    if not published or "/_aws/execute-api/" not in published:
        return published
    server = next(
        (s for s in cloud.gateway.services() if str(getattr(s, "endpoint", "")).startswith("ws")), None
    )
    if server is None:
        return published
    return f"{server.endpoint}/{published.split('/_aws/execute-api/', 1)[1]}"


def _parameters(cloud: Any) -> dict[str, str]:
    """`{"video/api-url": value, ...}` from every `/svideo/<stage>/...` parameter, whatever the stage."""
    found: dict[str, str] = {}
    try:
        paginator = cloud.client("ssm").get_paginator("get_parameters_by_path")
        for page in paginator.paginate(Path=f"/{PROJECT}/", Recursive=True):
            for parameter in page.get("Parameters", []):
                parts = parameter["Name"].split("/", 3)  # ["", "svideo", stage, key]
                if len(parts) == 4:
                    found[parts[3]] = parameter["Value"]
    except Exception:  # an empty or half-deployed cloud: the app says what is missing
        return found
    return found
