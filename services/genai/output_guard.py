"""Output guardrails: every text a viewer can see (title candidates, description, tags, avatar names and
image prompts) is screened before it is published. A refused candidate is dropped and replaced by the next
one or by a safe generic; a refused description becomes a generic one; a refused tag is dropped. Each text's
verdict is recorded with the round.

The categories are those of Bedrock Guardrails' filters: personal data (URLs, domains, emails, phone numbers,
card and account numbers, addresses, people's names), profanity, and, from this project's own rules, text
addressed to a model (instructions, role markers), markup, and words that only hostile transcript lines said.
Detection of personal data and profanity is behind `SensitiveTextDetector`: Presidio + better-profanity
offline (`local_detector.py`), Bedrock's ApplyGuardrail on AWS (`aws_guardrail.py`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from services.genai import guardrails, numbers
from services.genai.models import Character, CharacterSheet, Evidenced, Segment, TitleSet, Verdict

PublicField = Literal["title", "description", "tag", "avatar"]
MIN_TITLES = 3
GENERIC_TITLES = ("Live Broadcast Recording", "Recorded Live Stream", "Broadcast Replay")
GENERIC_DESCRIPTION = "A recording of a live broadcast."
_ROLE = re.compile(
    r"\b(?:system|assistant|user|human|developer|bot)\s*[:>\]]|<\|?\s*(?:im_start|im_end|endoftext)"
    r"|\b(?:assistant\b.*\buser|user\b.*\bassistant)\b|\bas an ai\b|\blanguage model\b",
    re.IGNORECASE,
)


_POSSESSIVE = re.compile(r"['\u2019]s$")


class SensitiveTextDetector(Protocol):
    """Finds personal data and profanity in a text, as category names (`pii:EMAIL_ADDRESS`, `profanity`)."""

    def categories(self, text: str) -> list[str]: ...

    def names(self, texts: Sequence[str]) -> set[str]:
        """People's names said in the transcript, and other personal data's words (lower case): they never
        reach public text."""
        ...


@dataclass(frozen=True)
class Screen:
    """What the guard knows of one transcript: names said in it and words only hostile lines said."""

    names: frozenset[str] = frozenset()
    tainted: frozenset[str] = frozenset()


@dataclass
class Screened:
    """A title set after the guardrails: only allowed texts, best first, and every verdict."""

    titles: TitleSet
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def refused(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.allowed]


def hostile_words(segments: Iterable[Segment]) -> frozenset[str]:
    """Words of instruction-like lines or markup tokens that no clean line says (an injected 'HACKED')."""
    clean: set[str] = set()
    hostile: set[str] = set()
    for segment in guardrails.sanitize_segments(segments):
        kept = guardrails.strip_markup(segment.text)
        dropped = set(guardrails.words(segment.text)) - set(guardrails.words(kept))
        if guardrails.looks_like_instruction(kept) or _ROLE.search(kept):
            hostile |= set(guardrails.words(segment.text))
        else:
            hostile |= dropped
            clean |= set(guardrails.words(kept))
    return frozenset(w for w in hostile - clean if len(w) > 2)


class OutputGuard:
    def __init__(self, detector: SensitiveTextDetector) -> None:
        self.detector = detector

    def prepare(self, segments: Sequence[Segment]) -> Screen:
        # Repeated lines once, in blocks: one analyzer call per ~4000 characters, not per segment.
        unique = dict.fromkeys(numbers.to_digits(s.text) for s in guardrails.sanitize_segments(segments))
        texts: list[str] = []
        for line in unique:
            if texts and len(texts[-1]) + len(line) < 4000:
                texts[-1] += "\n" + line
            else:
                texts.append(line)
        return Screen(names=frozenset(self.detector.names(texts)), tainted=hostile_words(segments))

    def reasons(self, text: str, screen: Screen) -> list[str]:
        """Why `text` must not be published (empty when it may)."""
        clean = guardrails.sanitize(text, 2000)
        if not guardrails.words(clean):
            return ["empty"]
        found: list[str] = []
        if guardrails.looks_like_instruction(clean):
            found.append("instruction")
        if _ROLE.search(clean):
            found.append("role")
        if guardrails.looks_like_markup(clean) or clean != text.strip():
            found.append("markup")
        lowered = f" {' '.join(_POSSESSIVE.sub('', w) for w in guardrails.words(clean))} "
        if any(f" {name} " in lowered for name in screen.names):
            found.append("pii:PERSONAL_DATA")
        if screen.tainted.intersection(guardrails.words(clean)):
            found.append("tainted")
        spelled = numbers.to_digits(clean)
        both = self.detector.categories(clean) + (
            self.detector.categories(spelled) if spelled != clean else []
        )
        for category in both:
            if category not in found:
                found.append(category)
        return found

    def verdict(self, field_name: PublicField, text: str, screen: Screen) -> Verdict:
        reasons = self.reasons(text, screen)
        return Verdict(field=field_name, text=text[:2000], allowed=not reasons, reasons=tuple(reasons))

    def screen_titles(self, titles: TitleSet, segments: Sequence[Segment]) -> Screened:
        screen = self.prepare(segments)
        verdicts: list[Verdict] = []
        candidates: list[Evidenced] = []
        for candidate in titles.candidates:
            verdict = self.verdict("title", candidate.text, screen)
            verdicts.append(verdict)
            if verdict.allowed:
                candidates.append(candidate)
        fallback_evidence = (segments[0].index,) if segments else (0,)
        for generic in GENERIC_TITLES:
            if len(candidates) >= MIN_TITLES:
                break
            if all(c.text.casefold() != generic.casefold() for c in candidates):
                candidates.append(Evidenced(text=generic, evidence=fallback_evidence))
        description = titles.description
        verdict = self.verdict("description", description.text, screen)
        verdicts.append(verdict)
        if not verdict.allowed:
            description = Evidenced(text=GENERIC_DESCRIPTION, evidence=description.evidence)
        tags: list[Evidenced] = []
        for tag in titles.tags:
            verdict = self.verdict("tag", tag.text, screen)
            verdicts.append(verdict)
            if verdict.allowed:
                tags.append(tag)
        safe = titles.model_copy(
            update={"candidates": tuple(candidates[:5]), "description": description, "tags": tuple(tags)}
        )
        return Screened(TitleSet.model_validate(safe.model_dump()), verdicts)

    def screen_characters(
        self, sheet: CharacterSheet, segments: Sequence[Segment]
    ) -> tuple[CharacterSheet, list[Verdict]]:
        """Characters whose name or description (the image prompt) is refused are dropped; a safe generic
        character stands in when none is left."""
        screen = self.prepare(segments)
        kept: list[Character] = []
        verdicts: list[Verdict] = []
        for character in sheet.characters:
            checked = [self.verdict("avatar", t, screen) for t in (character.name, character.description)]
            verdicts += checked
            if all(v.allowed for v in checked):
                kept.append(character)
        if not kept:
            evidence = (segments[0].index,) if segments else (0,)
            kept = [
                Character(
                    name="Broadcast",
                    description="An abstract emblem for a live broadcast.",
                    evidence=evidence,
                )
            ]
        return sheet.model_copy(update={"characters": tuple(kept)}), verdicts
