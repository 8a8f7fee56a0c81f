"""A client of a deployed platform on the local cloud: its SSM parameters, users in its Cognito pool, its
public HTTP API, and waiting for something to happen. The demo and the end-to-end tests both drive the
platform through it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import requests

T = TypeVar("T")
API_TIMEOUT_SECONDS = 30


def read_parameter(ssm: Any, stage: str, key: str) -> str:
    """The value of the stage's SSM parameter `key` (an `infra.naming` parameter key)."""
    from infra.naming import parameter_name

    return str(ssm.get_parameter(Name=parameter_name(stage, key))["Parameter"]["Value"])


def create_user(idp: Any, pool_id: str, email: str, password: str, groups: Iterable[str] = ()) -> str:
    """A confirmed user with a permanent password in the given groups, as an administrator creates one;
    returns its `sub`."""
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    for group in groups:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return str(next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub"))


def sign_in(idp: Any, client_id: str, email: str, password: str) -> str:
    """The ID token of a password sign-in (USER_PASSWORD_AUTH), the token the public API expects."""
    result = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def call_api(
    api_url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    timeout: float = API_TIMEOUT_SECONDS,
) -> tuple[int, Any]:
    """One call of the public API with a bearer token; the status and the JSON body (its text if not JSON,
    None if empty). Connection errors propagate as `requests.RequestException`."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = requests.request(
        method, f"{api_url.rstrip('/')}{path}", json=body, headers=headers, timeout=timeout
    )
    if not response.content:
        return response.status_code, None
    try:
        return response.status_code, response.json()
    except ValueError:  # a gateway error page, not an API answer
        return response.status_code, response.text


class TimedOut(AssertionError):  # an AssertionError: a test reports it as a failed check
    """Nothing came within the wait's timeout."""


def poll(probe: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.5) -> T:
    """The first non-None answer of `probe`, asked every `every` seconds; `TimedOut` naming `what` when
    `timeout` seconds pass without one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(every)
    raise TimedOut(f"timed out after {timeout}s waiting for {what}")
