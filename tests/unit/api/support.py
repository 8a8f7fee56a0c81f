"""API Gateway HTTP API (payload 2.0) events for any route, carrying identity the way the gateway does.

Routes behind the JWT authorizer receive claims in `requestContext.authorizer.jwt.claims` (arrays as `[a b]`
text); public routes receive the caller's bearer token in the `authorization` header, signed by `SIGNING_KEY`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import TokenVerifier

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"
CLIENT_ID = "test-client-id"


@cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_verifier() -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audiences=[CLIENT_ID],
        jwks_url="unused",
        key_for=lambda _token: signing_key().public_key(),
    )


@dataclass(frozen=True)
class Role:
    name: str
    sub: str | None
    groups: tuple[str, ...] = ()
    email: str | None = None

    def claims(self) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": self.sub,
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "cognito:username": self.name,
            "email": self.email or f"{self.name}@example.com",
            "iat": now,
            "exp": now + 3600,
        }
        if self.groups:
            claims["cognito:groups"] = list(self.groups)
        return claims

    def token(self, **overrides: Any) -> str:
        return jwt.encode({**self.claims(), **overrides}, signing_key(), algorithm="RS256")


ANONYMOUS = Role("anonymous", None)
VIEWER = Role("viewer", "sub-viewer")
OWNER = Role("owner", "3c1e8f52-7a4b-4d0e-9f21-6b8a0c5d7e13", ("broadcaster",))
OTHER_BROADCASTER = Role("other-broadcaster", "sub-other-broadcaster", ("broadcaster",))
PLUGIN_DEVELOPER = Role("plugin-developer", "sub-plugin-developer", ("plugin-developer",))
ADMIN = Role("admin", "sub-admin", ("admin",))
ROLES = (ANONYMOUS, VIEWER, OWNER, OTHER_BROADCASTER, PLUGIN_DEVELOPER, ADMIN)


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)


@dataclass
class Request:
    method: str
    route: str  # the API Gateway route key's path, e.g. /videos/{video_id}
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        path = self.route
        for name, value in self.path_parameters.items():
            path = path.replace("{" + name + "}", value)
        return path


def http_event(request: Request, role: Role, *, signed_in_route: bool) -> dict[str, Any]:
    headers = {"content-type": "application/json", **request.headers}
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "domainPrefix": "api",
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.1",
            "userAgent": "tests",
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": f"{request.method} {request.route}",
        "stage": "$default",
        "time": "22/Nov/2026:14:00:00 +0000",
        "timeEpoch": 1795000000000,
    }
    if role.sub is not None:
        if signed_in_route:
            claims = {key: _claim_text(value) for key, value in role.claims().items()}
            context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
            headers["authorization"] = f"Bearer {role.token()}"
        else:
            headers["authorization"] = f"Bearer {role.token()}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{request.method} {request.route}",
        "rawPath": request.path,
        "rawQueryString": urlencode(request.query),
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if request.query:
        event["queryStringParameters"] = dict(request.query)
    if request.path_parameters:
        event["pathParameters"] = dict(request.path_parameters)
    if request.body is not None:
        event["body"] = request.body if isinstance(request.body, str) else json.dumps(request.body)
    return event
