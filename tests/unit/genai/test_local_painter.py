import io

from PIL import Image

from services.genai.local_painter import ProceduralAvatarPainter, paint_png
from tests.genai_corpus import segments_from_text
from tests.ground_truth import load_ground_truth


def test_given_the_same_video_and_text_when_painted_twice_then_the_png_is_identical() -> None:
    assert paint_png("v1", "Tomato Soup", "d") == paint_png("v1", "Tomato Soup", "d")


def test_given_another_video_when_painted_then_the_png_differs() -> None:
    assert paint_png("v1", "Tomato Soup", "d") != paint_png("v2", "Tomato Soup", "d")


def test_given_a_painting_then_it_is_a_512_square_png() -> None:
    image = Image.open(io.BytesIO(paint_png("v1", "Raised Garden Bed", "d")))
    assert (image.format, image.size) == ("PNG", (512, 512))


def test_given_a_transcript_when_described_then_characters_come_from_distinct_keyphrases_with_evidence() -> (
    None
):
    garden = next(r for r in load_ground_truth() if r.id == "garden")
    segments = segments_from_text(garden.text)
    sheet = ProceduralAvatarPainter().describe("v1", segments)
    names = [c.name.lower() for c in sheet.characters]
    assert len(names) == len(set(names)) >= 2
    for character in sheet.characters:
        assert character.name.lower().split()[0] in " ".join(
            segments[i].text.lower() for i in character.evidence
        )
    assert sheet.generation.model_id == "procedural-pillow-1"
