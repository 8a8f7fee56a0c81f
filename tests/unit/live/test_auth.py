"""Who a connection belongs to: no token is anonymous; a token must be a valid ID token of the pool."""

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.live.auth import ConnectRefusedError, connection_principal
from shared.auth import TokenVerifier

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VERIFIER = TokenVerifier(
    issuer=ISSUER, audiences=["web"], jwks_url="unused", key_for=lambda _: KEY.public_key()
)


def _token(key: Any = KEY, **claims: Any) -> str:
    body = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": "web",
        "token_use": "id",
        "exp": int(time.time()) + 300,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256")


def test_given_no_token_when_connecting_then_the_connection_is_anonymous() -> None:
    assert connection_principal(None, None) is None


def test_given_a_valid_id_token_when_connecting_then_the_connection_belongs_to_its_subject() -> None:
    assert connection_principal(_token(), VERIFIER) == "user-1"


@pytest.mark.parametrize(
    "token",
    [
        _token(key=OTHER_KEY),
        _token(aud="another-client"),
        _token(iss="https://cognito-idp.us-east-1.amazonaws.com/elsewhere"),
        _token(exp=int(time.time()) - 10),
        _token(token_use="access"),
        "not-a-jwt",
    ],
)
def test_given_a_bad_token_when_connecting_then_the_connection_is_refused(token: str) -> None:
    with pytest.raises(ConnectRefusedError):
        connection_principal(token, VERIFIER)


def test_given_a_token_but_no_user_pool_when_connecting_then_it_is_refused_not_downgraded() -> None:
    with pytest.raises(ConnectRefusedError):
        connection_principal(_token(), None)
