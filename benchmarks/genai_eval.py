"""Evaluates the offline generative adapters on tests/ground_truth: transcript WER on espeak-ng clips of the
known text, title keyword recall, and latency per plugin task.  Run: python -m benchmarks.genai_eval"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from services.genai import tasks
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.local_painter import ProceduralAvatarPainter
from services.genai.local_whisper import LocalWhisperTranscriber, default_cache_dir
from services.genai.models import TitleRequest
from tests.ground_truth import keyword_recall, load_ground_truth, speak, word_error_rate


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, filename: str, body: bytes, content_type: str) -> str:
        self.objects[filename] = body
        return filename

    def get(self, key: str) -> bytes:
        return self.objects[key]


def main() -> None:
    transcriber, writer, painter = (
        LocalWhisperTranscriber(default_cache_dir()),
        ExtractiveTitleWriter(),
        ProceduralAvatarPainter(),
    )
    print(
        f"{'clip':10} {'audio s':>7} {'WER':>6} {'recall':>6} {'transcript s':>12} {'titles s':>8} "
        f"{'avatars s':>9}  first title"
    )
    with tempfile.TemporaryDirectory() as work:
        for reference in load_ground_truth():
            clip = speak(reference.text, Path(work) / f"{reference.id}.wav")
            store = MemoryStore()
            t0 = time.perf_counter()
            transcript = tasks.transcribe(reference.id, clip, transcriber, store)
            t1 = time.perf_counter()
            segments = tasks.load_segments({"transcript": transcript}, store)
            titles = tasks.write_titles(
                TitleRequest(video_id=reference.id, segments=segments), writer, store, 3
            )
            t2 = time.perf_counter()
            tasks.paint_avatars(reference.id, segments, painter, store)
            t3 = time.perf_counter()
            wer = word_error_rate(reference.text, store.get(transcript["transcript_key"]).decode())
            recall = keyword_recall(reference.keywords, [c["title"] for c in titles["candidates"]])
            print(
                f"{reference.id:10} {transcript['audio_seconds']:7.1f} {wer:6.3f} {recall:6.2f} "
                f"{t1 - t0:12.2f} "
                f"{t2 - t1:8.2f} {t3 - t2:9.2f}  {titles['candidates'][0]['title']}"
            )


if __name__ == "__main__":
    main()
