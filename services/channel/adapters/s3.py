"""`RecordingReader` on boto3's S3 client: the recording's master playlist, read from the recording bucket."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.channel.errors import RecordingNotReadableError
from services.channel.hls import master_playlist_key, renditions_of
from shared.events.channel import Rendition


class S3RecordingReader:
    def __init__(self, client: Any) -> None:
        self._client = client

    def renditions(self, bucket: str, prefix: str) -> list[Rendition]:
        key = master_playlist_key(prefix)
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except ClientError as error:
            raise RecordingNotReadableError(f"cannot read s3://{bucket}/{key}: {error}") from error
        renditions = renditions_of(prefix, body)
        if not renditions:
            raise RecordingNotReadableError(f"s3://{bucket}/{key} lists no renditions")
        return renditions


class S3RecordingStore:
    """Removal of a recording's objects (the raw IVS recording of a deleted video)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        removed = 0
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix.strip("/") + "/"
        ):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not keys:
                continue
            errors = self._client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True}).get(
                "Errors", []
            )
            if errors:
                raise RuntimeError(f"could not delete {len(errors)} objects under {prefix}: {errors[0]}")
            removed += len(keys)
        return removed
