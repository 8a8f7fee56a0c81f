"""What the generative ports take and return: transcripts with timed segments, title sets with evidence,
character sheets. Every output records the model and prompt version that produced it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

SegmentIndex = Annotated[int, Field(ge=0)]
ShortText = Annotated[str, Field(min_length=1, max_length=120)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Segment(Frozen):
    """One timed line of a transcript; `index` is how titles and tags cite their evidence."""

    index: SegmentIndex
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    text: str = Field(max_length=2000)


class Generation(Frozen):
    """Who produced an output: model id, prompt version and what it cost."""

    model_id: str = Field(min_length=1, max_length=200)
    prompt_version: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,64}$")
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class Transcript(Frozen):
    text: str
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    segments: tuple[Segment, ...]
    audio_seconds: float = Field(ge=0)
    generation: Generation

    @property
    def word_count(self) -> int:
        return len(self.text.split())


class PendingTranscription(Frozen):
    """An asynchronous transcriber started a job; its completion arrives later as an event."""

    job_name: str = Field(pattern=r"^[0-9a-zA-Z._-]{1,200}$")
    model_id: str


class Evidenced(Frozen):
    """A generated text and the transcript segments that support it."""

    text: str = Field(min_length=1, max_length=2000)
    evidence: tuple[SegmentIndex, ...] = Field(min_length=1, max_length=10)


class TitleRequest(Frozen):
    """One round of title writing; rounds after the first carry the broadcaster's feedback, the titles the
    feedback rejected and the latest round's candidates in order (what "like candidate 2" refers to)."""

    video_id: str
    segments: tuple[Segment, ...]
    language: str = "en"
    round: int = Field(default=1, ge=1, le=10)
    feedback: str = Field(default="", max_length=1000)
    rejected_titles: tuple[str, ...] = ()
    previous_titles: tuple[str, ...] = ()


class TitleSet(Frozen):
    candidates: tuple[Evidenced, ...] = Field(min_length=3, max_length=5)
    description: Evidenced
    tags: tuple[Evidenced, ...] = Field(max_length=15)
    generation: Generation

    @model_validator(mode="after")
    def _distinct(self) -> TitleSet:
        titles = [c.text.casefold() for c in self.candidates]
        if len(set(titles)) != len(titles):
            raise ValueError("title candidates repeat")
        tags = [t.text.casefold() for t in self.tags]
        if len(set(tags)) != len(tags):
            raise ValueError("tags repeat")
        if any(len(c.text) > 120 for c in self.candidates):
            raise ValueError("a title is over 120 characters")
        return self


class Verdict(Frozen):
    """The output guardrails' decision on one public text; `reasons` name the refused categories."""

    field: str = Field(pattern=r"^(title|description|tag|avatar)$")
    text: str = Field(max_length=2000)
    allowed: bool
    reasons: tuple[str, ...] = ()


class Character(Frozen):
    """A character or scene the avatar step paints, described from the transcript."""

    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=500)
    evidence: tuple[SegmentIndex, ...] = Field(min_length=1, max_length=10)


class CharacterSheet(Frozen):
    characters: tuple[Character, ...] = Field(min_length=1, max_length=4)
    generation: Generation


class Painting(Frozen):
    character: Character
    png: bytes
    generation: Generation
