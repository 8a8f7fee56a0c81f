"""WebVTT captions from timed segments."""

from __future__ import annotations

from collections.abc import Iterable

from services.genai.models import Segment


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def to_webvtt(segments: Iterable[Segment]) -> str:
    cues = ["WEBVTT", ""]
    for segment in segments:
        # "-->" inside a cue would end the timing line; a blank line would end the cue.
        text = " ".join(segment.text.replace("-->", "→").split())
        if not text:
            continue
        end = max(segment.end_ms, segment.start_ms + 1)
        cues += [str(segment.index + 1), f"{timestamp(segment.start_ms)} --> {timestamp(end)}", text, ""]
    return "\n".join(cues)
