"""Opaque page tokens for DynamoDB lists: a LastEvaluatedKey as base64url JSON, checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

MAX_VALUE = 512  # characters of one key attribute


class PageTokenError(ValueError):
    """A `next_token` this API did not issue, or one issued for another list."""


def encode_page_token(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(dict(last_key), sort_keys=True).encode()).decode().rstrip("=")


def decode_page_token(
    token: str | None,
    *,
    attributes: set[str],
    equal: Mapping[str, str] | None = None,
    prefixed: Mapping[str, str] | None = None,
) -> dict[str, str] | None:
    """The key a token stands for, checked to have exactly `attributes` (short strings), the `equal` values
    (the list's partition) and the `prefixed` prefixes; a token that fails any check is refused."""
    if token is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise PageTokenError("invalid next_token: not a token this API issued") from exc
    if (
        not isinstance(key, dict)
        or set(key) != attributes
        or not all(isinstance(value, str) and 0 < len(value) <= MAX_VALUE for value in key.values())
        or any(key[name] != value for name, value in (equal or {}).items())
        or any(not key[name].startswith(prefix) for name, prefix in (prefixed or {}).items())
    ):
        raise PageTokenError("invalid next_token: it belongs to another list or was altered")
    return key
