"""The post-confirmation trigger: users of the stage's allowed domains become broadcasters, nobody else."""

from __future__ import annotations

from typing import Any

import pytest

from services.identity import config
from services.identity.domain import groups_at_confirmation, normalize_domains
from services.identity.handlers import post_confirmation

DOMAINS = normalize_domains(" Studio.example.org, @example.com ,,")


def test_given_a_configured_list_then_domains_are_normalized() -> None:
    assert {"studio.example.org", "example.com"} == DOMAINS


@pytest.mark.parametrize(
    ("email", "verified", "groups"),
    [
        ("ana@example.com", True, ["broadcaster"]),
        ("Ana@EXAMPLE.com", True, ["broadcaster"]),
        ("ana@studio.example.org", True, ["broadcaster"]),
        ("ana@example.com", False, []),  # an unverified address proves nothing
        ("ana@evil-example.com", True, []),
        ("ana@example.com.evil.net", True, []),
        ("ana@sub.example.com", True, []),  # the exact domain, not its subdomains
        ("ana@example.com@evil.net", True, []),
        ("example.com", True, []),
    ],
)
def test_given_an_email_when_confirmed_then_only_allowed_domains_get_the_broadcaster_group(
    email: str, verified: bool, groups: list[str]
) -> None:
    assert groups_at_confirmation(email, email_verified=verified, broadcaster_domains=DOMAINS) == groups


class FakeCognito:
    def __init__(self) -> None:
        self.added: list[dict[str, str]] = []

    def admin_add_user_to_group(self, **kwargs: str) -> None:
        self.added.append(kwargs)


def event(trigger: str, email: str) -> dict[str, Any]:
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_pool",
        "userName": "0b6d-guid",
        "callerContext": {"awsSdkVersion": "1", "clientId": "client"},
        "triggerSource": trigger,
        "request": {"userAttributes": {"email": email, "email_verified": "true", "sub": "0b6d-guid"}},
        "response": {},
    }


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> FakeCognito:
    fake = FakeCognito()
    monkeypatch.setenv("BROADCASTER_EMAIL_DOMAINS", "example.com")
    config.post_confirmation_env.cache_clear()
    post_confirmation._cognito.cache_clear()
    monkeypatch.setattr(post_confirmation, "_cognito", lambda: fake)
    yield fake
    config.post_confirmation_env.cache_clear()


class Context:
    function_name = "post-confirmation"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:post-confirmation"
    aws_request_id = "req-1"


def test_given_a_sign_up_of_an_allowed_domain_then_the_user_joins_broadcaster_and_the_event_returns(
    cognito: FakeCognito,
) -> None:
    sent = event("PostConfirmation_ConfirmSignUp", "ana@example.com")

    assert post_confirmation.handler(sent, Context()) == sent  # type: ignore[arg-type]
    assert cognito.added == [
        {"UserPoolId": "us-east-1_pool", "Username": "0b6d-guid", "GroupName": "broadcaster"}
    ]


@pytest.mark.parametrize(
    ("trigger", "email"),
    [
        ("PostConfirmation_ConfirmSignUp", "ana@elsewhere.net"),
        ("PostConfirmation_ConfirmForgotPassword", "ana@example.com"),
    ],
)
def test_given_another_domain_or_a_password_reset_then_no_group_is_added(
    cognito: FakeCognito, trigger: str, email: str
) -> None:
    post_confirmation.handler(event(trigger, email), Context())  # type: ignore[arg-type]
    assert cognito.added == []
