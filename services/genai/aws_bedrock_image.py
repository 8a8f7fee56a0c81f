"""Bedrock image half of the avatar chain: one InvokeModel per character (Amazon Titan Image Generator request
shape; the model id is configuration), seeded from the video and the character so reruns are stable."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from services.genai import guardrails
from services.genai.aws_bedrock import BedrockCharacterWriter
from services.genai.errors import GenerationError
from services.genai.models import Character, CharacterSheet, Generation, Painting, Segment

IMAGE_PROMPT_VERSION = "avatars-image/v1"
IMAGE_SIZE = 512
# Titan's text prompt limit.
MAX_IMAGE_PROMPT = 512


class BedrockAvatarPainter:
    def __init__(self, characters: BedrockCharacterWriter, client: Any, image_model_id: str) -> None:
        self._characters = characters
        self._client = client
        self.model_id = image_model_id

    def describe(self, video_id: str, segments: tuple[Segment, ...]) -> CharacterSheet:
        return self._characters.describe(segments)

    def paint(self, video_id: str, character: Character) -> Painting:
        seed = (
            int.from_bytes(hashlib.sha256(f"{video_id}:{character.name}".encode()).digest()[:4])
            % 2_147_483_646
        )
        text = guardrails.sanitize(
            f"Avatar illustration, flat colours, no text. {character.description}", MAX_IMAGE_PROMPT
        )
        body = {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": text},
            "imageGenerationConfig": {
                "numberOfImages": 1,
                "height": IMAGE_SIZE,
                "width": IMAGE_SIZE,
                "cfgScale": 8.0,
                "seed": seed,
            },
        }
        response = self._client.invoke_model(
            modelId=self.model_id,
            body=json.dumps(body),
            contentType="application/json",
            accept="application/json",
        )
        payload = json.loads(response["body"].read())
        if payload.get("error") or not payload.get("images"):
            raise GenerationError(f"the image model returned no image: {str(payload.get('error'))[:200]}")
        png = base64.b64decode(payload["images"][0])
        if not png.startswith(b"\x89PNG"):
            raise GenerationError("the image model returned something that is not a PNG")
        return Painting(
            character=character,
            png=png,
            generation=Generation(model_id=self.model_id, prompt_version=IMAGE_PROMPT_VERSION),
        )
