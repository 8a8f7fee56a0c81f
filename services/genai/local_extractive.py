"""Offline `TitleWriter`: keyphrases (YAKE) and sentence ranking (LexRank via sumy with a regex tokenizer,
so no NLTK download). Everything it writes is lifted from the transcript, so every output cites the
segments it comes from and nothing is invented. Feedback rounds drop rejected phrasing and favour the
feedback's words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.genai import guardrails
from services.genai.errors import EmptyTranscriptError, GenerationError
from services.genai.models import Evidenced, Generation, Segment, TitleRequest, TitleSet

MODEL_ID = "extractive-yake-lexrank"
PROMPT_VERSION = "extractive/v1"
TITLE_COUNT = 3
TAG_LIMIT = 10
TITLE_MAX_CHARS = 80
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s+")
_INTENT = re.compile(
    r"\b(?:we are|we're|i am|i'm|we will be|i will be|we'll be|i'll be)\s+"
    r"(?P<clause>[^\W\d_]+ing\b[^.,;:!?]{3,70})"
    r"|\b(?:show you how to|learn how to|how to)\s+(?P<howto>[^.,;:!?]{3,70})",
    re.IGNORECASE,
)
# Words a speaker says in any broadcast; alone they make poor tags or titles.
_GENERIC = {
    "back",
    "today",
    "welcome",
    "first",
    "then",
    "finally",
    "now",
    "next",
    "thing",
    "things",
    "everything",
    "stream",
    "live",
    "time",
    "video",
    "show",
    "guys",
    "everyone",
    "hello",
    "thanks",
    "okay",
    "yeah",
}
_SMALL_WORDS = {"a", "an", "the", "and", "or", "with", "of", "for", "to", "in", "on", "at", "by", "from"}


@dataclass(frozen=True)
class Sentence:
    text: str
    evidence: tuple[int, ...]


class RegexTokenizer:
    """What sumy's parser needs from a tokenizer: sentences are our lines, words are regex matches."""

    def to_sentences(self, paragraph: str) -> list[str]:
        return [line for line in paragraph.split("\n") if line.strip()]

    def to_words(self, sentence: str) -> list[str]:
        return guardrails.words(sentence)


def sentences_of(segments: Sequence[Segment]) -> list[Sentence]:
    """Sentences of the whole transcript, each with the indices of the segments it overlaps."""
    text = ""
    spans: list[tuple[int, int, int]] = []
    for segment in segments:
        start = len(text) + (1 if text else 0)
        text = f"{text} {segment.text}" if text else segment.text
        spans.append((start, len(text), segment.index))
    result: list[Sentence] = []
    position = 0
    for piece in [*_SENTENCE_END.split(text)]:
        begin = text.find(piece, position)
        end = begin + len(piece)
        position = end
        cited = tuple(i for s, e, i in spans if s < end and e > begin)[:10]
        if piece.strip() and cited:
            result.append(Sentence(piece.strip(), cited))
    return result


def _title_case(phrase: str, language: str) -> str:
    words = phrase.split()
    if not language.startswith("en"):
        return phrase[:1].upper() + phrase[1:]
    return " ".join(
        w if (i and w.lower() in _SMALL_WORDS) else (w[:1].upper() + w[1:]) for i, w in enumerate(words)
    )


def _jaccard(a: str, b: str) -> float:
    x, y = set(guardrails.words(a)), set(guardrails.words(b))
    return len(x & y) / len(x | y) if x | y else 1.0


@cache
def _extractor(language: str, n: int) -> Any:
    import yake

    return yake.KeywordExtractor(lan=language, n=n, top=30, dedup_lim=0.7)


