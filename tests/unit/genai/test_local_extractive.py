import pytest

from services.genai import directives
from services.genai.errors import EmptyTranscriptError
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.models import TitleRequest, TitleSet
from tests.genai_corpus import segments_from_text
from tests.ground_truth import load_ground_truth

REFERENCES = {r.id: r for r in load_ground_truth()}


def _jaccard(a: str, b: str) -> float:
    x, y = set(a.lower().split()), set(b.lower().split())
    return len(x & y) / len(x | y)


GREETINGS = ("hello", "hi ", "good morning", "good evening", "welcome", "hey", "what's up")


@pytest.fixture(scope="module")
def writer() -> ExtractiveTitleWriter:
    return ExtractiveTitleWriter()


def _write(writer: ExtractiveTitleWriter, reference_id: str, **request: object) -> TitleSet:
    segments = segments_from_text(REFERENCES[reference_id].text)
    return writer.write(TitleRequest(video_id="v1", segments=segments, **request))  # type: ignore[arg-type]


@pytest.mark.parametrize("reference_id", sorted(REFERENCES))
def test_given_a_ground_truth_transcript_when_written_then_headlines_name_topic_and_cite_their_lines(
    writer: ExtractiveTitleWriter, reference_id: str
) -> None:
    reference = REFERENCES[reference_id]
    segments = segments_from_text(reference.text)
    result = writer.write(TitleRequest(video_id="v1", segments=segments))
    titles = [c.text for c in result.candidates]
    assert 3 <= len(titles) <= 5 and len({t.lower() for t in titles}) == len(titles)
    assert reference.names_topic(titles[0]), titles
    assert not [t for t in titles if t.lower().startswith(GREETINGS)], titles
    assert result.generation.prompt_version == "extractive/v2"
    for item in (*result.candidates, *result.tags):
        cited = " ".join(segments[i].text.lower() for i in item.evidence)
        assert any(w in cited for w in item.text.lower().split() if len(w) >= 3), item


@pytest.mark.parametrize("reference_id", ["bicycle", "chain", "pottery"])
def test_given_a_how_to_broadcast_when_written_then_the_first_title_is_how_to(
    writer: ExtractiveTitleWriter, reference_id: str
) -> None:
    assert _write(writer, reference_id).candidates[0].text.startswith("How to ")


def test_given_a_stream_with_a_greeting_then_the_greeting_is_no_title_and_the_topic_leads(
    writer: ExtractiveTitleWriter,
) -> None:
    titles = [c.text for c in _write(writer, "sourdough").candidates]
    assert titles[0] == "Sourdough Bread Recipe", titles


def test_given_a_description_then_it_summarises_instead_of_quoting(writer: ExtractiveTitleWriter) -> None:
    reference = REFERENCES["chess"]
    description = _write(writer, "chess").description.text
    sentences = [s.strip(" .") for s in reference.text.split(".") if s.strip()]
    assert 1 <= description.count(".") <= 3
    assert not any(s.lower() in description.lower() for s in sentences), description
    assert "sicilian" in description.lower()


def test_given_tags_then_they_are_distinct_lower_case_noun_phrases(writer: ExtractiveTitleWriter) -> None:
    tags = [t.text for t in _write(writer, "garden").tags]
    assert tags and len(tags) == len(set(tags)) <= 10
    assert all(t == t.lower() and 1 <= len(t.split()) <= 3 for t in tags)
    assert "raised garden bed" in tags and not {"hello", "welcome", "stream", "today"} & set(tags)


def test_given_shorter_feedback_then_the_first_title_is_shorter_and_keeps_its_form(
    writer: ExtractiveTitleWriter,
) -> None:
    first = [c.text for c in _write(writer, "chain").candidates]
    second = _write(writer, "chain", round=2, feedback="Shorter please", previous_titles=tuple(first))
    assert len(second.candidates[0].text) < len(first[0])
    assert second.candidates[0].text.startswith("How to "), second.candidates[0].text


def test_given_longer_feedback_then_the_first_title_is_longer(writer: ExtractiveTitleWriter) -> None:
    first = [c.text for c in _write(writer, "guitar").candidates]
    second = _write(writer, "guitar", round=2, feedback="make it longer", previous_titles=tuple(first))
    assert len(second.candidates[0].text) > len(first[0])


def test_given_include_word_feedback_then_the_first_title_says_it(writer: ExtractiveTitleWriter) -> None:
    first = [c.text for c in _write(writer, "cooking").candidates]
    second = _write(writer, "cooking", round=2, feedback="include garlic", previous_titles=tuple(first))
    assert "garlic" in second.candidates[0].text.lower()
    assert "garlic" not in first[0].lower()


def test_given_more_formal_feedback_then_casual_forms_give_way(writer: ExtractiveTitleWriter) -> None:
    casual = _write(writer, "bicycle", round=2, feedback="more casual and fun", previous_titles=())
    formal = _write(writer, "bicycle", round=2, feedback="more formal", previous_titles=())
    assert casual.candidates[0].text.startswith("Let's")
    assert not formal.candidates[0].text.startswith("Let's") and "!" not in formal.candidates[0].text


def test_given_like_candidate_feedback_then_the_next_first_title_resembles_it(
    writer: ExtractiveTitleWriter,
) -> None:
    first = [c.text for c in _write(writer, "chess").candidates]
    second = _write(
        writer, "chess", round=2, feedback=f"like candidate {len(first)}", previous_titles=tuple(first)
    )
    liked, lead = first[-1], second.candidates[0].text
    assert lead != first[0]
    assert lead == liked or _jaccard(lead, liked) > _jaccard(first[0], liked), (first, lead)


def test_given_feedback_that_rejects_nothing_then_earlier_candidates_stay_eligible(
    writer: ExtractiveTitleWriter,
) -> None:
    first = [c.text for c in _write(writer, "pottery").candidates]
    rejected = directives.rejected_by("not 1, make it shorter", first)
    second = _write(
        writer,
        "pottery",
        round=2,
        feedback="not 1, make it shorter",
        previous_titles=tuple(first),
        rejected_titles=tuple(rejected),
    )
    titles = [c.text for c in second.candidates]
    assert rejected == [first[0]] and first[0] not in titles
    assert set(titles) & set(first[1:])


def test_given_the_same_request_when_written_twice_then_the_output_is_the_same(
    writer: ExtractiveTitleWriter,
) -> None:
    request = TitleRequest(video_id="v1", segments=segments_from_text(REFERENCES["bicycle"].text))
    assert writer.write(request) == writer.write(request)


def test_given_two_words_when_written_then_it_fails_cleanly(writer: ExtractiveTitleWriter) -> None:
    with pytest.raises(EmptyTranscriptError):
        writer.write(TitleRequest(video_id="v1", segments=segments_from_text("Hi there")))
