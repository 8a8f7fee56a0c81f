"""Environment of the identity functions, validated once at first use, never at import."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict

from services.identity.domain import normalize_domains


class PostConfirmationEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Comma-separated; empty: sign-ups stay viewers and an admin grants roles (`svideo users grant`).
    BROADCASTER_EMAIL_DOMAINS: str = ""

    @property
    def broadcaster_domains(self) -> frozenset[str]:
        return normalize_domains(self.BROADCASTER_EMAIL_DOMAINS)


@cache
def post_confirmation_env() -> PostConfirmationEnv:
    return PostConfirmationEnv.model_validate(dict(os.environ))
