"""`SensitiveTextDetector` on AWS: Bedrock's ApplyGuardrail with the titles stack's guardrail, whose
sensitive-information policy blocks the PII entity types the local detector looks for and whose word policy
holds the managed profanity list. Names in the transcript come from the same call on the transcript text
(source INPUT), read from the `NAME` matches of the assessment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_TEXT_CHARS = 20_000  # well under ApplyGuardrail's text unit limits


class BedrockGuardrailDetector:
    def __init__(self, client: Any, guardrail_id: str, guardrail_version: str = "DRAFT") -> None:
        self._client = client
        self._id = guardrail_id
        self._version = guardrail_version

    def _assess(self, text: str, source: str) -> dict[str, Any]:
        response: dict[str, Any] = self._client.apply_guardrail(
            guardrailIdentifier=self._id,
            guardrailVersion=self._version,
            source=source,
            content=[{"text": {"text": text[:MAX_TEXT_CHARS]}}],
        )
        return response

    def categories(self, text: str) -> list[str]:
        response = self._assess(text, "OUTPUT")
        if response.get("action") != "GUARDRAIL_INTERVENED":
            return []
        found: set[str] = set()
        for assessment in response.get("assessments", []):
            sensitive = assessment.get("sensitiveInformationPolicy", {})
            found |= {f"pii:{e['type']}" for e in sensitive.get("piiEntities", [])}
            found |= {f"pii:{r.get('name', 'REGEX')}" for r in sensitive.get("regexes", [])}
            words = assessment.get("wordPolicy", {})
            if words.get("managedWordLists"):
                found.add("profanity")
            if words.get("customWords"):
                found.add("word")
            found |= {f"content:{f['type']}" for f in assessment.get("contentPolicy", {}).get("filters", [])}
            found |= {f"topic:{t['name']}" for t in assessment.get("topicPolicy", {}).get("topics", [])}
        return sorted(found) or ["guardrail"]

    def names(self, texts: Sequence[str]) -> set[str]:
        names: set[str] = set()
        if not texts:
            return names
        response = self._assess("\n".join(texts), "INPUT")
        for assessment in response.get("assessments", []):
            for entity in assessment.get("sensitiveInformationPolicy", {}).get("piiEntities", []):
                if entity.get("type") == "NAME" and entity.get("match"):
                    names.add(" ".join(str(entity["match"]).casefold().split()))
        return names
