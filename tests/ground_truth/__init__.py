"""The evaluation set, speech clips spoken by espeak-ng from its known text, and word error rate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

GROUND_TRUTH_DIR = Path(__file__).parent
_NUMBERS = {"2": "two", "3": "three", "12": "twelve", "20": "twenty", "40": "forty", "1": "one"}


@dataclass(frozen=True)
class Reference:
    id: str
    text: str
    topic: str
    keywords: list[str]
    acceptable_titles: list[str]


def load_ground_truth() -> list[Reference]:
    return [Reference(**json.loads(p.read_text())) for p in sorted(GROUND_TRUTH_DIR.glob("*.json"))]


def speak(text: str, out: Path, voice: str = "en-us", words_per_minute: int = 160) -> Path:
    """A 16 kHz mono WAV of `text` spoken by espeak-ng (resampled with sox)."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(out)], check=True)
    raw.unlink()
    return out


def have_speech_tools() -> bool:
    return all(shutil.which(tool) for tool in ("espeak-ng", "sox", "ffmpeg"))


def normalise(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return [_NUMBERS.get(w, w) for w in words]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits (Levenshtein) over reference words, after lower-casing and spelling out small numbers."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(len(ref), 1)


def keyword_recall(keywords: list[str], texts: list[str]) -> float:
    joined = " ".join(texts).lower()
    return sum(k.lower() in joined for k in keywords) / max(len(keywords), 1)
