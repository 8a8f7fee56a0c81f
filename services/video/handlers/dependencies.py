"""The video functions' collaborators, built on first use from the validated environment (never at import).

Tests and local tools hand in their own with `use(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config

from services.video.domain import Catalog
from services.video.media import MediaStore, S3MediaStore
from services.video.repository import DynamoVideoRepository
from services.video.search import DynamoSearchStore, SearchIndex
from services.video.settings import api_settings, catalog_settings
from shared.auth import TokenVerifier, cognito_jwks_url


@dataclass
class Dependencies:
    catalog: Catalog
    media: MediaStore | None = None
    verifier: TokenVerifier | None = None
    swagger_base_url: str | None = None


_current: Dependencies | None = None


def use(dependencies: Dependencies | None) -> None:
    """Replace the collaborators (None: build them from the environment again on next use)."""
    global _current
    _current = dependencies


def _s3() -> object:
    return boto3.client("s3", config=Config(signature_version="s3v4"))  # SigV2 URLs are refused


def _catalog() -> Catalog:
    settings = catalog_settings()
    dynamodb = boto3.resource("dynamodb")
    cleaner = S3MediaStore(_s3(), settings.media_bucket) if settings.media_bucket else None
    search = (
        SearchIndex(DynamoSearchStore(dynamodb.Table(settings.search_table_name)))
        if settings.search_table_name
        else None
    )
    return Catalog(
        DynamoVideoRepository(dynamodb.Table(settings.table_name)),
        settings.deadlines,
        media=cleaner,
        search=search,
    )


def catalog_dependencies() -> Dependencies:
    """For the events consumer and the sweeper."""
    global _current
    if _current is None:
        _current = Dependencies(catalog=_catalog())
    return _current


def api_dependencies() -> Dependencies:
    """For the API: also the media store, the token verifier and the Swagger UI assets' location."""
    global _current
    if _current is None:
        settings = api_settings()
        _current = Dependencies(
            catalog=_catalog(),
            media=S3MediaStore(
                _s3(),
                settings.media_bucket,
                cdn_base_url=settings.media_base_url or None,
                expiry_s=settings.media_url_expiry_s,
            ),
            verifier=TokenVerifier(
                issuer=settings.user_pool_issuer,
                audiences=[settings.user_pool_client_id],
                jwks_url=cognito_jwks_url(settings.user_pool_issuer, settings.aws_endpoint_url),
            ),
            swagger_base_url=settings.swagger_base_url,
        )
    return _current
