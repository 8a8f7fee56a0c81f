"""Posting frames to connections through the API Gateway management API (`@connections`)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.live.domain import ConnectionGoneError


class ManagementApiPoster:
    """`ConnectionPoster` over an `apigatewaymanagementapi` client bound to the API's callback URL."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def post(self, connection_id: str, frame: bytes) -> None:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "GoneException":
                raise ConnectionGoneError(connection_id) from error
            raise
