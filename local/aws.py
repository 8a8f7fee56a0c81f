"""Wire-level primitives of the local cloud's services: parsed requests, AWS-shaped errors and responses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9.-]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"^[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9.-]+)/aws4_request$")

ACCOUNT_ID = "123456789012"  # moto's default account: every ARN the local cloud prints carries it


@dataclass
class AwsRequest:
    """One HTTP request as a service sees it; `service` is the SigV4 signing name ("events", "lambda")."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    service: str | None
    region: str
    environ: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def target(self) -> str | None:
        """The `X-Amz-Target` operation of JSON-protocol services (`AWSEvents.PutEvents` -> `PutEvents`)."""
        value = self.headers.get("x-amz-target")
        return value.rsplit(".", 1)[-1] if value else None

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            payload = json.loads(self.body)
        except ValueError as exc:
            raise AwsError("SerializationException", f"request body is not valid JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise AwsError("SerializationException", "request body must be a JSON object")
        return payload

    def query_one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class AwsError(Exception):
    """An error the way AWS reports it: a code, a message and an HTTP status (4xx = the caller's fault)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def epoch_seconds(value: Any) -> float | None:
    """A request's timestamp (epoch seconds or ISO 8601) as epoch seconds; None stays None."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise AwsError("ValidationException", f"Invalid timestamp {value}") from exc


def signing_scope(headers: dict[str, str], query: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(region, service) from a SigV4 Authorization header or a presigned URL's X-Amz-Credential."""
    match = _CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    if match:
        return match.group(1), match.group(2)
    credential = (query.get("X-Amz-Credential") or [""])[0]
    match = _QUERY_SCOPE.match(credential)
    if match:
        return match.group(1), match.group(2)
    return None, None


def parse_request(environ: dict[str, Any], default_region: str) -> AwsRequest:
    """Reads the body once and puts it back, so moto can still read it when the request is forwarded."""
    import io

    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    body = stream.read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    region, service = signing_scope(headers, query)
    path = environ.get("PATH_INFO", "/")
    if isinstance(path, bytes):
        path = path.decode()
    return AwsRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=path,
        query=query,
        headers=headers,
        body=body,
        service=service,
        region=region or default_region,
        environ=environ,
    )


def json_response(
    payload: Any, status: int = 200, content_type: str = "application/x-amz-json-1.1"
) -> Response:
    return Response(json.dumps(payload, default=str), status=status, content_type=content_type)


def error_response(error: AwsError, *, rest: bool = False) -> Response:
    """JSON-protocol services carry the code in `__type`; REST-JSON ones in `x-amzn-ErrorType` too."""
    body = {"__type": error.code, "message": error.message, "Message": error.message}
    response = json_response(
        body, status=error.status, content_type="application/json" if rest else "application/x-amz-json-1.1"
    )
    response.headers["x-amzn-ErrorType"] = error.code
    return response
