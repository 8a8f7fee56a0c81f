"""`ArtefactStore` in memory: for `svideo genai titles` (no bucket), the evaluation benchmark and tests."""

from __future__ import annotations


class MemoryArtefactStore:
    """Keeps each artefact under its file name; `get` reads it back as the S3 store's readers do."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, filename: str, body: bytes, content_type: str) -> str:
        self.objects[filename] = body
        return filename

    def get(self, key: str) -> bytes:
        return self.objects[key]
