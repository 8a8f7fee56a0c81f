"""Who opened a connection: an optional user-pool ID token, verified like the HTTP API's JWT authorizer."""

from __future__ import annotations

from typing import Any

from shared.auth import InvalidTokenError, TokenVerifier, cognito_jwks_url, principal_from_claims


class ConnectRefusedError(Exception):
    """`$connect` answers 401: a token was sent but is refused (never a silent downgrade to anonymous)."""


def user_pool_verifier(
    ssm: Any, cognito_endpoint: str, issuer_parameter: str, client_parameter: str
) -> TokenVerifier | None:
    """A verifier for the pool named in SSM, or None while no user pool is deployed (anonymous only)."""
    found = ssm.get_parameters(Names=[issuer_parameter, client_parameter])["Parameters"]
    values = {parameter["Name"]: parameter["Value"] for parameter in found}
    if issuer_parameter not in values or client_parameter not in values:
        return None
    issuer = values[issuer_parameter]
    # The keys live where the SDK's Cognito endpoint is: AWS itself, or the local cloud's endpoint.
    return TokenVerifier(
        issuer=issuer,
        audiences=values[client_parameter].split(","),
        jwks_url=cognito_jwks_url(issuer, cognito_endpoint),
    )


def connection_principal(token: str | None, verifier: TokenVerifier | None) -> str | None:
    """The subject of a valid ID token, None for an anonymous connection."""
    if token is None:
        return None
    if verifier is None:
        raise ConnectRefusedError("sign-in is not available: no user pool is configured")
    try:
        claims = verifier.verify(token)
    except InvalidTokenError as error:
        raise ConnectRefusedError(str(error)) from error
    if claims.get("token_use", "id") != "id":
        raise ConnectRefusedError("connect with an ID token")
    principal = principal_from_claims(claims)
    return principal.sub
