"""Task-level ports. Each has an AWS adapter and an offline local adapter, chosen by `config.build_*`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from services.genai.models import (
    Character,
    CharacterSheet,
    Painting,
    PendingTranscription,
    Segment,
    TitleRequest,
    TitleSet,
    Transcript,
)


class Transcriber(Protocol):
    """Speech to timed text. Synchronous adapters return a `Transcript`; asynchronous ones start a job and
    finish it in `collect` when its completion event arrives."""

    model_id: str

    def transcribe(
        self, video_id: str, media: Path | str, hints: tuple[str, ...] = ()
    ) -> Transcript | PendingTranscription:
        """`hints`: words the channel uses (its name, earlier titles and tags) to steer the recogniser."""
        ...

    def collect(self, job_name: str) -> Transcript: ...


class TitleWriter(Protocol):
    """Title candidates, a description and tags, each citing the transcript segments it comes from."""

    model_id: str

    def write(self, request: TitleRequest) -> TitleSet: ...


class AvatarPainter(Protocol):
    """Prompt chaining: the transcript becomes character/scene descriptions, then one image each."""

    model_id: str

    def describe(self, video_id: str, segments: tuple[Segment, ...]) -> CharacterSheet: ...

    def paint(self, video_id: str, character: Character) -> Painting: ...
