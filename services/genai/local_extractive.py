"""Offline `TitleWriter`: headlines composed from what the transcript says, never invented.

The libraries do the language work: spaCy's small English pipeline (noun chunks, dependencies, lemmas) finds
what the broadcast is about and what is done to it, YAKE ranks keyphrases, LexRank (sumy, with a regex
tokenizer so no NLTK download) ranks sentences for evidence. This module only composes: it recognises the
kind of broadcast (how-to, recipe, lesson, practice, meeting, review, Q&A, workout, playthrough) from cue
words, and writes headline forms for that kind ("How to Replace the Chain on a Road Bike", "Chess Lesson:
The Sicilian Defence", "Sourdough Bread Recipe"). Greetings and filler never become titles. The description
summarises (kind, topic, what it covers) instead of quoting. Feedback directives (`directives.py`) rank the
next round: shorter, longer, more formal or casual, include a word, like candidate N; titles the owner did
not reject stay eligible. Every text cites the transcript segments it comes from."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from services.genai import directives, guardrails, numbers
from services.genai.errors import EmptyTranscriptError, GenerationError
from services.genai.models import Evidenced, Generation, Segment, TitleRequest, TitleSet

MODEL_ID = "extractive-spacy-yake-lexrank"
PROMPT_VERSION = "extractive/v2"
TITLE_COUNT = 5
MIN_TITLES = 3
TAG_LIMIT = 10
TITLE_MAX_CHARS = 80
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s+")
_SMALL_WORDS = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "with",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "from",
    "vs",
}
# Chunk roots and words that are about the broadcast, not its topic.
_GENERIC = {
    "today",
    "tonight",
    "welcome",
    "thing",
    "things",
    "everything",
    "something",
    "stream",
    "live",
    "time",
    "video",
    "show",
    "guy",
    "guys",
    "everyone",
    "folk",
    "folks",
    "hello",
    "thanks",
    "okay",
    "yeah",
    "chat",
    "idea",
    "way",
    "end",
    "lot",
    "bit",
    "minute",
    "minutes",
    "second",
    "seconds",
    "hour",
    "viewer",
    "viewers",
    "question",
    "questions",
    "answer",
    "answers",
    "coffee",
    "morning",
    "evening",
    "afternoon",
    "night",
    "week",
    "day",
    "people",
    "one",
    "ones",
    "kind",
    "part",
    "trick",
    "try",
    "side",
    "hand",
    "hands",
    "item",
    "agenda",
    "plan",
    "proposal",
    "test",
    "choice",
    "record",
    "timer",
    "anything",
    "air",
    "middle",
    "top",
    "sentence",
    "sentences",
    "stuff",
    "start",
    "channel",
    "episode",
    "session",
    "case",
    "price",
    "train",
    "beginner",
    "beginners",
    "back",
    "hey",
    "works",
    "work",
}
_DROP_MODIFIERS = {
    "new",
    "old",
    "same",
    "other",
    "main",
    "whole",
    "few",
    "next",
    "last",
    "first",
    "regular",
    "common",
    "short",
    "own",
    "great",
    "good",
    "little",
    "big",
    "simple",
}
_GREETING = re.compile(
    r"^(hi|hello|hey|good (morning|afternoon|evening)|welcome|what's up|okay|right|so)\b", re.I
)


@dataclass(frozen=True)
class Kind:
    name: str
    noun: str  # how a headline names this kind of broadcast
    cues: frozenset[str]  # lemmas that point at it
    strong: frozenset[str] = frozenset()  # lemmas that name it outright


KINDS = (
    Kind(
        "recipe",
        "Recipe",
        frozenset(
            {
                "cook",
                "bake",
                "recipe",
                "oven",
                "flour",
                "simmer",
                "chop",
                "ingredient",
                "dough",
                "soup",
                "bread",
                "fry",
                "blend",
                "serve",
                "loaf",
                "starter",
                "salt",
                "garlic",
                "crust",
                "stir",
            }
        ),
        frozenset({"recipe", "cooking", "baking"}),
    ),
    Kind(
        "lesson",
        "Lesson",
        frozenset(
            {
                "lesson",
                "learn",
                "study",
                "teach",
                "student",
                "beginner",
                "verb",
                "grammar",
                "puzzle",
                "trap",
                "opening",
                "sentence",
            }
        ),
        frozenset({"lesson", "tutorial"}),
    ),
    Kind(
        "practice",
        "Practice",
        frozenset(
            {
                "practice",
                "practise",
                "metronome",
                "scale",
                "drill",
                "rehearse",
                "solo",
                "improvise",
                "chord",
                "note",
            }
        ),
        frozenset({"practice", "rehearsal"}),
    ),
    Kind(
        "meeting",
        "Meeting",
        frozenset(
            {
                "meeting",
                "council",
                "agenda",
                "vote",
                "motion",
                "committee",
                "resident",
                "proposal",
                "approve",
                "comment",
                "board",
            }
        ),
        frozenset({"meeting", "hearing"}),
    ),
    Kind(
        "review",
        "Review",
        frozenset(
            {
                "review",
                "test",
                "verdict",
                "price",
                "battery",
                "pro",
                "con",
                "worth",
                "brand",
                "cheap",
                "quality",
            }
        ),
        frozenset({"review"}),
    ),
    Kind(
        "q&a",
        "Q&A",
        frozenset({"question", "answer", "ask", "asks", "viewer"}),
        frozenset({"q&a", "questions and answers"}),
    ),
    Kind(
        "workout",
        "Workout",
        frozenset(
            {
                "workout",
                "yoga",
                "stretch",
                "breathe",
                "exercise",
                "warm",
                "pose",
                "rep",
                "cardio",
                "routine",
                "spine",
                "rest",
            }
        ),
        frozenset({"workout", "class", "routine"}),
    ),
    Kind(
        "playthrough",
        "Playthrough",
        frozenset(
            {"play", "game", "level", "speedrun", "checkpoint", "boss", "run", "jump", "reset", "skip"}
        ),
        frozenset({"speedrun", "playthrough"}),
    ),
)
_KIND_WORDS = {"question", "answer", "cooking", "baking", "review", "lesson", "practice", "meeting"}
_AUDIENCES = {"beginner", "kid", "child", "student", "everyone", "parent", "senior", "adult"}
_KIND_NOUNS = {
    "lesson",
    "practice",
    "meeting",
    "review",
    "class",
    "routine",
    "workout",
    "stream",
    "show",
    "session",
    "tutorial",
    "recipe",
    "speedrun",
    "playthrough",
    "q&a",
    "hearing",
}
_LIGHT_VERBS = {
    "be",
    "have",
    "go",
    "show",
    "need",
    "want",
    "let",
    "get",
    "do",
    "say",
    "grab",
    "feel",
    "miss",
    "try",
    "look",
    "see",
    "spoke",
    "speak",
    "worry",
    "like",
    "use",
    "start",
}
_HOW_TO = re.compile(r"\bhow to\s+(?P<rest>[^.,;:!?]{3,80})", re.I)
_STRONG_HOW_TO = re.compile(r"\b(show|teach|tell)\s+you\s+how to\b|\blearn how to\b|\bthis is how to\b", re.I)


@dataclass(frozen=True)
class Sentence:
    text: str
    evidence: tuple[int, ...]


@dataclass
class Candidate:
    title: str
    evidence: tuple[int, ...]
    score: float
    form: str  # how-to | kind | gerund | topic | include
    register: str = "neutral"  # neutral | formal | casual
    features: dict[str, Any] = field(default_factory=dict)


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


def title_case(phrase: str, language: str = "en") -> str:
    words = phrase.split()
    if not language.startswith("en"):
        return phrase[:1].upper() + phrase[1:]
    out = []
    for i, w in enumerate(words):
        if i and w.lower() in _SMALL_WORDS:
            out.append(w.lower())
        elif w.isupper() and len(w) > 1:
            out.append(w)
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def _jaccard(a: str, b: str) -> float:
    x, y = set(guardrails.words(a)), set(guardrails.words(b))
    return len(x & y) / len(x | y) if x | y else 1.0


@cache
def _extractor(language: str, n: int) -> Any:
    import yake

    return yake.KeywordExtractor(lan=language, n=n, top=30, dedup_lim=0.7)


def _nlp() -> Any:
    from services.genai.local_detector import spacy_model

    return spacy_model()


@dataclass
class Phrase:
    """A noun phrase of the transcript: its words as said, its content lemmas, where it is cited."""

    text: str
    lemmas: tuple[str, ...]
    evidence: tuple[int, ...]
    score: float = 0.0


@dataclass
class Reading:
    """What the writer understood of a transcript."""

    sentences: list[Sentence]
    kind: Kind | None
    kind_scores: dict[str, float]
    topics: list[Phrase]
    domain: Phrase | None
    how_to: list[tuple[str, tuple[int, ...]]]
    actions: list[tuple[str, str, tuple[int, ...]]]  # (verb lemma, object phrase, evidence)
    keyphrases: list[str]
    kind_word: str | None
    audience: str | None


def _chunk_text(chunk: Any, articles: bool = False) -> tuple[str, tuple[str, ...]]:
    """A noun chunk without determiners, pronouns and throwaway adjectives: 'the new wireless headphones'
    -> 'wireless headphones' ('the wireless headphones' with `articles`)."""
    article = ""
    if articles and len(chunk) and chunk[0].lower_ in ("a", "an", "the"):
        article = chunk[0].lower_
    tokens = [t for t in chunk if t.pos_ not in ("DET", "PRON") and t.dep_ not in ("poss", "predet")]
    while tokens and (
        (tokens[0].lower_ in _DROP_MODIFIERS and tokens[0].pos_ == "ADJ")
        or tokens[0].pos_ in ("NUM", "PUNCT", "CCONJ")
    ):
        tokens = tokens[1:]
    text = " ".join(t.text for t in tokens).replace(" 's", "'s").replace(" - ", "-")
    if article and tokens:
        article = ("an" if tokens[0].lower_[:1] in "aeiou" else "a") if article != "the" else "the"
        text = f"{article} {text}"
    lemmas = tuple(t.lemma_.lower() for t in tokens if t.pos_ in ("NOUN", "PROPN", "ADJ", "VERB", "NUM"))
    return text, lemmas


def _with_prep(token: Any, base: str) -> str:
    """`base` plus one prepositional phrase attached to the noun ('scale in A minor', 'chain on a road
    bike', 'routine for beginners'), kept only when short."""
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ in ("in", "on", "for", "of", "with", "from"):
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                phrase = " ".join(t.text for t in objects[0].subtree)
                content = re.sub(r"^(the|a|an)\s+", "", phrase, flags=re.I)
                if 1 <= len(content.split()) <= 4 and not re.search(r"\b(it|them|you|me|us)\b", phrase, re.I):
                    return f"{base} {child.lower_} {phrase}"
    return base


class ExtractiveTitleWriter:
    model_id = MODEL_ID

    def write(self, request: TitleRequest) -> TitleSet:
        segments = tuple(
            s.model_copy(update={"text": numbers.to_digits(s.text, request.language)})
            for s in guardrails.viewer_segments(request.segments)
        )
        sentences = [s for s in sentences_of(segments) if guardrails.fit_for_viewers(s.text)]
        if not sentences or sum(len(guardrails.words(s.text)) for s in sentences) < 3:
            raise EmptyTranscriptError("the transcript has too little speech to write titles from")
        language = request.language.split("-")[0].lower() or "en"
        reading = self.read(sentences, language)
        pool = self._compose(reading, language)
        wanted = directives.parse(request.feedback)
        pool += self._include(reading, wanted, pool, language)
        chosen = self._rank(pool, wanted, request)
        if len(chosen) < MIN_TITLES:
            raise GenerationError(f"only {len(chosen)} distinct titles are supported by the transcript")
        return TitleSet(
            candidates=tuple(Evidenced(text=c.title, evidence=c.evidence) for c in chosen[:TITLE_COUNT]),
            description=self._description(reading, language),
            tags=tuple(self._tags(reading)),
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )

    # ------------------------------------------------------------------ reading

    def read(self, sentences: Sequence[Sentence], language: str) -> Reading:
        text = "\n".join(s.text for s in sentences)
        extractor = _extractor(language, 3)
        stop = extractor.stopword_set
        keyphrases = [
            kp
            for kp, _ in extractor.extract_keywords(text)
            if kp.split()[0].lower() not in stop
            and kp.split()[-1].lower() not in stop
            and not kp.isdigit()
            and not (len(kp.split()) == 1 and kp.lower() in _GENERIC)
        ]
        if not language.startswith("en"):
            return self._read_plain(sentences, keyphrases)
        nlp = _nlp()
        docs = list(nlp.pipe([s.text for s in sentences]))
        lemma_counts: Counter[str] = Counter(
            t.lemma_.lower() for d in docs for t in d if t.pos_ in ("NOUN", "PROPN", "ADJ") and not t.is_stop
        )
        lowered = text.casefold()
        scores: dict[str, float] = {}
        kind: Kind | None
        for kind in KINDS:
            score = sum(lemma_counts.get(c, 0) + (1 if c in lowered.split() else 0) * 0 for c in kind.cues)
            score += sum(1 for d in docs for t in d if t.lemma_.lower() in kind.cues and t.pos_ == "VERB")
            score += sum(4 for s in kind.strong if re.search(rf"\b{re.escape(s)}\b", lowered))
            scores[kind.name] = float(score)
        how_to: list[tuple[str, tuple[int, ...]]] = []
        for sentence in sentences:
            for match in _HOW_TO.finditer(sentence.text):
                rest = match["rest"].strip()
                if re.search(r"\b(it|them|this|that)\s*$", rest, re.I) or len(rest.split()) < 2:
                    continue
                strong = bool(_STRONG_HOW_TO.search(sentence.text))
                how_to.append((rest, sentence.evidence))
                scores["how-to"] = scores.get("how-to", 0.0) + (8.0 if strong else 1.0)
        kind_name = max(scores, key=scores.__getitem__) if scores else None
        kind = next((k for k in KINDS if k.name == kind_name), None)
        if kind_name != "how-to" and (kind is None or scores[kind.name] < 3):
            kind = None
        if kind_name == "how-to":
            kind = Kind("how-to", "How-To", frozenset())

        phrases: dict[str, Phrase] = {}
        domain: Phrase | None = None
        audience: str | None = None
        kind_word = (
            next(
                (
                    w
                    for w in sorted(kind.strong, key=len, reverse=True)
                    if kind and re.search(rf"\b{re.escape(w)}\b", lowered)
                ),
                None,
            )
            if kind
            else None
        )
        actions: list[tuple[str, str, tuple[int, ...], float]] = []  # with the action's weight
        for sentence, doc, position in zip(sentences, docs, range(len(docs)), strict=True):
            intent = bool(
                re.search(
                    r"\b(today|tonight|this (stream|session|afternoon|morning|evening|review)"
                    r"|all about|we are|we're|i am going|i'm going|i will|i'll|welcome to)\b",
                    sentence.text,
                    re.I,
                )
            )
            for chunk in doc.noun_chunks:
                root = chunk.root.lemma_.lower()
                base, lemmas = _chunk_text(chunk)
                if not base or not lemmas or chunk.root.pos_ == "PRON":
                    continue
                if root in _KIND_NOUNS:
                    if root in ("stream", "show", "session"):
                        continue
                    modifiers = [
                        t
                        for t in chunk
                        if t.i < chunk.root.i
                        and t.pos_ in ("NOUN", "PROPN", "ADJ")
                        and t.lower_ not in _DROP_MODIFIERS
                        and t.lemma_.lower() not in _KIND_WORDS
                        and not t.like_num
                    ]
                    of = [
                        c
                        for p in chunk.root.children
                        if p.dep_ == "prep" and p.lower_ in ("of", "on")
                        for c in p.children
                        if c.dep_ == "pobj"
                    ]
                    if modifiers and domain is None:
                        words = " ".join(t.text for t in modifiers)
                        domain = Phrase(words, tuple(t.lemma_.lower() for t in modifiers), sentence.evidence)
                    elif of and domain is None:
                        words, lemmas = _chunk_text(next(c for c in doc.noun_chunks if c.root == of[0]))
                        if words:
                            domain = Phrase(words, lemmas, sentence.evidence)
                    for p in chunk.root.children:
                        if p.dep_ == "prep" and p.lower_ == "for" and audience is None:
                            objects = [c for c in p.children if c.dep_ == "pobj"]
                            if objects and objects[0].lemma_.lower() in _AUDIENCES:
                                audience = objects[0].text
                    continue
                if root in _GENERIC or all(lemma in _GENERIC for lemma in lemmas):
                    continue
                conj = [c for c in chunk.root.children if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN")]
                if conj and len(conj[0].text) > 2:
                    # "ser and estar", "basil and garlic": the pair is one topic
                    other = _chunk_text(next((c for c in doc.noun_chunks if c.root == conj[0]), conj[0:1]))
                    if other[0] and other[1][0] not in _GENERIC:
                        base, lemmas = f"{base} and {other[0]}", (*lemmas, *other[1])
                key = " ".join(lemmas)
                full = _with_prep(chunk.root, base) if not conj else base
                phrase = phrases.get(key) or Phrase(full, lemmas, ())
                phrase.evidence = tuple(dict.fromkeys((*phrase.evidence, *sentence.evidence)))[:5]
                weight = sum(lemma_counts.get(lemma, 0) for lemma in lemmas) / max(len(lemmas), 1)
                weight += 0.5 * len(lemmas)
                if chunk.root.dep_ in ("dobj", "pobj", "attr", "nsubjpass"):
                    weight += 1.0
                if intent and chunk.root.dep_ == "dobj":  # "tonight we study the Sicilian Defence"
                    weight += 2.5
                if intent:
                    weight += 3.0 / (1 + 0.3 * position)
                if any(
                    kp.casefold() in full.casefold() or full.casefold() in kp.casefold()
                    for kp in keyphrases[:8]
                ):
                    weight += 1.0
                phrase.score = max(phrase.score, weight)
                if len(full) > len(phrase.text) and len(full) <= 50:
                    phrase.text = full
                phrases[key] = phrase
            for token in doc:
                if token.pos_ == "VERB" and token.lemma_.lower() not in _LIGHT_VERBS:
                    objects = [c for c in token.children if c.dep_ in ("dobj", "attr")]
                    if objects and objects[0].pos_ not in ("PRON",):
                        chunk = next((c for c in doc.noun_chunks if c.root == objects[0]), None)
                        text = _chunk_text(chunk, articles=True)[0] if chunk is not None else ""
                        if text and objects[0].lemma_.lower() not in _GENERIC:
                            weight = (5.0 if intent else 0.0) - 0.3 * position
                            actions.append(
                                (
                                    token.lemma_.lower(),
                                    _with_prep(objects[0], text),
                                    sentence.evidence,
                                    weight,
                                )
                            )
        topics = sorted(phrases.values(), key=lambda p: -p.score)
        actions.sort(key=lambda a: -a[3])
        return Reading(
            list(sentences),
            kind,
            scores,
            topics,
            domain,
            how_to,
            [(v, o, e) for v, o, e, _ in actions],
            keyphrases,
            kind_word,
            audience,
        )

    def _read_plain(self, sentences: Sequence[Sentence], keyphrases: list[str]) -> Reading:
        """Other languages: YAKE keyphrases only (spaCy's English model would misread them)."""
        topics = []
        for kp in keyphrases[:10]:
            cited = _cite(kp, sentences)
            if cited:
                topics.append(Phrase(kp, tuple(kp.lower().split()), cited, 1.0))
        return Reading(list(sentences), None, {}, topics, None, [], [], keyphrases, None, None)

    # ------------------------------------------------------------------ composing

    def _compose(self, reading: Reading, language: str) -> list[Candidate]:
        pool: list[Candidate] = []
        kind = reading.kind
        topics = [t for t in reading.topics if not _GREETING.match(t.text)][:6]
        domain = reading.domain

        def add(
            title: str, evidence: tuple[int, ...], score: float, form: str, register: str = "neutral"
        ) -> None:
            title = re.sub(r"\s+", " ", title).strip(" -:\u2013\u2014\"'")
            if not evidence or not 8 <= len(title) <= TITLE_MAX_CHARS or len(title.split()) < 2:
                return
            if _GREETING.match(title) or not guardrails.fit_for_viewers(title):
                return
            pool.append(Candidate(title, evidence, score, form, register))

        for rank, (rest, evidence) in enumerate(reading.how_to):
            howto = title_case(rest, language)
            add(f"How to {howto}", evidence, 10.0 - rank, "how-to")
            first_clause = rest.split(" and ", 1)[0]
            for compact in dict.fromkeys((_compact(rest), first_clause, _compact(first_clause))):
                if compact != rest:
                    add(f"How to {title_case(compact, language)}", evidence, 9.0 - rank, "how-to")
            add(f"Let's {howto}!", evidence, 4.0 - rank, "how-to", "casual")
            gerund = _gerund(rest.split()[0])
            if gerund:
                clause = " ".join(first_clause.split()[1:])
                add(title_case(f"{gerund} {clause}", language), evidence, 5.0 - rank, "gerund")

        for rank, topic in enumerate(topics):
            name = title_case(topic.text, language)
            short = title_case(_chunk_head(topic.text), language)
            base = 6.0 - rank + min(topic.score, 6) / 3
            if kind is not None and kind.name not in ("how-to",):
                noun = title_case(reading.kind_word or kind.noun) if kind.name != "q&a" else "Q&A"
                if (
                    domain is not None
                    and not set(domain.lemmas) & set(topic.lemmas)
                    and kind.name not in ("q&a", "review", "recipe")
                ):
                    dom = title_case(domain.text, language)
                    both = tuple(dict.fromkeys(topic.evidence + domain.evidence))[:10]
                    add(f"{dom} {noun}: {name}", both, base + 3, "kind")
                    add(f"{dom} {noun}: {short}", both, base + 2.5, "kind")
                    add(f"{name} \u2013 {dom} {noun}", both, base, "kind", "formal")
                    if rank == 0:
                        add(f"{dom} {noun}", domain.evidence, base + 1, "kind")
                        if reading.audience:
                            add(
                                f"{dom} {noun} for {title_case(reading.audience)}",
                                domain.evidence,
                                base + 3.5,
                                "kind",
                            )
                elif kind.name == "q&a":
                    add(f"{short} Q&A: Your Questions Answered", topic.evidence, base + 3, "kind", "casual")
                    add(f"{short} Q&A", topic.evidence, base + 2.5, "kind")
                    add(f"Questions and Answers on {name}", topic.evidence, base + 1, "kind", "formal")
                elif kind.name == "review":
                    add(f"{short} Review", topic.evidence, base + 3, "kind")
                    add(f"{name} Review", topic.evidence, base + 2.6, "kind")
                    add(f"Review: {name}", topic.evidence, base + 1, "kind", "formal")
                elif kind.name == "recipe":
                    add(f"{short} Recipe", topic.evidence, base + 3, "kind")
                    add(f"How to Make {name}", topic.evidence, base + 2, "how-to")
                    add(f"{name}: A Recipe", topic.evidence, base + 0.5, "kind", "formal")
                else:
                    add(f"{short} {noun}", topic.evidence, base + 2.4, "kind")
                    add(f"{name} {noun}", topic.evidence, base + 2, "kind")
                    add(f"{noun}: {name}", topic.evidence, base + 1, "kind", "formal")
            add(name, topic.evidence, base - 1, "topic")

        for rank, (verb, obj, evidence) in enumerate(reading.actions[:6]):
            gerund = _gerund(verb)
            bonus = 4.0 if rank == 0 and kind is None else 0.0
            if gerund and obj.split()[0].lower() not in ("it", "them"):
                add(title_case(f"{gerund} {obj}", language), evidence, bonus + 4.0 - rank * 0.5, "gerund")
                if kind is None or kind.name == "recipe":
                    add(
                        f"How to {title_case(verb + ' ' + obj, language)}",
                        evidence,
                        bonus + 3.5 - rank * 0.5,
                        "how-to",
                    )
        if len(pool) < MIN_TITLES:
            for kp in reading.keyphrases[:10]:
                cited = _cite(kp, reading.sentences)
                add(title_case(kp, language), cited, 0.0, "topic")
        if len(pool) < MIN_TITLES:
            for sentence in reading.sentences:
                if not _GREETING.match(sentence.text):
                    add(
                        sentence.text.rstrip(".!?")[:TITLE_MAX_CHARS].rsplit(" ", 1)[0],
                        sentence.evidence,
                        -2.0,
                        "topic",
                    )
        return pool

    def _include(
        self, reading: Reading, wanted: directives.Directives, pool: list[Candidate], language: str
    ) -> list[Candidate]:
        """For "include WORD": the best titles with the phrase added, where the transcript says it."""
        extra: list[Candidate] = []
        best = sorted(pool, key=lambda c: -c.score)[:3]
        for phrase in wanted.include:
            cited = _cite(phrase, reading.sentences)
            if not cited:
                continue
            said = title_case(phrase, language)
            for candidate in best:
                if phrase.casefold() in candidate.title.casefold():
                    continue
                title = (
                    f"{candidate.title.split(':')[0]}: {said}"
                    if ":" in candidate.title
                    else (f"{candidate.title} with {said}")
                )
                if len(title) <= TITLE_MAX_CHARS:
                    extra.append(
                        Candidate(
                            title,
                            tuple(dict.fromkeys(candidate.evidence + cited))[:10],
                            candidate.score,
                            "include",
                            candidate.register,
                        )
                    )
        return extra

    # ------------------------------------------------------------------ ranking

    def _rank(
        self, pool: list[Candidate], wanted: directives.Directives, request: TitleRequest
    ) -> list[Candidate]:
        previous = list(request.previous_titles)
        reference = previous[0] if previous else None
        liked = previous[wanted.like - 1] if wanted.like and 0 < wanted.like <= len(previous) else None
        liked_form = next((c.form for c in pool if liked and c.title.casefold() == liked.casefold()), None)
        rejected = {t.casefold() for t in request.rejected_titles}
        reference_form = next(
            (c.form for c in pool if reference and c.title.casefold() == reference.casefold()), None
        )

        def score(c: Candidate) -> float:
            s = c.score
            n = len(c.title)
            if wanted.shorter:
                s += 8.0 if reference is None or n < len(reference) else -8.0
                s += 3.0 if c.form == reference_form else 0.0
            if wanted.longer:
                s += 8.0 if reference is None or n > len(reference) else -8.0
                s += 3.0 if c.form == reference_form else 0.0
            if wanted.formal:
                s += {"formal": 4.0, "neutral": 1.0, "casual": -5.0}[c.register]
            elif wanted.casual:
                s += {"casual": 7.0, "neutral": 0.5, "formal": -3.0}[c.register]
            elif c.register == "casual":
                s -= 3.0
            if wanted.how_to:
                s += 6.0 if c.title.lower().startswith("how to") else -1.0
            for phrase in wanted.include:
                s += 8.0 if phrase.casefold() in c.title.casefold() else 0.0
            if liked:
                s += 6.0 * _jaccard(c.title, liked) + (2.0 if c.form == liked_form else 0.0)
            return s

        chosen: list[Candidate] = []
        for candidate in sorted(pool, key=lambda c: (-score(c), len(c.title))):
            if candidate.title.casefold() in rejected or any(
                _jaccard(candidate.title, r) >= 0.8 for r in request.rejected_titles
            ):
                continue
            if any(
                _jaccard(candidate.title, c.title) >= 0.75 or candidate.title.casefold() == c.title.casefold()
                for c in chosen
            ):
                continue
            chosen.append(candidate)
            if len(chosen) >= TITLE_COUNT:
                break
        return chosen

    # ------------------------------------------------------------------ description and tags

    def _description(self, reading: Reading, language: str) -> Evidenced:
        topics = reading.topics
        kind = reading.kind
        main = topics[0] if topics else None
        if main is None:
            sentence = reading.sentences[0]
            return Evidenced(text=sentence.text[:300], evidence=sentence.evidence)
        kind_text = {
            None: "A live broadcast",
            "how-to": "A step-by-step guide",
            "recipe": "A cooking broadcast",
            "lesson": "A lesson",
            "practice": "A practice session",
            "meeting": "A public meeting",
            "review": "A review",
            "q&a": "A questions-and-answers session",
            "workout": "A guided workout",
            "playthrough": "A gaming broadcast",
        }[kind.name if kind else None]
        if kind and kind.name == "how-to" and reading.how_to:
            first = f"{kind_text} on how to {reading.how_to[0][0].rstrip('.')}."
        elif reading.domain is not None and kind is not None:
            first = f"{kind_text} in {reading.domain.text.lower()} on {main.text}."
        else:
            first = f"{kind_text} about {main.text}."
        covered: list[str] = []
        used = set(main.lemmas)
        for t in topics[1:10]:
            if len(t.text.split()) <= 3 and not set(t.lemmas) & used and len(covered) < 3:
                covered.append(t.text)
                used |= set(t.lemmas)
        evidence = main.evidence
        text = first[:1].upper() + first[1:]
        if covered:
            listed = ", ".join(covered[:-1]) + (" and " if len(covered) > 1 else "") + covered[-1]
            text += f" It covers {listed}."
            for t in topics[1:8]:
                if t.text in covered:
                    evidence = tuple(dict.fromkeys((*evidence, *t.evidence)))
        return Evidenced(text=text[:600], evidence=evidence[:10])

    def _tags(self, reading: Reading) -> list[Evidenced]:
        tags: list[Evidenced] = []
        seen: list[set[str]] = []
        candidates = [(_chunk_head(t.text), t.evidence) for t in reading.topics]
        if reading.domain is not None:
            candidates.insert(0, (reading.domain.text, reading.domain.evidence))
        chunks = {" ".join(t.text.casefold().split()) for t in reading.topics}
        candidates += [
            (kp, _cite(kp, reading.sentences))
            for kp in reading.keyphrases
            if kp.casefold() in chunks or not reading.topics
        ]
        for text, evidence in candidates:
            tag = " ".join(text.casefold().split())
            words = tag.split()
            if not evidence or not 1 <= len(words) <= 3 or len(tag) < 3 or tag in _GENERIC:
                continue
            if any(not w.isalpha() for w in words) or not guardrails.fit_for_viewers(tag):
                continue
            stems = {w.rstrip("s") for w in words}
            if any(stems & other for other in seen):
                continue
            seen.append(stems)
            tags.append(Evidenced(text=tag, evidence=evidence[:10]))
            if len(tags) >= TAG_LIMIT:
                break
        return tags


def _cite(phrase: str, sentences: Sequence[Sentence]) -> tuple[int, ...]:
    needle = phrase.casefold()
    cited: list[int] = []
    for sentence in sentences:
        if needle in sentence.text.casefold():
            cited += [i for i in sentence.evidence if i not in cited]
    return tuple(cited[:5])


_OWNED = re.compile(
    r"^(?P<verb>\w+) (?:the|a|an) (?P<thing>\w+(?: \w+)?) (?:on|of|for) (?:the|a|an|your|my) (?P<owner>.+)$",
    re.I,
)


def _compact(rest: str) -> str:
    """'replace the chain on a road bike' -> 'replace a road bike chain'; other phrases stay."""
    match = _OWNED.match(rest.strip())
    if not match or len(match["owner"].split()) > 3:
        return rest
    owner = match["owner"]
    article = "an" if owner[:1].lower() in "aeiou" else "a"
    return f"{match['verb']} {article} {owner} {match['thing']}"


def _chunk_head(text: str) -> str:
    """A phrase without its trailing prepositional phrase: 'chain on a road bike' -> 'chain'."""
    return re.split(r"\s+(?:in|on|for|of|with|from)\s+", text, maxsplit=1)[0]


def _gerund(verb: str) -> str:
    """'replace' -> 'Replacing' (lemminflect's inflection tables)."""
    from lemminflect import getInflection

    if not verb.isalpha() or verb.lower() in ("be", "have", "do"):
        return ""
    forms = getInflection(verb.lower(), "VBG")
    return forms[0].capitalize() if forms else ""
