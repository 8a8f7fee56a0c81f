"""Cost and usage metrics of the generative plugins (Powertools EMF) and the price table's estimate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from services.genai.config import Price


class MetricsSink(Protocol):
    def add_metric(self, name: str, unit: Any, value: float) -> None: ...

    def add_metadata(self, key: str, value: Any) -> None: ...


@dataclass(frozen=True)
class Usage:
    """What one plugin run consumed; `model_id` keys the price table."""

    plugin: str
    model_id: str
    input_tokens: int = 0
    output_tokens: int = 0
    images: int = 0
    transcription_seconds: float = 0.0
    image_model_id: str | None = None

    def estimated_cost(self, prices: dict[str, Price]) -> float:
        text = prices.get(self.model_id, Price())
        image = prices.get(self.image_model_id or self.model_id, Price())
        return round(
            self.input_tokens / 1000 * text.per_1k_input_tokens
            + self.output_tokens / 1000 * text.per_1k_output_tokens
            + self.images * image.per_image
            + self.transcription_seconds / 60 * text.per_audio_minute,
            6,
        )


def record(sink: MetricsSink, usage: Usage, video_id: str, prices: dict[str, Price]) -> float:
    """Adds the run's metrics; the video id goes in metadata (one dimension per video: too many)."""
    from aws_lambda_powertools.metrics import MetricUnit

    cost = usage.estimated_cost(prices)
    sink.add_metadata("video_id", video_id)
    sink.add_metadata("model_id", usage.model_id)
    sink.add_metric("InputTokens", MetricUnit.Count, usage.input_tokens)
    sink.add_metric("OutputTokens", MetricUnit.Count, usage.output_tokens)
    if usage.images:
        sink.add_metric("ImagesGenerated", MetricUnit.Count, usage.images)
    if usage.transcription_seconds:
        sink.add_metric("TranscriptionSeconds", MetricUnit.Seconds, usage.transcription_seconds)
    sink.add_metric("EstimatedCostUSD", MetricUnit.NoUnit, cost)
    return cost
