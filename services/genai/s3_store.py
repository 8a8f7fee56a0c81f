"""`ArtefactStore` on S3 under the invocation's plugin prefix (the SDK's `artefact_key`)."""

from __future__ import annotations

from typing import Any

from shared.plugin_sdk import PluginInvoked, artefact_key


class S3ArtefactStore:
    def __init__(self, s3: Any, invocation: PluginInvoked) -> None:
        self._s3 = s3
        self._invocation = invocation
        self._bucket = invocation.video.media.bucket

    def put(self, filename: str, body: bytes, content_type: str) -> str:
        key = artefact_key(self._invocation, filename)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
