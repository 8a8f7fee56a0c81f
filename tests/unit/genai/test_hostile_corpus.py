"""Every hostile transcript gives a valid output or a clean GenerationError, for every offline adapter and for
the Bedrock writer answering with the model's worst habits."""

import json

import pytest

from services.genai import config, tasks
from services.genai.errors import GenerationError
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.local_painter import ProceduralAvatarPainter
from services.genai.memory_store import MemoryArtefactStore
from services.genai.models import TitleRequest
from services.genai.output_guard import GENERIC_DESCRIPTION, GENERIC_TITLES, OutputGuard
from tests.genai_corpus import load_corpus, load_forbidden, segments_from_text, unsafe_texts

CORPUS = load_corpus()
FORBIDDEN_BY_NAME = load_forbidden()
FORBIDDEN = ("ignore", "system prompt", "pirate", "hacked", "pwned", "\x1b", "\u202e", "</transcript")


@pytest.fixture(scope="module")
def guard() -> OutputGuard:
    return config.build_output_guard(config.GenAiSettings())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_given_a_hostile_transcript_when_titles_are_published_then_nothing_unsafe_is_public(
    name: str, guard: OutputGuard
) -> None:
    segments = segments_from_text(CORPUS[name])
    store = MemoryArtefactStore()
    try:
        output = tasks.write_titles(
            TitleRequest(video_id="v1", segments=segments), ExtractiveTitleWriter(), store, 3, guard
        )
    except GenerationError:
        assert name in {"empty", "whitespace", "filler"}
        return
    texts = [c["title"] for c in output["candidates"]] + [output["description"], *output["tags"]]
    assert len(output["candidates"]) >= 3
    assert not [t for t in texts if any(f in t.lower() for f in FORBIDDEN)], texts
    assert not unsafe_texts(texts, FORBIDDEN_BY_NAME[name]), texts
    verdicts = json.loads(store.get(output["output_key"]))["verdicts"]
    assert {v["text"] for v in verdicts if v["allowed"]} >= set(texts) - set(GENERIC_TITLES) - {
        GENERIC_DESCRIPTION
    }


@pytest.mark.parametrize(
    "name",
    ["urls", "email_phone", "spoken_contacts", "personal_data", "profanity", "role_play"],
)
def test_given_personal_data_or_profanity_then_the_guard_refuses_it_and_records_why(
    name: str, guard: OutputGuard
) -> None:
    store = MemoryArtefactStore()
    output = tasks.write_titles(
        TitleRequest(video_id="v1", segments=segments_from_text(CORPUS[name])),
        ExtractiveTitleWriter(),
        store,
        3,
        guard,
    )
    refused = [v for v in json.loads(store.get(output["output_key"]))["verdicts"] if not v["allowed"]]
    assert refused and all(v["reasons"] for v in refused)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_given_a_hostile_transcript_when_avatars_are_described_then_valid_or_clean_failure(name: str) -> None:
    painter = ProceduralAvatarPainter()
    try:
        sheet = painter.describe("v1", segments_from_text(CORPUS[name]))
    except GenerationError:
        assert name in {"empty", "whitespace", "filler"}
        return
    assert 1 <= len(sheet.characters) <= 3
    for character in sheet.characters:
        assert not any(f in character.name.lower() for f in FORBIDDEN)
    assert painter.paint("v1", sheet.characters[0]).png.startswith(b"\x89PNG")


def test_given_the_non_english_transcript_when_written_then_titles_stay_in_its_language() -> None:
    request = TitleRequest(video_id="v1", segments=segments_from_text(CORPUS["non_english"]), language="fr")
    titles = " ".join(c.text.lower() for c in ExtractiveTitleWriter().write(request).candidates)
    assert {"tarte", "pommes", "pâte", "cuisine"} & set(titles.split()), titles
