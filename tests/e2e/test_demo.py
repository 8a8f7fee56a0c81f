"""The demo broadcast end to end (`svideo demo`'s own code, a shorter clip) on a fresh local cloud: the video
is published with a transcript of what was said, title candidates and captions, and the stream key shows up
in no output, event or log."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import control
from cli.demo import DemoError, DemoOptions, DemoResult, Narrator, run_demo

# The demo itself allows 150 s after a 14 s push; starting the cloud and deploying every stack comes first.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TOPIC_WORDS = {"volcano", "volcanoes", "lava", "eruption", "erupts"}
# The order of the video's life: the first stage missing says how far the platform got.
STAGES = ("Broadcast.Started", "Recording.Ended", "Video.Processed", "Lifecycle.Completed", "Video.Published")


@dataclass
class DemoRun:
    state: Path
    output: list[str]
    result: DemoResult | None
    error: str | None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    state = tmp_path_factory.mktemp("svideo-demo")
    output: list[str] = []
    options = DemoOptions(
        state_dir=state,
        port=0,
        clip_seconds=14,
        timeout_seconds=150,
    )
    result: DemoResult | None = None
    error: str | None = None
    try:
        result = run_demo(options, Narrator(output.append))
    except DemoError as exc:
        error = str(exc)
    try:
        yield DemoRun(state, output, result, error)
    finally:
        control.stop(state)


def _result(run: DemoRun) -> DemoResult:
    assert run.result is not None, f"the demo failed before it had a channel: {run.error}"
    return run.result


def _stream_key(run: DemoRun) -> str:
    if run.result is not None:
        return run.result.stream_key
    # The demo stopped after creating the channel: the key is the one the ingest accepted; none is known.
    pytest.fail(f"the demo failed before it created a channel: {run.error}\n" + "\n".join(run.output))


def test_given_the_demo_ran_when_its_output_events_and_logs_are_searched_then_the_stream_key_is_nowhere(
    demo: DemoRun,
) -> None:
    key = _stream_key(demo)
    assert key.startswith("sk_")
    assert key not in "\n".join(demo.output)
    assert "_****" in "\n".join(demo.output)  # the masked form is what the broadcaster sees
    # Every log the cloud writes: its own, each function's, the ingest's (nginx), and the event journal.
    searched = [path for path in demo.state.rglob("*.log") if "cdk.out" not in path.parts]
    searched.append(demo.state / "events.jsonl")
    assert demo.state / "cloud.log" in searched and (demo.state / "events.jsonl").is_file()
    assert any(path.parent.name == "logs" for path in searched)  # function logs were written
    leaks = [str(path) for path in searched if path.is_file() and key in path.read_text(errors="replace")]
    assert leaks == []


def test_given_the_demo_broadcast_when_it_ends_then_the_video_is_published_with_transcript_titles_captions(
    demo: DemoRun,
) -> None:
    result = _result(demo)
    seen = {event.get("detail-type") for event in result.events}
    missing = [stage for stage in STAGES if stage not in seen]
    story = "\n".join(demo.output)
    assert not missing, f"the platform stopped before {missing[0]} ({demo.error}):\n{story}"
    assert result.status == "published", story
    assert result.video is not None and result.video["status"] == "published"

    words = set(re.findall(r"[a-z]+", (result.transcript or "").lower()))
    assert words & TOPIC_WORDS, f"the transcript names none of {sorted(TOPIC_WORDS)}: {result.transcript!r}"
    candidates = result.video["fields"].get("title_candidates") or []
    assert len(candidates) >= 3, result.video["fields"]
    assert result.captions is not None and result.captions.startswith("WEBVTT")
    assert "-->" in result.captions
    assert result.video["media"]["mp4_url"]


def test_given_the_demo_when_it_prints_the_timeline_then_each_event_has_time_source_type_and_summary(
    demo: DemoRun,
) -> None:
    result = _result(demo)
    timeline = [line for line in demo.output if re.match(r"^  \d\d:\d\d:\d\d \+ *\d+\.\ds  ", line)]
    assert len(timeline) == len(result.events) > 0
    assert any("Broadcast.Started" in line and result.channel_id in line for line in timeline)
    assert json.dumps(result.events[0])  # events are kept as received, for callers that check them
    assert os.environ.get("AWS_ENDPOINT_URL") is None  # the demo passes its endpoint explicitly
