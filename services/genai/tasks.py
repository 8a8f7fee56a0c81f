"""What each generative plugin does with one invocation, given its port and an artefact store: run the
task, write the artefacts under `videos/<id>/plugins/<name>/`, and return the plugin output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from services.genai.errors import GenerationError, RegenerationLimitError
from services.genai.models import Segment, TitleRequest, Transcript
from services.genai.output_guard import OutputGuard
from services.genai.ports import AvatarPainter, TitleWriter, Transcriber
from services.genai.vtt import to_webvtt


class ArtefactStore(Protocol):
    def put(self, filename: str, body: bytes, content_type: str) -> str: ...

    def get(self, key: str) -> bytes: ...


def store_transcript(transcript: Transcript, store: ArtefactStore) -> dict[str, Any]:
    segments = [s.model_dump() for s in transcript.segments]
    return {
        "transcript_key": store.put("transcript.txt", transcript.text.encode(), "text/plain; charset=utf-8"),
        "captions_key": store.put("captions.vtt", to_webvtt(transcript.segments).encode(), "text/vtt"),
        "segments_key": store.put("segments.json", json.dumps(segments).encode(), "application/json"),
        "language": transcript.language,
        "word_count": transcript.word_count,
        "audio_seconds": transcript.audio_seconds,
        "model_id": transcript.generation.model_id,
        "prompt_version": transcript.generation.prompt_version,
    }


def transcribe(video_id: str, media: Path, transcriber: Transcriber, store: ArtefactStore) -> dict[str, Any]:
    result = transcriber.transcribe(video_id, media)
    if not isinstance(result, Transcript):
        raise GenerationError("an asynchronous transcriber completes from its job's event, not here")
    return store_transcript(result, store)


def load_segments(inputs: dict[str, Any], store: ArtefactStore) -> tuple[Segment, ...]:
    """The transcript plugin's segments, from the invocation's inputs; no transcript is a clean failure."""
    key = (inputs.get("transcript") or {}).get("segments_key")
    if not key:
        raise GenerationError("no transcript: the transcript plugin did not succeed for this video")
    return tuple(Segment.model_validate(s) for s in json.loads(store.get(str(key))))


def write_titles(
    request: TitleRequest, writer: TitleWriter, store: ArtefactStore, max_rounds: int, guard: OutputGuard
) -> dict[str, Any]:
    """One round: the writer's candidates (best first) through the output guardrails, so only allowed texts
    are returned and published; every verdict is kept in the round's S3 output."""
    if request.round > max_rounds:
        raise RegenerationLimitError(f"round {request.round} is over the limit of {max_rounds}")
    screened = guard.screen_titles(writer.write(request), request.segments)
    titles = screened.titles
    full = titles.model_dump(mode="json") | {
        "verdicts": [v.model_dump(mode="json") for v in screened.verdicts],
        "feedback": request.feedback,
    }
    output_key = store.put(
        f"titles-round-{request.round}.json", json.dumps(full).encode(), "application/json"
    )
    return {
        "candidates": [
            {"candidate_id": f"r{request.round}c{i}", "title": c.text, "evidence": list(c.evidence)}
            for i, c in enumerate(titles.candidates, 1)
        ],
        "description": titles.description.text,
        "tags": [t.text for t in titles.tags],
        "output_key": output_key,
        "round": request.round,
        "model_id": titles.generation.model_id,
        "prompt_version": titles.generation.prompt_version,
        "input_tokens": titles.generation.input_tokens,
        "output_tokens": titles.generation.output_tokens,
    }


def paint_avatars(
    video_id: str,
    segments: tuple[Segment, ...],
    painter: AvatarPainter,
    store: ArtefactStore,
    guard: OutputGuard,
) -> dict[str, Any]:
    """Characters through the output guardrails before any is painted: their names and descriptions are
    public, and on AWS the description is the image prompt."""
    sheet, verdicts = guard.screen_characters(painter.describe(video_id, segments), segments)
    store.put("avatar-verdicts.json", json.dumps([v.model_dump(mode="json") for v in verdicts]).encode(),
              "application/json")  # fmt: skip
    avatars = []
    for number, character in enumerate(sheet.characters, 1):
        painting = painter.paint(video_id, character)
        key = store.put(f"avatar-{number}.png", painting.png, "image/png")
        avatars.append({"name": character.name, "description": character.description, "image_key": key})
    return {
        "avatars": avatars,
        "model_id": f"{sheet.generation.model_id}+{painter.model_id}"[:200],
        "prompt_version": sheet.generation.prompt_version,
        "input_tokens": sheet.generation.input_tokens,
        "output_tokens": sheet.generation.output_tokens,
    }
