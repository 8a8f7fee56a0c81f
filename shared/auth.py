"""Who is calling: the principal every API handler decides on, built from the HTTP API's JWT claims.

Routes behind the JWT authorizer get their claims from `requestContext.authorizer.jwt.claims` (API
Gateway passes array claims such as `cognito:groups` as the text `[a b]`). Public routes that show more
to a signed-in caller (an owner's unpublished video) have no authorizer, so a bearer token sent there is
verified here with the user pool's keys; without one the caller is anonymous.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt

Group = Literal["broadcaster", "plugin-developer", "admin"]
GROUPS: tuple[Group, ...] = ("broadcaster", "plugin-developer", "admin")
GROUPS_CLAIM = "cognito:groups"


class AuthError(Exception):
    """Base of the errors an API maps to 401/403."""


class NotSignedInError(AuthError):
    """The route needs a signed-in caller (401)."""


class InvalidTokenError(AuthError):
    """A bearer token was sent but is not valid for this user pool (401)."""


class ForbiddenError(AuthError):
    """Signed in, but not allowed (403)."""


@dataclass(frozen=True)
class Principal:
    """The caller. `sub` is the stable user id that resources record as their owner."""

    sub: str | None = None
    username: str | None = None
    email: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        return self.sub is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.groups

    def in_any(self, *groups: str) -> bool:
        return bool(self.groups & set(groups))

    def owns(self, owner_id: str | None) -> bool:
        return self.sub is not None and owner_id == self.sub


ANONYMOUS = Principal()


def parse_groups(value: Any) -> frozenset[str]:
    """`cognito:groups` as a JSON list, API Gateway's `[a b]` text, a JSON-encoded list or one group name."""
    if value is None or value == "":
        return frozenset()
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value if str(item))
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return frozenset(str(item) for item in decoded if str(item))
        return frozenset(
            part.strip(",\"'") for part in text[1:-1].replace(",", " ").split() if part.strip(",\"'")
        )
    return frozenset(part for part in text.replace(",", " ").split() if part)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """A principal from verified token claims (ID or access token of the user pool)."""
    sub = claims.get("sub")
    if not sub:
        raise InvalidTokenError("the token has no subject")
    username = claims.get("cognito:username") or claims.get("username")
    email = claims.get("email")
    return Principal(
        sub=str(sub),
        username=str(username) if username else None,
        email=str(email) if email else None,
        groups=parse_groups(claims.get(GROUPS_CLAIM)),
    )


KeyResolver = Callable[[str], Any]


class TokenVerifier:
    """Verifies a user-pool token the way the JWT authorizer does: RS256 signature, issuer, audience, expiry.

    `key_for(token)` returns the signing key; by default it reads the pool's JWKS (cached by PyJWT).
    """

    def __init__(
        self, *, issuer: str, audiences: list[str], jwks_url: str, key_for: KeyResolver | None = None
    ):
        self.issuer = issuer.rstrip("/")
        self.audiences = set(audiences)
        self._jwks_url = jwks_url
        self._key_for = key_for
        self._jwks: jwt.PyJWKClient | None = None

    def _signing_key(self, token: str) -> Any:
        if self._key_for is not None:
            return self._key_for(token)
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self._jwks_url, cache_keys=True, lifespan=300, timeout=5)
        return self._jwks.get_signing_key_from_jwt(token).key

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=self._signing_key(token),
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise InvalidTokenError(f"invalid token: {exc}") from exc
        # Access tokens carry `client_id`, ID tokens `aud`: the authorizer accepts either, so do we.
        audience = claims.get("aud", claims.get("client_id"))
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if not audiences & self.audiences:
            raise InvalidTokenError("invalid token: audience not allowed")
        return claims


def cognito_jwks_url(issuer: str, endpoint_url: str | None = None) -> str:
    """The pool's JWKS; with a custom AWS endpoint (the local cloud) it is served under that endpoint."""
    if endpoint_url:
        pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
        return f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    return f"{issuer.rstrip('/')}/.well-known/jwks.json"


def bearer_token(headers: Mapping[str, str] | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            token = value.strip()
            if token.lower().startswith("bearer "):
                token = token[7:].strip()
            return token or None
    return None


def principal_from_event(event: Mapping[str, Any], verifier: TokenVerifier | None) -> Principal:
    """The caller of an HTTP API (payload 2.0) request.

    Authorizer claims win (the gateway verified them); else a bearer token is verified here; else anonymous.
    A token that fails verification is an error, never a silent downgrade to anonymous.
    """
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    if claims:
        return principal_from_claims(claims)
    token = bearer_token(event.get("headers"))
    if token is None:
        return ANONYMOUS
    if verifier is None:
        raise InvalidTokenError("this API does not accept tokens on this route")
    return principal_from_claims(verifier.verify(token))


def require_signed_in(principal: Principal) -> Principal:
    if not principal.signed_in:
        raise NotSignedInError("sign in to call this route")
    return principal


def require(principal: Principal, *groups: str) -> Principal:
    """Signed in and, when groups are given, in at least one of them."""
    require_signed_in(principal)
    if groups and not principal.in_any(*groups):
        raise ForbiddenError(f"this route needs one of the groups: {', '.join(groups)}")
    return principal
