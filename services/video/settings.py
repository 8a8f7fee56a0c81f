"""The video functions' environment, validated once per cold start (never at import)."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.video.models import Deadlines
from shared import deadlines

Seconds = Annotated[int, Field(ge=60, le=7 * 24 * 3600)]


class CatalogSettings(BaseModel):
    """What every video function needs: the table (events leave through its outbox) and the deadlines; the
    events consumer also names the media bucket, to clean up after late events for deleted videos."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    media_bucket: str | None = Field(alias="MEDIA_BUCKET", default=None, min_length=3)
    search_table_name: str | None = Field(alias="SEARCH_TABLE_NAME", default=None, min_length=3)
    deadline_recording_s: Seconds = Field(alias="DEADLINE_RECORDING_S", default=deadlines.RECORDING_S)
    deadline_processing_s: Seconds = Field(alias="DEADLINE_PROCESSING_S", default=deadlines.PROCESSING_S)
    deadline_enriching_s: Seconds = Field(alias="DEADLINE_ENRICHING_S", default=deadlines.ENRICHING_S)

    @property
    def deadlines(self) -> Deadlines:
        return Deadlines(
            recording=timedelta(seconds=self.deadline_recording_s),
            processing=timedelta(seconds=self.deadline_processing_s),
            enriching=timedelta(seconds=self.deadline_enriching_s),
        )


class ApiSettings(CatalogSettings):
    """The API function also hands out media URLs, verifies optional tokens and serves Swagger UI."""

    media_bucket: str = Field(alias="MEDIA_BUCKET", min_length=3)
    media_base_url: str | None = Field(
        alias="MEDIA_BASE_URL", default=None, description="CDN in front of media"
    )
    media_url_expiry_s: Annotated[int, Field(ge=60, le=3600)] = Field(alias="MEDIA_URL_EXPIRY_S", default=900)
    user_pool_issuer: str = Field(alias="USER_POOL_ISSUER", pattern=r"^https://")
    user_pool_client_id: str = Field(alias="USER_POOL_CLIENT_ID", min_length=1)
    swagger_base_url: str | None = Field(
        alias="SWAGGER_BASE_URL", default=None, description="Unset: this API serves Swagger UI's assets"
    )
    aws_endpoint_url: str | None = Field(alias="AWS_ENDPOINT_URL", default=None)


@cache
def catalog_settings() -> CatalogSettings:
    return CatalogSettings.model_validate(dict(os.environ))


@cache
def api_settings() -> ApiSettings:
    return ApiSettings.model_validate(dict(os.environ))
