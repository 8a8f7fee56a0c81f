"""The evaluation set, speech clips spoken by espeak-ng from its known text (voice, speed and noise per clip),
and word error rate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

GROUND_TRUTH_DIR = Path(__file__).parent
_NUMBERS = {"2": "two", "3": "three", "12": "twelve", "20": "twenty", "40": "forty", "1": "one"}
SOX_NOISE_SEED = 7


@dataclass(frozen=True)
class Reference:
    id: str
    text: str
    topic: str
    keywords: list[str]
    acceptable_titles: list[str]
    activity: str = ""
    activity_words: list[str] = field(default_factory=list)
    voice: str = "en-us"
    words_per_minute: int = 160
    noise: float = 0.0
    channel: str = ""
    earlier_titles: list[str] = field(default_factory=list)

    def names_topic(self, title: str) -> bool:
        """The title says one of the topic keywords (case-insensitive, whole words)."""
        return any(_says(title, k) for k in self.keywords)

    def names_activity(self, title: str) -> bool:
        """The title says what kind of broadcast it is: one of the clip's activity words."""
        return any(_says(title, a) for a in self.activity_words)


def _says(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w&]){re.escape(phrase.lower())}(?![\w&])", text.lower()) is not None


def load_ground_truth() -> list[Reference]:
    return [Reference(**json.loads(p.read_text())) for p in sorted(GROUND_TRUTH_DIR.glob("*.json"))]


def speak(
    text: str, out: Path, voice: str = "en-us", words_per_minute: int = 160, noise: float = 0.0
) -> Path:
    """A 16 kHz mono WAV of `text` spoken by espeak-ng (resampled with sox), with white noise mixed in at
    amplitude `noise` when given."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text], check=True)
    if noise <= 0:
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(out)], check=True)
    else:
        speech = out.with_suffix(".speech.wav")
        hiss = out.with_suffix(".noise.wav")
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(speech)], check=True)
        length = subprocess.run(
            ["soxi", "-D", str(speech)], check=True, capture_output=True, text=True
        ).stdout
        subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", str(hiss), "synth", length.strip(),
                        "whitenoise", "vol", str(noise)], check=True)  # fmt: skip
        subprocess.run(["sox", "-m", str(speech), str(hiss), str(out)], check=True)
        speech.unlink()
        hiss.unlink()
    raw.unlink()
    return out


def speak_reference(reference: Reference, out: Path) -> Path:
    return speak(reference.text, out, reference.voice, reference.words_per_minute, reference.noise)


def have_speech_tools() -> bool:
    return all(shutil.which(tool) for tool in ("espeak-ng", "sox", "ffmpeg"))


def normalise(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return [_NUMBERS.get(w, w) for w in words]


def normalise_numbers(text: str) -> list[str]:
    """Words after number words became digits on both sides (the form captions use), so "twenty" and "20"
    count as the same word."""
    from services.genai.numbers import to_digits

    return re.findall(r"[a-z0-9']+", to_digits(text.lower()))


def word_error_rate(reference: str, hypothesis: str, numbers_as_digits: bool = False) -> float:
    """Word edits (Levenshtein) over reference words, after lower-casing and spelling out small numbers
    (or, with `numbers_as_digits`, after writing every number in digits)."""
    norm = normalise_numbers if numbers_as_digits else normalise
    ref, hyp = norm(reference), norm(hypothesis)
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
