"""The hostile-transcript corpus as segments (one per sentence, 3 s apart)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from services.genai.models import Segment

CORPUS_DIR = Path(__file__).parent


def segments_from_text(text: str) -> tuple[Segment, ...]:
    parts = [p for p in re.split(r"(?<=[.!?])\s+", text) if p] or [text]
    return tuple(
        Segment(index=i, start_ms=i * 3000, end_ms=i * 3000 + 2900, text=p) for i, p in enumerate(parts)
    )


def load_corpus() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted(CORPUS_DIR.glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        texts[item["name"]] = item["text"] if "text" in item else " ".join(item["repeat"] * item["times"])
    return texts
