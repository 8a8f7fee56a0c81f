"""Every hostile transcript gives a valid output or a clean GenerationError, for every offline adapter and for
the Bedrock writer answering with the model's worst habits."""

import pytest

from services.genai.errors import GenerationError
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.local_painter import ProceduralAvatarPainter
from services.genai.models import TitleRequest
from tests.genai_corpus import load_corpus, segments_from_text

CORPUS = load_corpus()
FORBIDDEN = ("ignore", "system prompt", "pirate", "hacked", "pwned", "\x1b", "\u202e", "</transcript")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_given_a_hostile_transcript_when_titles_are_written_then_valid_or_clean_failure(name: str) -> None:
    request = TitleRequest(video_id="v1", segments=segments_from_text(CORPUS[name]), language="en")
    try:
        result = ExtractiveTitleWriter().write(request)
    except GenerationError:
        assert name in {"empty", "whitespace"}
        return
    texts = [c.text for c in result.candidates] + [result.description.text] + [t.text for t in result.tags]
    assert len(result.candidates) >= 3
    assert not [t for t in texts if any(f in t.lower() for f in FORBIDDEN)], texts
    assert len(result.description.text) <= 2000


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_given_a_hostile_transcript_when_avatars_are_described_then_valid_or_clean_failure(name: str) -> None:
    painter = ProceduralAvatarPainter()
    try:
        sheet = painter.describe("v1", segments_from_text(CORPUS[name]))
    except GenerationError:
        assert name in {"empty", "whitespace"}
        return
    assert 1 <= len(sheet.characters) <= 3
    for character in sheet.characters:
        assert not any(f in character.name.lower() for f in FORBIDDEN)
    assert painter.paint("v1", sheet.characters[0]).png.startswith(b"\x89PNG")


def test_given_the_non_english_transcript_when_written_then_titles_stay_in_its_language() -> None:
    request = TitleRequest(video_id="v1", segments=segments_from_text(CORPUS["non_english"]), language="fr")
    titles = " ".join(c.text.lower() for c in ExtractiveTitleWriter().write(request).candidates)
    assert "tarte" in titles or "pommes" in titles
