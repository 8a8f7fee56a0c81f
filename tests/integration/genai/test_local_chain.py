"""The offline chain on a real speech clip: faster-whisper -> extractive titles -> procedural avatars, through
the plugins' task functions and an in-memory artefact store."""

from pathlib import Path

import pytest

from services.genai import config, tasks
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.local_painter import ProceduralAvatarPainter
from services.genai.local_whisper import LocalWhisperTranscriber
from services.genai.models import TitleRequest
from tests.ground_truth import have_speech_tools, load_ground_truth, speak, word_error_rate

pytestmark = pytest.mark.skipif(not have_speech_tools(), reason="espeak-ng, sox and ffmpeg make the clip")


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, filename: str, body: bytes, content_type: str) -> str:
        key = f"videos/v1/plugins/test/{filename}"
        self.objects[key] = body
        return key

    def get(self, key: str) -> bytes:
        return self.objects[key]


def test_given_a_spoken_clip_when_the_chain_runs_then_transcript_titles_and_avatars_match_the_speech(
    tmp_path: Path,
) -> None:
    reference = next(r for r in load_ground_truth() if r.id == "cooking")
    clip = speak(reference.text, tmp_path / "clip.wav")
    store = MemoryStore()
    cache = Path.home() / ".cache" / "svideo" / "models"
    transcript = tasks.transcribe("v1", clip, LocalWhisperTranscriber(cache), store)
    text = store.get(transcript["transcript_key"]).decode()
    wer = word_error_rate(reference.text, text)
    print(f"WER {wer:.3f}")
    assert wer <= 0.10
    assert transcript["language"] == "en"
    assert store.get(transcript["captions_key"]).startswith(b"WEBVTT")
    segments = tasks.load_segments({"transcript": transcript}, store)
    guard = config.build_output_guard(config.GenAiSettings())
    titles = tasks.write_titles(
        TitleRequest(video_id="v1", segments=segments), ExtractiveTitleWriter(), store, 3, guard
    )
    assert len(titles["candidates"]) >= 3 and any(
        "tomato soup" in c["title"].lower() for c in titles["candidates"]
    )
    assert titles["description"] and titles["tags"]
    avatars = tasks.paint_avatars("v1", segments, ProceduralAvatarPainter(), store, guard)
    assert avatars["avatars"] and store.get(avatars["avatars"][0]["image_key"]).startswith(b"\x89PNG")


def test_given_a_round_over_the_limit_when_titles_are_requested_then_it_fails_cleanly() -> None:
    from services.genai.errors import RegenerationLimitError
    from tests.genai_corpus import segments_from_text

    request = TitleRequest(video_id="v1", segments=segments_from_text("We are baking bread."), round=4)
    with pytest.raises(RegenerationLimitError):
        tasks.write_titles(request, ExtractiveTitleWriter(), MemoryStore(), 3, config.build_output_guard(
            config.GenAiSettings()))  # fmt: skip
