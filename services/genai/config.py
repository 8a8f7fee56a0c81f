"""Adapter selection by configuration: environment variables validated once (at cold start, on first use)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Literal

import boto3
from pydantic import BaseModel, Field

from services.genai.output_guard import OutputGuard
from services.genai.ports import AvatarPainter, TitleWriter, Transcriber

Mode = Literal["local", "aws"]


class Price(BaseModel):
    """On-demand list prices in USD (us-east-1, late 2024); estimates for the cost metric, not billing."""

    per_1k_input_tokens: float = 0.0
    per_1k_output_tokens: float = 0.0
    per_image: float = 0.0
    per_audio_minute: float = 0.0


# Model id → price; local adapters cost nothing. Override with GENAI_PRICES (JSON of the same shape).
PRICES: dict[str, Price] = {
    "anthropic.claude-3-haiku-20240307-v1:0": Price(
        per_1k_input_tokens=0.00025, per_1k_output_tokens=0.00125
    ),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": Price(per_1k_input_tokens=0.003, per_1k_output_tokens=0.015),
    "amazon.titan-image-generator-v2:0": Price(per_image=0.008),
    "amazon-transcribe": Price(per_audio_minute=0.024),
}


class GenAiSettings(BaseModel):
    """`GENAI_MODE` picks every adapter; the rest configures the AWS models and the local caches."""

    mode: Mode = "local"
    media_bucket: str = Field(default="", max_length=63)
    titles_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    characters_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    image_model_id: str = "amazon.titan-image-generator-v2:0"
    guardrail_id: str | None = None
    guardrail_version: str | None = None
    transcribe_language: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "default"
    max_title_rounds: int = Field(default=3, ge=1, le=10)
    model_cache_dir: Path = Path("/tmp/svideo-models")
    whisper_language: str | None = None
    bus_name: str = ""
    titles_table: str = ""
    prices: dict[str, Price] = Field(default_factory=lambda: dict(PRICES))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GenAiSettings:
        env = os.environ if environ is None else environ
        values = {
            name: env[f"GENAI_{name.upper()}"] for name in cls.model_fields if f"GENAI_{name.upper()}" in env
        }
        if "media_bucket" not in values and "MEDIA_BUCKET" in env:
            values["media_bucket"] = env["MEDIA_BUCKET"]
        if "bus_name" not in values and "BUS_NAME" in env:
            values["bus_name"] = env["BUS_NAME"]
        if "prices" in values:
            return cls.model_validate({**values, "prices": json.loads(values["prices"])})
        return cls.model_validate(values)


@cache
def settings() -> GenAiSettings:
    return GenAiSettings.from_env()


def build_transcriber(config: GenAiSettings) -> Transcriber:
    if config.mode == "aws":
        from services.genai.aws_transcribe import AwsTranscriber

        return AwsTranscriber(
            boto3.client("transcribe"), boto3.client("s3"), config.media_bucket, config.transcribe_language
        )
    from services.genai.local_whisper import LocalWhisperTranscriber

    return LocalWhisperTranscriber(config.model_cache_dir, language=config.whisper_language)


def build_title_writer(config: GenAiSettings) -> TitleWriter:
    if config.mode == "aws":
        from services.genai.aws_bedrock import BedrockConverse, BedrockTitleWriter

        return BedrockTitleWriter(
            BedrockConverse(
                boto3.client("bedrock-runtime"),
                config.titles_model_id,
                config.guardrail_id,
                config.guardrail_version,
            )
        )
    if config.openai_base_url:
        from services.genai.openai_compatible import OpenAiCompatibleTitleWriter

        return OpenAiCompatibleTitleWriter(config.openai_base_url, config.openai_model)
    from services.genai.local_extractive import ExtractiveTitleWriter

    return ExtractiveTitleWriter()


def build_avatar_painter(config: GenAiSettings) -> AvatarPainter:
    if config.mode == "aws":
        from services.genai.aws_bedrock import BedrockCharacterWriter, BedrockConverse
        from services.genai.aws_bedrock_image import BedrockAvatarPainter

        client = boto3.client("bedrock-runtime")
        converse = BedrockConverse(
            client, config.characters_model_id, config.guardrail_id, config.guardrail_version
        )
        return BedrockAvatarPainter(BedrockCharacterWriter(converse), client, config.image_model_id)
    from services.genai.local_painter import ProceduralAvatarPainter

    return ProceduralAvatarPainter()


def build_output_guard(config: GenAiSettings) -> OutputGuard:
    """Personal data and profanity: Bedrock's ApplyGuardrail when a guardrail is configured on AWS,
    Presidio + better-profanity otherwise."""
    if config.mode == "aws" and config.guardrail_id:
        from services.genai.aws_guardrail import BedrockGuardrailDetector

        return OutputGuard(
            BedrockGuardrailDetector(
                boto3.client("bedrock-runtime"), config.guardrail_id, config.guardrail_version or "DRAFT"
            )
        )
    from services.genai.local_detector import PresidioDetector

    return OutputGuard(PresidioDetector())
