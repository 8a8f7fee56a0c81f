from services.genai.models import Segment
from services.genai.vtt import timestamp, to_webvtt


def test_given_milliseconds_when_formatted_then_webvtt_timestamps() -> None:
    assert timestamp(3_723_004) == "01:02:03.004"


def test_given_segments_when_rendered_then_cues_are_numbered_and_safe() -> None:
    vtt = to_webvtt(
        [
            Segment(index=0, start_ms=0, end_ms=1500, text="Hello --> there"),
            Segment(index=1, start_ms=1500, end_ms=1500, text="line\n\nbreak"),
            Segment(index=2, start_ms=2000, end_ms=2500, text="   "),
        ]
    )
    assert vtt.splitlines() == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:01.500",
        "Hello \u2192 there",
        "",
        "2",
        "00:00:01.500 --> 00:00:01.501",
        "line break",
    ]
