"""docs/plugins.md's example, run as written: the template plugin through the SDK and the lifecycle."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from services.plugins.manifest import load_manifest
from shared.events.testing import FakePublisher
from shared.plugin_sdk import PluginClient, plugin_handler
from templates.plugin.handler import word_count
from tests.unit.plugins.fakes import Harness, manifest, video_processed

ROOT = Path(__file__).resolve().parents[3]


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        self.objects[(Bucket, Key)] = Body


def test_given_the_guide_then_it_shows_the_template_files_as_they_are() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    for name in ("manifest.yaml", "handler.py"):
        text = (ROOT / "templates" / "plugin" / name).read_text().strip()
        blocks = re.findall(r"```[a-z]*\n(.*?)```", guide, flags=re.S)
        assert text in [block.strip() for block in blocks], f"docs/plugins.md shows an old {name}"


def test_given_the_template_plugin_when_the_lifecycle_invokes_it_then_its_field_reaches_the_video() -> None:
    template = load_manifest(ROOT / "templates" / "plugin" / "manifest.yaml")
    titles = manifest("titles", "postMetadata", output_schema={
        "type": "object", "properties": {"candidates": {"type": "array", "items": {"type": "object"}}}},
        projection={})  # fmt: skip
    harness = Harness(titles, template)
    harness.service.start(video_processed())
    harness.answer("titles", {"candidates": [{"title": "A day at sea"}, {"title": "Fish"}]})
    invoked = harness.invocation("word-count")
    publisher, s3 = FakePublisher(), FakeS3()

    @plugin_handler("word-count", client=PluginClient("word-count", publisher))
    def handler(invocation: Any) -> dict[str, Any]:
        return word_count(invocation, s3=s3)

    event = {
        "version": "0", "id": "e1", "account": "123456789012", "time": "2026-11-22T14:00:00Z",
        "region": "us-east-1", "resources": [], "source": "svideo.plugins", "detail-type": "Plugin.Invoked",
        "detail": invoked.model_dump(mode="json"),
    }  # fmt: skip
    assert handler({"Records": [{"messageId": "m1", "body": json.dumps(event)}]}) == {"batchItemFailures": []}
    [completed] = publisher.published
    harness.service.complete(completed, "svideo.plugin.word-count")  # type: ignore[arg-type]
    assert harness.state().video_fields() == {"word_count": 5}
    assert next(iter(s3.objects))[1] == "videos/vid-plugins-1/plugins/word-count/report.json"
