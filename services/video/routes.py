"""The video service's HTTP API routes as API Gateway sees them: the stack builds them from this list, and the
tests check that exactly these carry the JWT authorizer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class ApiRoute:
    method: Method
    path: str  # API Gateway template: `{name}` for a path parameter
    signed_in: bool  # behind the JWT authorizer; the others are public (a token there is optional)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


API_ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/videos", signed_in=False),
    ApiRoute("GET", "/videos/{video_id}", signed_in=False),
    ApiRoute("GET", "/channels/{channel_id}/videos", signed_in=False),
    ApiRoute("GET", "/search", signed_in=False),
    ApiRoute("GET", "/videos/{video_id}/history", signed_in=True),
    ApiRoute("DELETE", "/videos/{video_id}", signed_in=True),
    ApiRoute("GET", "/me", signed_in=True),
    ApiRoute("GET", "/me/videos", signed_in=True),
    ApiRoute("GET", "/openapi.json", signed_in=False),
    ApiRoute("GET", "/docs", signed_in=False),
    ApiRoute("GET", "/swagger-ui/{asset}", signed_in=False),
)