class ExtractiveTitleWriter:
    model_id = MODEL_ID

    def write(self, request: TitleRequest) -> TitleSet:
        segments = guardrails.viewer_segments(request.segments)
        sentences = [s for s in sentences_of(segments) if guardrails.fit_for_viewers(s.text)]
        if not sentences or sum(len(guardrails.words(s.text)) for s in sentences) < 3:
            raise EmptyTranscriptError("the transcript has too little speech to write titles from")
        language = request.language.split("-")[0].lower() or "en"
        text = "\n".join(s.text for s in sentences)
        extractor = _extractor(language, 3)
        keyphrases = [kp for kp, _ in extractor.extract_keywords(text) if self._clean_phrase(kp, extractor)]
        titles = self._titles(request, sentences, keyphrases, language)
        if len(titles) < TITLE_COUNT:
            raise GenerationError(f"only {len(titles)} distinct titles are supported by the transcript")
        return TitleSet(
            candidates=tuple(titles[:TITLE_COUNT]),
            description=self._description(sentences, text, language),
            tags=tuple(self._tags(sentences, keyphrases)),
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )

    @staticmethod
    def _clean_phrase(phrase: str, extractor: Any) -> bool:
        words = phrase.lower().split()
        stop = extractor.stopword_set
        if not words or words[0] in stop or words[-1] in stop or phrase.isdigit():
            return False
        return not (len(words) == 1 and words[0] in _GENERIC)

    @staticmethod
    def _cite(phrase: str, sentences: Sequence[Sentence]) -> tuple[int, ...]:
        needle = phrase.casefold()
        cited: list[int] = []
        for sentence in sentences:
            if needle in sentence.text.casefold():
                cited += [i for i in sentence.evidence if i not in cited]
        return tuple(cited[:5])

    def _titles(
        self, request: TitleRequest, sentences: Sequence[Sentence], keyphrases: list[str], language: str
    ) -> list[Evidenced]:
        weight = {kp.casefold(): 1.0 / (rank + 1) for rank, kp in enumerate(keyphrases)}
        feedback = {w for w in guardrails.words(request.feedback) if len(w) > 3}
        pool: list[tuple[float, str, tuple[int, ...]]] = []

        def add(title: str, evidence: tuple[int, ...], bonus: float) -> None:
            title = title.strip(" -\u2013\u2014\"'")
            if not evidence or not 3 <= len(title) <= TITLE_MAX_CHARS or len(title.split()) < 2:
                return
            lowered = title.casefold()
            score = bonus + sum(w for kp, w in weight.items() if kp in lowered)
            score += 2.0 * len(feedback.intersection(guardrails.words(title)))
            pool.append((score, title, evidence))

        for sentence in sentences:
            for match in _INTENT.finditer(sentence.text):
                if match["clause"]:
                    add(_title_case(match["clause"], language), sentence.evidence, 3.0)
                else:
                    add("How to " + _title_case(match["howto"], language).lstrip(), sentence.evidence, 3.0)
        for rank, kp in enumerate(keyphrases[:12]):
            cited = self._cite(kp, sentences)
            add(_title_case(kp, language), cited, 0.5 / (rank + 1))
            for other in keyphrases[rank + 1 : 8]:
                if " and " not in f" {kp} {other} " and not set(kp.split()) & set(other.split()):
                    both = cited + tuple(i for i in self._cite(other, sentences) if i not in cited)
                    add(f"{_title_case(kp, language)} and {_title_case(other, language)}", both[:5], 0.0)
                    break
        for sentence in sentences:
            if len(sentence.text) <= TITLE_MAX_CHARS and feedback.intersection(
                guardrails.words(sentence.text)
            ):
                add(sentence.text.rstrip(".!?"), sentence.evidence, 0.5)
        if len(pool) < TITLE_COUNT:
            for sentence in sentences:
                add(sentence.text.rstrip(".!?")[:TITLE_MAX_CHARS].rsplit(" ", 1)[0], sentence.evidence, -1.0)

        chosen: list[Evidenced] = []
        for _, title, evidence in sorted(pool, key=lambda item: (-item[0], len(item[1]))):
            if any(_jaccard(title, rejected) >= 0.6 for rejected in request.rejected_titles):
                continue
            if any(_jaccard(title, c.text) >= 0.5 for c in chosen):
                continue
            chosen.append(Evidenced(text=title, evidence=evidence))
        return chosen

    @staticmethod
    def _description(sentences: Sequence[Sentence], text: str, language: str) -> Evidenced:
        from sumy.parsers.plaintext import PlaintextParser
        from sumy.summarizers.lex_rank import LexRankSummarizer

        picked: list[Sentence] = []
        if len(sentences) > 2:
            document = PlaintextParser.from_string(text, RegexTokenizer()).document
            summary = {str(s) for s in LexRankSummarizer()(document, 2)}
            picked = [s for s in sentences if s.text in summary][:2]
        picked = picked or list(sentences[:2])
        description = " ".join(s.text for s in picked)[:2000]
        evidence = tuple(dict.fromkeys(i for s in picked for i in s.evidence))[:10]
        return Evidenced(text=description, evidence=evidence)

    def _tags(self, sentences: Sequence[Sentence], keyphrases: list[str]) -> list[Evidenced]:
        tags: list[Evidenced] = []
        seen: list[str] = []
        for kp in keyphrases:
            tag = kp.casefold()
            if len(tag.split()) > 2 or len(tag) < 3:
                continue
            stems = {w.rstrip("s") for w in tag.split()}
            if any(stems & {w.rstrip("s") for w in other.split()} for other in seen):
                continue
            cited = self._cite(kp, sentences)
            if cited:
                seen.append(tag)
                tags.append(Evidenced(text=tag, evidence=cited))
            if len(tags) >= TAG_LIMIT:
                break
        return tags
