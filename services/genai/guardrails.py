"""Transcript text is untrusted: it may carry escape sequences, instructions aimed at a model, text that
breaks JSON, or be huge. Sanitize it, cap it, delimit it in prompts, and check model outputs before anyone
sees them."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

from services.genai.errors import InvalidModelOutputError, PromptLeakError
from services.genai.models import Segment, TitleSet

MAX_SEGMENT_CHARS = 1000
MAX_PROMPT_TRANSCRIPT_CHARS = 24_000
MAX_SEGMENTS = 5000
# Words of a system prompt that may appear in an output in a row before it counts as a leak.
LEAK_NGRAM = 8

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Cc/Cf (controls, zero-width and bidi overrides) except tab and newline.
_INVISIBLE = {"Cc", "Cf", "Co", "Cs"}
_SPACES = re.compile(r"[ \t]+")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bact as\b|\bnew instructions?\b|\bjailbreak\b"
    r"|</?\s*(transcript|system|instructions?)\b",
    re.IGNORECASE | re.DOTALL,
)
# Angle brackets become guillemets so transcript text can neither open nor close a tag.
_ANGLES = str.maketrans({"<": "\u2039", ">": "\u203a"})
_MARKUP = re.compile(r"[{}\[\]`<>\u2039\u203a]|\"\s*[:,]")
_MARKUP_CHAR = re.compile(r"[{}\[\]`<>\u2039\u203a\"]")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)


def sanitize(text: str, limit: int = MAX_SEGMENT_CHARS) -> str:
    """NFKC, no escape sequences or invisible characters, collapsed spaces, at most `limit` characters."""
    text = _ANSI.sub("", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE)
    return _SPACES.sub(" ", text).strip()[:limit]


def sanitize_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Sanitized, non-empty segments (their indices are kept: evidence refers to them)."""
    clean: list[Segment] = []
    for segment in segments:
        text = sanitize(segment.text)
        if text:
            clean.append(segment.model_copy(update={"text": text}))
        if len(clean) >= MAX_SEGMENTS:
            break
    return tuple(clean)


def looks_like_instruction(text: str) -> bool:
    """Text addressed to a model rather than to viewers; never promoted to a title, tag or description."""
    return bool(_INSTRUCTION.search(text))


def looks_like_markup(text: str) -> bool:
    """Brackets, braces, backticks or JSON punctuation: code or an attempt to break a JSON reply."""
    return bool(_MARKUP.search(text))


def strip_markup(text: str) -> str:
    """Drop every whitespace-separated token carrying markup characters (extractive writers quote text)."""
    return " ".join(token for token in text.split() if not _MARKUP_CHAR.search(token))


def viewer_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Sanitized segments without markup tokens or instruction-like lines: safe to quote to viewers."""
    kept: list[Segment] = []
    for segment in sanitize_segments(segments):
        text = strip_markup(segment.text)
        if text and not looks_like_instruction(text):
            kept.append(segment.model_copy(update={"text": text}))
    return tuple(kept)


def fit_for_viewers(text: str) -> bool:
    return not looks_like_instruction(text) and not looks_like_markup(text)


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def delimit(segments: tuple[Segment, ...], limit: int = MAX_PROMPT_TRANSCRIPT_CHARS) -> tuple[str, str]:
    """The transcript as numbered lines inside a tag with a random nonce (unguessable, so the text cannot
    close it), capped at `limit` characters. Returns the block and its tag name."""
    tag = f"transcript-{secrets.token_hex(6)}"
    lines: list[str] = []
    used = 0
    for segment in segments:
        line = f"[{segment.index}] {segment.text.translate(_ANGLES)}"
        if used + len(line) > limit:
            break
        lines.append(line)
        used += len(line) + 1
    return f"<{tag}>\n" + "\n".join(lines) + f"\n</{tag}>", tag


def check_no_leak(output: str, system_prompt: str, n: int = LEAK_NGRAM) -> None:
    """Refuse an output that repeats `n` consecutive words of the system prompt."""
    prompt_words = words(system_prompt)
    grams = {tuple(prompt_words[i : i + n]) for i in range(len(prompt_words) - n + 1)}
    out_words = words(output)
    for i in range(len(out_words) - n + 1):
        if tuple(out_words[i : i + n]) in grams:
            raise PromptLeakError("the output repeats the system prompt")


def check_title_set(titles: TitleSet, segments: tuple[Segment, ...]) -> None:
    """Evidence points at real segments and every text shares words with the segments it cites."""
    by_index = {s.index: s for s in segments}
    for item in (*titles.candidates, titles.description, *titles.tags):
        cited = [by_index.get(i) for i in item.evidence]
        if any(c is None for c in cited):
            raise InvalidModelOutputError(f"{item.text!r} cites a segment that does not exist")
        cited_words = {w for c in cited if c is not None for w in words(c.text)}
        content = [w for w in words(item.text) if len(w) > 3]
        if content and not cited_words.intersection(content):
            raise InvalidModelOutputError(f"{item.text!r} is not supported by the segments it cites")
        if not fit_for_viewers(item.text):
            raise InvalidModelOutputError(f"{item.text!r} reads as an instruction, not a title")
