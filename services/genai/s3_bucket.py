"""An artefact store on one bucket and key prefix, for handlers that act outside a plugin invocation."""

from __future__ import annotations

from typing import Any


class BucketArtefacts:
    def __init__(self, s3: Any, bucket: str, prefix: str) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._prefix = prefix.rstrip("/")

    def put(self, filename: str, body: bytes, content_type: str) -> str:
        key = f"{self._prefix}/{filename}"
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
