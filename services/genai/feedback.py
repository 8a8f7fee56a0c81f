"""The broadcaster's title feedback loop: every round of candidates is kept in a title book per video; the
owner picks one (`Title.Selected`) or asks for a new round with feedback (`Titles.RegenerateRequested`), a
bounded number of times; the regeneration handler writes the round from the stored transcript."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, Field

from services.genai import directives, publishing, tasks
from services.genai.errors import GenerationError
from services.genai.models import Segment, TitleRequest
from services.genai.output_guard import OutputGuard
from services.genai.ports import TitleWriter
from shared.auth import ForbiddenError, Principal
from shared.errors import BadRequestError, ConflictError, NotFoundError
from shared.events.base import Meta
from shared.events.entries import Publisher
from shared.events.generative import TitlesGenerated
from shared.events.video import TitleSelected, TitlesRegenerateRequested


class StaleBook(Exception):
    """Someone else wrote the book since it was read (conditional write refused)."""


class Candidate(BaseModel):
    candidate_id: str
    title: str
    evidence: list[int] = Field(default_factory=list)


class Round(BaseModel):
    round: int
    candidates: list[Candidate]
    description: str
    tags: list[str]
    feedback: str = ""
    model_id: str
    prompt_version: str


class TitleBook(BaseModel):
    """What the loop knows of one video's titles; `version` guards concurrent writes."""

    video_id: str
    owner_id: str
    bucket: str
    segments_key: str
    language: str = "en"
    rounds: list[Round] = Field(default_factory=list)
    selected_title: str | None = None
    selected_candidate_id: str | None = None
    requested_round: int | None = None
    version: int = 0

    @property
    def latest(self) -> Round:
        return self.rounds[-1]

    @property
    def provisional_title(self) -> str:
        return self.selected_title or self.latest.candidates[0].title

    def candidate(self, candidate_id: str) -> Candidate | None:
        return next((c for r in self.rounds for c in r.candidates if c.candidate_id == candidate_id), None)


class TitleBookStore(Protocol):
    def get(self, video_id: str) -> TitleBook | None: ...

    def put(self, book: TitleBook) -> None:
        """Writes `book` over stored version `book.version - 1` (absent for version 1), else StaleBook."""
        ...

    def delete(self, video_id: str) -> None:
        """The video was deleted: every round, candidate and feedback of it goes (absent: nothing to do)."""
        ...


class ArtefactReader(Protocol):
    def get(self, key: str) -> bytes: ...

    def put(self, filename: str, body: bytes, content_type: str) -> str: ...


def _bump(book: TitleBook, **changes: Any) -> TitleBook:
    return book.model_copy(update={**changes, "version": book.version + 1})


class TitleFeedback:
    def __init__(self, store: TitleBookStore, publisher: Publisher, max_rounds: int) -> None:
        self.store = store
        self.publisher = publisher
        self.max_rounds = max_rounds

    def record_round(self, seed: TitleBook, output: Mapping[str, Any], feedback: str = "") -> TitleBook:
        """Adds a written round (1 from the plugin, later ones from regeneration); replays are no-ops."""
        book = self.store.get(seed.video_id) or seed.model_copy(update={"version": 0})
        if any(r.round == output["round"] for r in book.rounds):
            return book
        written = Round(
            round=output["round"],
            candidates=[Candidate.model_validate(c) for c in output["candidates"]],
            description=output["description"],
            tags=list(output["tags"]),
            feedback=feedback,
            model_id=output["model_id"],
            prompt_version=output["prompt_version"],
        )
        rounds = sorted([*book.rounds, written], key=lambda r: r.round)
        updated = _bump(book, rounds=rounds, requested_round=None)
        self.store.put(updated)
        return updated

    def view(self, video_id: str, caller: Principal) -> TitleBook:
        book = self.store.get(video_id)
        # Another broadcaster's video looks absent: its candidates are not theirs to see.
        if book is None or not (caller.owns(book.owner_id) or caller.is_admin):
            raise NotFoundError(f"no title candidates for video {video_id}")
        return book

    def _owned(self, video_id: str, caller: Principal) -> TitleBook:
        book = self.view(video_id, caller)
        if not caller.owns(book.owner_id):
            raise ForbiddenError("only the video's owner chooses its title")
        return book

    def select(self, video_id: str, caller: Principal, candidate_id: str) -> TitleSelected:
        book = self._owned(video_id, caller)
        candidate = book.candidate(candidate_id)
        if candidate is None:
            raise BadRequestError(f"no candidate {candidate_id!r} for this video")
        self.store.put(_bump(book, selected_title=candidate.title, selected_candidate_id=candidate_id))
        event = TitleSelected(
            meta=Meta.now(),
            video_id=video_id,
            owner_id=book.owner_id,
            title=candidate.title,
            candidate_id=candidate_id,
        )
        self.publisher.publish(event)
        return event

    def request_regeneration(
        self, video_id: str, caller: Principal, feedback: str
    ) -> TitlesRegenerateRequested:
        book = self._owned(video_id, caller)
        if book.requested_round is not None:
            raise ConflictError(f"round {book.requested_round} is being written")
        next_round = book.latest.round + 1
        if next_round > self.max_rounds:
            raise ConflictError(f"the {self.max_rounds} rounds of titles are used up")
        try:
            self.store.put(_bump(book, requested_round=next_round))
        except StaleBook as error:
            raise ConflictError("the titles changed meanwhile; read them again") from error
        # Only what the feedback turns down ("not 2") is rejected; every other candidate stays eligible.
        rejected = directives.rejected_by(feedback, [c.title for c in book.latest.candidates])
        event = TitlesRegenerateRequested(
            meta=Meta.now(),
            video_id=video_id,
            owner_id=book.owner_id,
            round=next_round,
            feedback=feedback,
            rejected_titles=rejected[:50],
        )
        self.publisher.publish(event)
        return event

    def regenerate(
        self,
        request: TitlesRegenerateRequested,
        writer: TitleWriter,
        artefacts: ArtefactReader,
        guard: OutputGuard,
    ) -> TitlesGenerated | None:
        """Writes the requested round from the stored transcript and publishes it; None for a replay."""
        book = self.store.get(request.video_id)
        if book is None:
            raise GenerationError(f"no title book for video {request.video_id}")
        if any(r.round == request.round for r in book.rounds):
            return None
        segments = tuple(Segment.model_validate(s) for s in json.loads(artefacts.get(book.segments_key)))
        try:
            output = self._write(request, book, segments, writer, artefacts, guard)
        except GenerationError:
            # Free the slot so the broadcaster can ask again; the failed round does not count.
            self.store.put(_bump(book, requested_round=None))
            raise
        self.record_round(book, output, feedback=request.feedback)
        event = publishing.titles_generated(
            request.video_id, book.bucket, output, segments, request.meta.correlation_id
        )
        self.publisher.publish(event)
        return event

    def _write(
        self,
        request: TitlesRegenerateRequested,
        book: TitleBook,
        segments: tuple[Segment, ...],
        writer: TitleWriter,
        artefacts: ArtefactReader,
        guard: OutputGuard,
    ) -> dict[str, Any]:
        return tasks.write_titles(
            TitleRequest(
                video_id=request.video_id,
                segments=segments,
                language=book.language,
                round=request.round,
                feedback=request.feedback,
                rejected_titles=tuple(request.rejected_titles),
                previous_titles=tuple(c.title for c in book.latest.candidates),
            ),
            writer,
            artefacts,
            self.max_rounds,
            guard,
        )
