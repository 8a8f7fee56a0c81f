"""The generative plugins' own events, built from their outputs: artefact keys, model, prompt, tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.genai.models import Segment
from shared.events.base import Meta
from shared.events.generative import (
    Avatar,
    AvatarsGenerated,
    Evidence,
    Generation,
    TitleCandidate,
    TitlesGenerated,
    TranscriptCompleted,
)


def _generation(output: Mapping[str, Any]) -> Generation:
    return Generation(
        model_id=str(output["model_id"]),
        prompt_version=str(output["prompt_version"]),
        input_tokens=int(output.get("input_tokens", 0)),
        output_tokens=int(output.get("output_tokens", 0)),
    )


def transcript_completed(
    video_id: str, bucket: str, output: Mapping[str, Any], correlation_id: str
) -> TranscriptCompleted:
    return TranscriptCompleted(
        meta=Meta.now(correlation_id),
        video_id=video_id,
        bucket=bucket,
        vtt_key=output["captions_key"],
        text_key=output["transcript_key"],
        language=output["language"],
        word_count=output["word_count"],
        generation=_generation(output),
    )


def titles_generated(
    video_id: str,
    bucket: str,
    output: Mapping[str, Any],
    segments: tuple[Segment, ...],
    correlation_id: str,
) -> TitlesGenerated:
    by_index = {s.index: s for s in segments}

    def evidence(indexes: list[int]) -> list[Evidence]:
        spans = [by_index[i] for i in indexes if i in by_index][:10]
        return [Evidence(start_ms=s.start_ms, end_ms=s.end_ms, text=s.text[:500]) for s in spans]

    return TitlesGenerated(
        meta=Meta.now(correlation_id),
        video_id=video_id,
        round=output["round"],
        candidates=[
            TitleCandidate(candidate_id=c["candidate_id"], title=c["title"], evidence=evidence(c["evidence"]))
            for c in output["candidates"]
        ],
        description=output["description"],
        tags=list(output["tags"]),
        bucket=bucket,
        output_key=output["output_key"],
        generation=_generation(output),
    )


def avatars_generated(
    video_id: str, bucket: str, output: Mapping[str, Any], correlation_id: str
) -> AvatarsGenerated:
    return AvatarsGenerated(
        meta=Meta.now(correlation_id),
        video_id=video_id,
        bucket=bucket,
        avatars=[
            Avatar(name=a["name"], description=a["description"], image_key=a["image_key"])
            for a in output["avatars"]
        ],
        generation=_generation(output),
    )
