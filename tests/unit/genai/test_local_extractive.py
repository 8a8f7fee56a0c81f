import pytest

from services.genai.errors import EmptyTranscriptError
from services.genai.local_extractive import ExtractiveTitleWriter
from services.genai.models import TitleRequest
from tests.genai_corpus import segments_from_text
from tests.ground_truth import keyword_recall, load_ground_truth

REFERENCES = {r.id: r for r in load_ground_truth()}


@pytest.fixture(scope="module")
def writer() -> ExtractiveTitleWriter:
    return ExtractiveTitleWriter()


@pytest.mark.parametrize("reference_id", sorted(REFERENCES))
def test_given_a_ground_truth_transcript_when_written_then_three_titles_name_the_topic(
    writer: ExtractiveTitleWriter, reference_id: str
) -> None:
    reference = REFERENCES[reference_id]
    segments = segments_from_text(reference.text)
    result = writer.write(TitleRequest(video_id="v1", segments=segments))
    titles = [c.text for c in result.candidates]
    assert len(titles) == 3
    topic_words = reference.topic.split()
    assert any(all(w in t.lower() for w in topic_words[-2:]) for t in titles), titles
    assert (
        keyword_recall(reference.keywords, [*titles, result.description.text, *(t.text for t in result.tags)])
        >= 0.6
    )
    assert result.generation.prompt_version == "extractive/v1"
    for item in (*result.candidates, result.description, *result.tags):
        cited = " ".join(segments[i].text.lower() for i in item.evidence)
        assert any(w in cited for w in item.text.lower().split() if len(w) >= 3), item


def test_given_tags_then_they_are_distinct_lower_case_and_bounded(writer: ExtractiveTitleWriter) -> None:
    result = writer.write(TitleRequest(video_id="v1", segments=segments_from_text(REFERENCES["garden"].text)))
    tags = [t.text for t in result.tags]
    assert tags and len(tags) == len(set(tags)) <= 10
    assert all(t == t.lower() for t in tags)


def test_given_feedback_when_regenerated_then_rejected_titles_are_gone_and_feedback_words_lead(
    writer: ExtractiveTitleWriter,
) -> None:
    segments = segments_from_text(REFERENCES["cooking"].text)
    first = writer.write(TitleRequest(video_id="v1", segments=segments))
    rejected = tuple(c.text for c in first.candidates)
    second = writer.write(
        TitleRequest(
            video_id="v1", segments=segments, round=2, feedback="mention the onions", rejected_titles=rejected
        )
    )
    titles = [c.text for c in second.candidates]
    assert not set(titles) & set(rejected)
    assert "onions" in titles[0].lower()


def test_given_the_same_request_when_written_twice_then_the_output_is_the_same(
    writer: ExtractiveTitleWriter,
) -> None:
    request = TitleRequest(video_id="v1", segments=segments_from_text(REFERENCES["bicycle"].text))
    assert writer.write(request) == writer.write(request)


def test_given_two_words_when_written_then_it_fails_cleanly(writer: ExtractiveTitleWriter) -> None:
    with pytest.raises(EmptyTranscriptError):
        writer.write(TitleRequest(video_id="v1", segments=segments_from_text("Hi there")))
