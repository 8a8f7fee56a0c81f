"""Bedrock Converse adapters: `TitleWriter` and the text half of `AvatarPainter` (characters as JSON).

The transcript goes in delimited and sanitized; the reply must be one JSON object that validates against a
pydantic model and passes the guardrails. An invalid reply is retried once with the validation error; a second
one fails the task cleanly. A Bedrock Guardrail (id + version) applies when configured."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from services.genai import guardrails, prompts
from services.genai.errors import GenerationError, InvalidModelOutputError, PromptLeakError
from services.genai.models import (
    Character,
    CharacterSheet,
    Evidenced,
    Generation,
    Segment,
    TitleRequest,
    TitleSet,
)

Parsed = TypeVar("Parsed")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
MAX_OUTPUT_TOKENS = 1200


class TitlesReply(BaseModel):
    candidates: list[Evidenced] = Field(min_length=3, max_length=5)
    description: Evidenced
    tags: list[Evidenced] = Field(default_factory=list, max_length=15)


class CharactersReply(BaseModel):
    characters: list[Character] = Field(min_length=1, max_length=3)


def extract_json(text: str) -> Any:
    """The one JSON object in a reply, tolerating a Markdown fence around it."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise InvalidModelOutputError("the reply holds no JSON object")
    try:
        return json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise InvalidModelOutputError(f"the reply is not valid JSON: {error.msg}") from error


class BedrockConverse:
    """One Converse call with retry-once-on-invalid-output; counts tokens across both attempts."""

    def __init__(
        self,
        client: Any,
        model_id: str,
        guardrail_id: str | None = None,
        guardrail_version: str | None = None,
    ) -> None:
        self.client = client
        self.model_id = model_id
        self._guardrail = (
            {
                "guardrailIdentifier": guardrail_id,
                "guardrailVersion": guardrail_version or "DRAFT",
                "trace": "disabled",
            }
            if guardrail_id
            else None
        )

    def ask(
        self, prompt: prompts.Prompt, user: str, parse: Callable[[Any], Parsed]
    ) -> tuple[Parsed, Generation]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": user}]}]
        tokens_in = tokens_out = 0
        last_error: GenerationError | None = None
        for _attempt in range(2):
            request: dict[str, Any] = {
                "modelId": self.model_id,
                "system": [{"text": prompt.system}],
                "messages": messages,
                "inferenceConfig": {"maxTokens": MAX_OUTPUT_TOKENS, "temperature": 0.4},
            }
            if self._guardrail:
                request["guardrailConfig"] = self._guardrail
            response = self.client.converse(**request)
            usage = response.get("usage", {})
            tokens_in += usage.get("inputTokens", 0)
            tokens_out += usage.get("outputTokens", 0)
            if response.get("stopReason") == "guardrail_intervened":
                raise GenerationError("the Bedrock guardrail blocked the request or the reply")
            content = response["output"]["message"]["content"]
            reply = "".join(block.get("text", "") for block in content)
            try:
                guardrails.check_no_leak(reply, prompt.system)
                parsed = parse(extract_json(reply))
            except PromptLeakError:
                raise
            except (GenerationError, ValidationError) as error:
                last_error = (
                    error if isinstance(error, GenerationError) else InvalidModelOutputError(str(error)[:500])
                )
                messages += [
                    {"role": "assistant", "content": [{"text": reply[:4000] or "(empty)"}]},
                    {
                        "role": "user",
                        "content": [
                            {
                                "text": f"That reply was invalid ({str(last_error)[:300]}). "
                                "Answer again with only the JSON object."
                            }
                        ],
                    },
                ]
                continue
            return parsed, Generation(
                model_id=self.model_id,
                prompt_version=prompt.version,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
            )
        raise InvalidModelOutputError(f"two invalid replies from {self.model_id}: {last_error}")


class BedrockTitleWriter:
    def __init__(self, converse: BedrockConverse) -> None:
        self._converse = converse
        self.model_id = converse.model_id

    def write(self, request: TitleRequest) -> TitleSet:
        segments = guardrails.sanitize_segments(request.segments)
        if not segments:
            raise GenerationError("the transcript has no speech to write titles from")
        block, _ = guardrails.delimit(segments)
        prompt = prompts.load("titles")
        user = prompt.user(
            language=guardrails.sanitize(request.language, 16),
            transcript=block,
            round=str(request.round),
            feedback=json.dumps(guardrails.sanitize(request.feedback, 500)),
            rejected=json.dumps([guardrails.sanitize(t, 120) for t in request.rejected_titles][:20]),
        )

        def parse(data: Any) -> TitleSet:
            reply = TitlesReply.model_validate(data)
            tags = list({t.text.casefold().strip(): t for t in reply.tags}.values())[:10]
            titles = TitleSet(
                candidates=tuple(reply.candidates[:5]),
                description=reply.description,
                tags=tuple(Evidenced(text=t.text.casefold().strip(), evidence=t.evidence) for t in tags),
                generation=Generation(model_id=self.model_id, prompt_version=prompt.version),
            )
            guardrails.check_title_set(titles, segments)
            rejected = {t.casefold() for t in request.rejected_titles}
            if any(c.text.casefold() in rejected for c in titles.candidates):
                raise InvalidModelOutputError("a candidate repeats a rejected title")
            return titles

        titles, generation = self._converse.ask(prompt, user, parse)
        return titles.model_copy(update={"generation": generation})


class BedrockCharacterWriter:
    """The first link of the avatar chain on Bedrock: transcript -> characters as validated JSON."""

    def __init__(self, converse: BedrockConverse) -> None:
        self._converse = converse

    def describe(self, segments: tuple[Segment, ...]) -> CharacterSheet:
        clean = guardrails.sanitize_segments(segments)
        if not clean:
            raise GenerationError("the transcript has no speech to draw characters from")
        block, _ = guardrails.delimit(clean)
        prompt = prompts.load("avatars")
        known = {s.index for s in clean}

        def parse(data: Any) -> list[Character]:
            reply = CharactersReply.model_validate(data)
            for character in reply.characters:
                if not set(character.evidence) <= known:
                    raise InvalidModelOutputError(f"{character.name!r} cites a segment that does not exist")
                if guardrails.looks_like_instruction(character.description):
                    raise InvalidModelOutputError(f"{character.name!r} reads as an instruction")
            return reply.characters

        characters, generation = self._converse.ask(
            prompt, prompt.user(language="en", transcript=block), parse
        )
        return CharacterSheet(characters=tuple(characters), generation=generation)
