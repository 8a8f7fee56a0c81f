"""What a broadcaster's free-text title feedback asks for, as directives every writer can honour:
shorter, longer, more formal, more casual, include WORD, like candidate N, not candidate N, a how-to title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.genai import guardrails

_SHORTER = re.compile(
    r"\b(shorter|short|shorten|concise|brief|briefer|fewer words|too long|snappier)\b", re.I
)
_LONGER = re.compile(r"\b(longer|more detail(ed)?|more descriptive|too short|expand|fuller)\b", re.I)
_FORMAL = re.compile(r"\b(more formal|formal|professional|serious|businesslike)\b", re.I)
_CASUAL = re.compile(r"\b(casual|informal|fun|funnier|playful|catchy|catchier|friendlier|relaxed)\b", re.I)
_HOW_TO = re.compile(r"\bhow[\s-]?to\b", re.I)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "first": 1, "second": 2, "third": 3}
_REF = r"(?:candidate|option|title|number|no\.?|#)?\s*#?(\d|one|two|three|four|five|first|second|third)\b"
_LIKE = re.compile(rf"\b(?:like|similar to|closer to|more like|prefer|keep)\s+(?:the\s+)?{_REF}", re.I)
_AVOID = re.compile(rf"\b(?:not|drop|reject|remove|no|hate|without)\s+(?:the\s+)?{_REF}", re.I)
_INCLUDE = re.compile(
    r"\b(?:include|including|mention|mentioning|use|add|with|about|name|feature)\s+(?:the\s+)?(?:words?\s+)?"
    r"[\"'\u201c]?(?P<words>[^\W\d_][\w' -]{1,40}?)[\"'\u201d]?"
    r"(?=$|[.,;!?]|\s+(?:and|but|please|too|instead)\b)",
    re.I,
)
_FILLER = {
    "it",
    "them",
    "this",
    "that",
    "something",
    "more",
    "the",
    "a",
    "an",
    "word",
    "words",
    "title",
    "please",
}


@dataclass(frozen=True)
class Directives:
    shorter: bool = False
    longer: bool = False
    formal: bool = False
    casual: bool = False
    how_to: bool = False
    include: tuple[str, ...] = ()
    like: int | None = None
    avoid: tuple[int, ...] = ()

    @property
    def any(self) -> bool:
        return self != Directives()


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]


def parse(feedback: str) -> Directives:
    text = guardrails.sanitize(feedback, 500)
    include: list[str] = []
    for match in _INCLUDE.finditer(text):
        phrase = " ".join(w for w in guardrails.words(match["words"]) if w not in _FILLER)
        if phrase and not re.fullmatch(r"\d+|candidate.*|option.*", phrase):
            include.append(phrase)
    like = _LIKE.search(text)
    return Directives(
        shorter=bool(_SHORTER.search(text)),
        longer=bool(_LONGER.search(text)) and not _SHORTER.search(text),
        formal=bool(_FORMAL.search(text)),
        casual=bool(_CASUAL.search(text)) and not _FORMAL.search(text),
        how_to=bool(_HOW_TO.search(text)),
        include=tuple(dict.fromkeys(include))[:3],
        like=_number(like.group(1)) if like else None,
        avoid=tuple(sorted({_number(m.group(1)) for m in _AVOID.finditer(text)})),
    )


def rejected_by(feedback: str, latest_titles: list[str]) -> list[str]:
    """The latest round's titles the feedback turns down ("not 2", "drop the first"); others stay eligible."""
    return [latest_titles[n - 1] for n in parse(feedback).avoid if 0 < n <= len(latest_titles)]
