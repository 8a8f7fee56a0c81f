"""Shared helpers for post-processing unit tests: storage that records what it did, and a test scene."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.postprocess.models import ProcessRequest
from services.postprocess.storage import FilesystemStorage
from tests.media import RecordingLayout

RECORDINGS = "recordings"
OUTPUT = "media"
SMALL = ("180p30", "360p30")  # lowest first, so picking the best is not picking the first


class RecordingStorage(FilesystemStorage):
    """Filesystem storage that remembers content types and counts downloads."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.content_types: dict[str, str] = {}
        self.downloads = 0

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        self.content_types[key] = content_type
        super().put_file(bucket, key, path, content_type)

    def get_to_file(self, bucket: str, key: str, path: Path) -> int:
        self.downloads += 1
        return super().get_to_file(bucket, key, path)


@dataclass
class Scene:
    storage: RecordingStorage
    layout: RecordingLayout
    request: ProcessRequest
    workdir: Path

    def path(self, key: str, bucket: str = RECORDINGS) -> Path:
        return self.storage.root / bucket / key
