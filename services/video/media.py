"""The media bucket as the video service sees it: URLs to hand out, and removal of a video's prefix."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

DEFAULT_URL_EXPIRY_S = 900
MAX_CACHED_URLS = 20_000  # per process; a window's URLs for the catalog's hot objects
MAX_TEXT_BYTES = 2 * 1024 * 1024  # a transcript of several hours; more is not indexed


def video_prefix(video_id: str) -> str:
    """Everything any service writes for one video lives under this prefix (the grants say so)."""
    return f"videos/{video_id}/"


class MediaStore(Protocol):
    def url(self, key: str) -> str: ...

    def window(self) -> int:
        """The URL window now: a URL handed out in one is handed out again until the next, and is valid for at
        least a window after its own ends. Whatever holds URLs (a rendered view) is kept no longer."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under `prefix`; returns how many were removed."""
        ...

    def read_text(self, key: str) -> str | None:
        """A small text object (a transcript), or None when there is none."""
        ...


class S3MediaStore:
    """Presigned GETs, or `<cdn_base_url>/<key>` when a CDN fronts the bucket.

    Each object is signed once per window of `expiry_s` seconds and the URL reused for the rest of the window
    (a public list hands out hundreds of URLs per response): a URL is signed for two windows, so one handed
    out at the end of its window is still valid for at least `expiry_s` seconds.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        cdn_base_url: str | None = None,
        expiry_s: int = DEFAULT_URL_EXPIRY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.cdn_base_url = cdn_base_url.rstrip("/") if cdn_base_url else None
        self.expiry_s = expiry_s
        self._clock = clock
        self._window = -1
        self._signed: dict[str, str] = {}

    def window(self) -> int:
        return 0 if self.cdn_base_url else int(self._clock() // self.expiry_s)  # CDN URLs never expire

    def url(self, key: str) -> str:
        if self.cdn_base_url:
            return f"{self.cdn_base_url}/{key}"
        window = self.window()
        if window != self._window or len(self._signed) >= MAX_CACHED_URLS:
            self._window, self._signed = window, {}
        url = self._signed.get(key)
        if url is None:
            url = str(self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=2 * self.expiry_s
            ))  # fmt: skip
            self._signed[key] = url
        return url

    def read_text(self, key: str) -> str | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        text: str = body.read(MAX_TEXT_BYTES).decode("utf-8", errors="replace")
        return text

    def delete_prefix(self, prefix: str) -> int:
        removed = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not keys:
                continue
            response = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
            errors = response.get("Errors", [])
            if errors:
                raise RuntimeError(f"could not delete {len(errors)} objects under {prefix}: {errors[0]}")
            removed += len(keys)
        return removed
