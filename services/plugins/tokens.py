"""Per-invocation tokens: an HMAC over what the invocation is, so no plugin can complete another's task."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

TOKEN_VERSION = "v1"


class TokenSigner:
    """Signs and checks tokens with one secret key (from Secrets Manager; never stored or logged)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the token key needs at least 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "TokenSigner(<key hidden>)"

    def sign(self, invocation_id: str, plugin: str, video_id: str, deadline: datetime) -> str:
        message = "\n".join([TOKEN_VERSION, invocation_id, plugin, video_id, deadline.isoformat()]).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return f"{TOKEN_VERSION}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"

    def verify(self, token: str, invocation_id: str, plugin: str, video_id: str, deadline: datetime) -> bool:
        return hmac.compare_digest(token, self.sign(invocation_id, plugin, video_id, deadline))
