"""Who becomes a broadcaster when they confirm their sign-up: users of the stage's allowed email domains.

Pure: no boto3, no event parsing.
"""

from __future__ import annotations

from collections.abc import Iterable

BROADCASTER = "broadcaster"


def normalize_domains(value: str | Iterable[str]) -> frozenset[str]:
    """`"example.com, Studio.Example.org"` (or a list) as lower-case domains without `@` or blanks."""
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(item.strip().lstrip("@").lower() for item in items if item.strip().lstrip("@"))


def email_domain(email: str) -> str | None:
    """The part after the one `@`, lower-case; None for anything that is not a plain address."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain or "@" in local:
        return None
    return domain.lower()


def groups_at_confirmation(
    email: str, *, email_verified: bool, broadcaster_domains: frozenset[str]
) -> list[str]:
    """The groups a newly confirmed user joins: broadcaster when the verified email's domain is allowed
    (the exact domain: `evil-example.com` and `example.com.evil` are not `example.com`)."""
    domain = email_domain(email)
    if email_verified and domain is not None and domain in broadcaster_domains:
        return [BROADCASTER]
    return []
