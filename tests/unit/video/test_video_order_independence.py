"""Every fact about a video is applied whatever order it arrives in, and however often: each story's events,
delivered in every order (and with duplicates), end in the state in-order delivery reaches."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.video.changes import change_for
from services.video.domain import Catalog, Outcome
from services.video.models import Change
from shared.events import parse_event
from tests.unit.video.fakes import InMemoryVideoRepository
from tests.unit.video.support import (
    CHANNEL_ID,
    OWNER_ID,
    T0,
    VIDEO_ID,
    accepted_titles_fields,
    event,
    minutes,
)

OWNED = {"channel_id": CHANNEL_ID, "owner_id": OWNER_ID}  # Lifecycle.Completed carries them since v1.1


def _at(n: int) -> Any:
    return T0 + minutes(n)


def _redriven_titles_run() -> dict[str, Any]:
    """Round 1 again, from a redriven titles run whose completion the lifecycle rejected as late."""
    raw = event("Titles.Generated", event_id="titles-redriven", at=_at(30), description="Redriven")
    raw["detail"]["candidates"] = [{"candidate_id": "x1", "title": "A run nobody accepted", "evidence": []}]
    return raw


def _stories() -> dict[str, list[dict[str, Any]]]:
    """Consistent sets of facts about one video, in the order they happen."""
    start = event("Broadcast.Started", event_id="started", at=_at(0))
    ended = event("Recording.Ended", event_id="ended", at=_at(10))
    processed = event("Video.Processed", event_id="processed", at=_at(12))
    titles = event("Titles.Generated", event_id="titles-1", at=_at(14))
    second = event(
        "Titles.Generated", event_id="titles-2", at=_at(40), round=2, description="Two", tags=["2"]
    )
    second["detail"]["candidates"] = [{"candidate_id": "r2", "title": "Round two", "evidence": []}]
    selected = event("Title.Selected", event_id="selected", at=_at(41))
    fields = accepted_titles_fields()
    valid = event("Lifecycle.Completed", event_id="verdict", at=_at(15), video_fields=fields, **OWNED)
    valid_no_owner = event("Lifecycle.Completed", event_id="verdict", at=_at(15), video_fields=fields)
    invalid = event(
        "Lifecycle.Completed", event_id="verdict", at=_at(15), verdict="invalid", reason="too short"
    )
    failed = event("Lifecycle.Completed", event_id="verdict", at=_at(15), verdict="failed", reason="deadline")
    timed_out = event("Lifecycle.Completed", event_id="verdict", at=_at(15), **OWNED)
    timed_out["detail"]["results"] = [
        {
            "plugin": "titles",
            "hook": "postMetadata",
            "status": "timed_out",
            "reason": "late",
            "duration_ms": 1,
        }
    ]
    return {
        "published": [start, ended, processed, titles, valid],
        "published, verdict without owner": [start, ended, processed, titles, valid_no_owner],
        "published, then new rounds and a pick": [start, ended, processed, titles, valid, second, selected],
        "published, a redriven titles run ignored": [
            start,
            ended,
            processed,
            titles,
            valid,
            _redriven_titles_run(),
        ],
        "published, known only from later facts": [processed, titles, valid],
        "published, known only from the verdict": [valid],
        "titles timed out": [start, ended, processed, titles, timed_out],
        "invalid": [start, ended, processed, invalid],
        "lifecycle failed": [start, ended, processed, failed],
        "processing failed": [
            start,
            ended,
            event("Video.ProcessingFailed", event_id="pp-failed", at=_at(11)),
        ],
        "recording failed": [
            start,
            event("Recording.Failed", event_id="rec-failed", at=_at(5), video_id=VIDEO_ID),
        ],
    }


STORIES = _stories()


def _change(raw: dict[str, Any]) -> Change:
    change = change_for(parse_event(raw))
    assert change is not None
    return change


def _deliver(events: list[dict[str, Any]]) -> InMemoryVideoRepository:
    repository = InMemoryVideoRepository()
    catalog = Catalog(repository)
    for index, raw in enumerate(events):
        catalog.apply(_change(raw), T0 + minutes(100 + index))
    return repository


def _state(repository: InMemoryVideoRepository) -> dict[str, Any]:
    """Everything the facts decide about the video (not when the catalog happened to learn them)."""
    video = repository.get(VIDEO_ID)
    assert video is not None, "every story names the owner somewhere: the video exists"
    facts = video.model_dump(exclude={"updated_at", "status_since", "deadline_at", "published_at", "version"})
    published = repository.outbox_types().count("Video.Published")
    return {**facts, "announced_published": published, "kept": repository.parked(VIDEO_ID)}


IN_ORDER = {name: _state(_deliver(events)) for name, events in STORIES.items()}


def test_given_each_story_in_order_then_it_ends_where_its_facts_say() -> None:
    terminal = {name: (state["status"], state["announced_published"]) for name, state in IN_ORDER.items()}
    assert terminal == {
        "published": ("published", 1),
        "published, verdict without owner": ("published", 1),
        "published, then new rounds and a pick": ("published", 1),
        "published, a redriven titles run ignored": ("published", 1),
        "published, known only from later facts": ("published", 1),
        "published, known only from the verdict": ("processing", 0),  # waits for its media, with a deadline
        "titles timed out": ("published", 1),
        "invalid": ("invalid", 0),
        "lifecycle failed": ("failed", 0),
        "processing failed": ("failed", 0),
        "recording failed": ("failed", 0),
    }
    published = IN_ORDER["published"]
    assert published["titles"]["rounds"][0]["candidates"][0]["candidate_id"] == "t1"
    assert published["media"] is not None and published["kept"] == []
    ignored = IN_ORDER["published, a redriven titles run ignored"]
    assert ignored["titles"] == published["titles"] and ignored["fields"] == published["fields"]
    assert IN_ORDER["titles timed out"]["titles"] is None  # the round of a run the lifecycle did not accept
    assert IN_ORDER["published, then new rounds and a pick"]["fields"]["description"] == "Two"


@pytest.mark.parametrize("name", ["published", "published, verdict without owner", "invalid"])
def test_given_every_permutation_of_a_story_then_each_ends_as_in_order_delivery(name: str) -> None:
    for order in itertools.permutations(STORIES[name]):
        assert _state(_deliver(list(order))) == IN_ORDER[name], [e["id"] for e in order]


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(STORIES)),
    duplicates=st.lists(st.integers(min_value=0, max_value=20), max_size=6),
    seed=st.randoms(use_true_random=False),
)
def test_given_a_story_shuffled_with_duplicates_then_it_ends_as_in_order_delivery(
    name: str, duplicates: list[int], seed: random.Random
) -> None:
    events = STORIES[name]
    delivered = [*events, *(events[i % len(events)] for i in duplicates)]
    seed.shuffle(delivered)
    assert _state(_deliver(delivered)) == IN_ORDER[name]


def test_given_a_verdict_before_its_media_then_it_is_kept_and_applied_when_the_media_lands() -> None:
    repository = InMemoryVideoRepository()
    catalog = Catalog(repository)
    stories = STORIES["published"]
    outcomes = [catalog.apply(_change(raw), T0) for raw in (stories[0], stories[4])]
    assert outcomes == [Outcome.CREATED, Outcome.PARKED]
    video = repository.get(VIDEO_ID)
    assert video is not None and video.status == "recording" and len(repository.parked(VIDEO_ID)) == 1
    for raw in stories[1:3]:
        catalog.apply(_change(raw), T0)
    video = repository.get(VIDEO_ID)
    assert video is not None and video.status == "published" and repository.parked(VIDEO_ID) == []
    verdict = [e for e in repository.history(VIDEO_ID) if e.type == "Lifecycle.Completed" and e.part is None]
    assert [(e.from_status, e.to_status, e.applied) for e in verdict] == [("enriching", "published", True)]


def test_given_only_the_verdict_then_the_video_has_a_deadline_and_the_sweeper_ends_it() -> None:
    repository = InMemoryVideoRepository()
    catalog = Catalog(repository)
    catalog.apply(_change(STORIES["published, known only from the verdict"][0]), T0)
    video = repository.get(VIDEO_ID)
    assert video is not None and video.deadline_at == T0 + catalog.deadlines.processing
    assert catalog.sweep(T0 + catalog.deadlines.processing + minutes(1)) == [VIDEO_ID]
    video = repository.get(VIDEO_ID)
    assert video is not None and (video.status, video.reason) == ("failed", "deadline exceeded in processing")
    assert repository.parked(VIDEO_ID) == []  # the kept verdict is now late: recorded, not forgotten
    late = [e for e in repository.history(VIDEO_ID) if e.type == "Lifecycle.Completed" and e.part is None]
    # One entry for the creation it caused, one for the verdict itself, which came too late to apply.
    assert {(e.to_status, e.applied) for e in late} == {("processing", True), ("published", False)}
