"""Built-in generative plugins' own completion events: S3 keys of the artefacts, model, prompt, tokens."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.events.base import (
    BucketName,
    ContractModel,
    DurationMs,
    Identifier,
    S3Key,
    SvideoEvent,
    TokenCount,
    VideoId,
)
from shared.events.plugins import plugin_source


class Generation(ContractModel):
    """Which model and prompt produced an artefact, and what it cost in tokens (0 where not applicable)."""

    model_id: str = Field(min_length=1, max_length=200, examples=["anthropic.claude-3-haiku-20240307-v1:0"])
    prompt_version: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,64}$", examples=["titles/v3"])
    input_tokens: TokenCount = 0
    output_tokens: TokenCount = 0


class TranscriptCompleted(SvideoEvent):
    source: ClassVar[str] = plugin_source("transcript")
    detail_type: ClassVar[str] = "Transcript.Completed"

    video_id: VideoId
    bucket: BucketName
    vtt_key: S3Key = Field(description="WebVTT captions")
    text_key: S3Key = Field(description="Plain transcript text")
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", examples=["en-US"])
    word_count: int = Field(ge=0)
    generation: Generation


class Evidence(ContractModel):
    """A transcript span a candidate title comes from."""

    start_ms: DurationMs
    end_ms: DurationMs
    text: str = Field(max_length=500)


class TitleCandidate(ContractModel):
    candidate_id: Identifier
    title: str = Field(min_length=1, max_length=120)
    evidence: list[Evidence] = Field(default_factory=list, max_length=10)


class TitlesGenerated(SvideoEvent):
    """A round of title candidates, with description and tags; `round` counts regenerations from 1."""

    source: ClassVar[str] = plugin_source("titles")
    detail_type: ClassVar[str] = "Titles.Generated"

    video_id: VideoId
    round: int = Field(ge=1, le=10)
    candidates: list[TitleCandidate] = Field(min_length=1, max_length=10)
    description: str = Field(max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    bucket: BucketName
    output_key: S3Key = Field(description="The full, validated model output")
    generation: Generation


class Avatar(ContractModel):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(max_length=500)
    image_key: S3Key


class AvatarsGenerated(SvideoEvent):
    source: ClassVar[str] = plugin_source("avatars")
    detail_type: ClassVar[str] = "Avatars.Generated"

    video_id: VideoId
    bucket: BucketName
    avatars: list[Avatar] = Field(max_length=12)
    generation: Generation
