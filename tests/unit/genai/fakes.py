"""In-memory S3, title book store and a canonical invocation for the generative handlers' tests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from services.genai import runtime
from services.genai.config import GenAiSettings
from services.genai.feedback import StaleBook, TitleBook, TitleFeedback
from services.genai.models import Segment
from shared.events.testing import FakePublisher
from shared.observability import metrics
from shared.plugin_sdk import PluginClient

EVENTS = Path(__file__).parents[2] / "events"
OWNER = "3c1e8f52-7a4b-4d0e-9f21-6b8a0c5d7e13"
VIDEO = "vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C"
BUCKET = "svideo-dev-media"
SEGMENTS_KEY = f"videos/{VIDEO}/plugins/transcript/segments.json"
SPEECH = [
    "Today we repair a flat bicycle tyre at home with simple tools.",
    "First remove the wheel and take the tyre off the rim with two levers.",
    "Find the puncture in the inner tube by pumping air and listening for the hiss.",
    "Patch the inner tube, refit the tyre and pump it to the right pressure.",
]


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        self.objects[(Bucket, Key)] = Body
        return {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


class MemoryBooks:
    def __init__(self) -> None:
        self.books: dict[str, TitleBook] = {}

    def get(self, video_id: str) -> TitleBook | None:
        return self.books.get(video_id)

    def delete(self, video_id: str) -> None:
        self.books.pop(video_id, None)

    def put(self, book: TitleBook) -> None:
        stored = self.books.get(book.video_id)
        if (stored.version if stored else 0) != book.version - 1:
            raise StaleBook(book.video_id)
        self.books[book.video_id] = book


def segments() -> list[dict[str, Any]]:
    return [
        Segment(index=i, start_ms=i * 4000, end_ms=i * 4000 + 3900, text=t).model_dump()
        for i, t in enumerate(SPEECH)
    ]


def invocation_event(plugin: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """An SQS batch of one `Plugin.Invoked` for `plugin`, from the canonical payload."""
    raw = json.loads((EVENTS / "svideo.plugins" / "Plugin.Invoked.json").read_text())
    raw["detail"]["plugin"] = plugin
    if inputs is not None:
        raw["detail"]["inputs"] = inputs
    return {"Records": [{"messageId": "m-1", "body": json.dumps(raw)}]}


def transcript_inputs() -> dict[str, Any]:
    return {"transcript": {"segments_key": SEGMENTS_KEY, "language": "en"}}


class World:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, max_rounds: int = 3) -> None:
        self.s3 = FakeS3()
        self.s3.put_object(Bucket=BUCKET, Key=SEGMENTS_KEY, Body=json.dumps(segments()).encode())
        self.publisher = FakePublisher()
        self.books = MemoryBooks()
        self.feedback = TitleFeedback(self.books, self.publisher, max_rounds)
        settings = GenAiSettings(media_bucket=BUCKET, max_title_rounds=max_rounds)
        runtime.use(runtime.Runtime(settings, self.s3, self.publisher, self.feedback))
        monkeypatch.setattr(
            PluginClient, "from_env", classmethod(lambda cls, name: cls(name, self.publisher))
        )
        # The stacks set POWERTOOLS_METRICS_NAMESPACE; the shared singleton was built without it here.
        monkeypatch.setattr(metrics, "namespace", "svideo")
