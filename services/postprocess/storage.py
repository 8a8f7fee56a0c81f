"""Object storage port for post-processing, with an S3 adapter and a filesystem adapter.

The filesystem adapter lays objects out as `<root>/<bucket>/<key>`: unit tests and the benchmark use it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ObjectNotFound(KeyError):
    """The bucket has no object at that key."""


class ObjectInfo(NamedTuple):
    key: str
    size: int


class Storage(Protocol):
    def get_to_file(self, bucket: str, key: str, path: Path) -> int:
        """Stream an object into `path` (never whole in memory); return its size. Raise ObjectNotFound."""
        ...

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None: ...

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]: ...

    def get_text(self, bucket: str, key: str) -> str:
        """A small UTF-8 object (playlists, JSON). Raise ObjectNotFound."""
        ...


class FilesystemStorage:
    """Buckets are directories under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, bucket: str, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid object key {key!r}")
        return self.root / bucket / key

    def get_to_file(self, bucket: str, key: str, path: Path) -> int:
        source = self._path(bucket, key)
        if not source.is_file():
            raise ObjectNotFound(f"s3://{bucket}/{key}")
        shutil.copyfile(source, path)
        return path.stat().st_size

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        target = self._path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so readers never see a half-written object.
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        partial.replace(target)

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        base = self.root / bucket
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        if not start.is_dir():
            return
        for path in sorted(start.rglob("*")):
            key = path.relative_to(base).as_posix()
            if path.is_file() and key.startswith(prefix) and not key.endswith(".partial"):
                yield ObjectInfo(key, path.stat().st_size)

    def get_text(self, bucket: str, key: str) -> str:
        source = self._path(bucket, key)
        if not source.is_file():
            raise ObjectNotFound(f"s3://{bucket}/{key}")
        return source.read_text(encoding="utf-8")


class S3Storage:
    """boto3 S3; the client is injected so tests pass a moto-backed one and handlers create it lazily."""

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def _is_missing(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        return code in {"404", "NoSuchKey", "NotFound"}

    def get_to_file(self, bucket: str, key: str, path: Path) -> int:
        try:
            # download_file streams in chunks (multipart for large objects) straight to disk.
            self.client.download_file(bucket, key, str(path))
        except Exception as error:
            if self._is_missing(error):
                raise ObjectNotFound(f"s3://{bucket}/{key}") from error
            raise
        return path.stat().st_size

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        self.client.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})

    def list(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(item["Key"], item["Size"])

    def get_text(self, bucket: str, key: str) -> str:
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as error:
            if self._is_missing(error):
                raise ObjectNotFound(f"s3://{bucket}/{key}") from error
            raise
        return body.read().decode("utf-8")
