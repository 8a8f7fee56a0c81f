"""The title feedback loop's domain and its regeneration handler: owner-only choices, bounded rounds, replays
that change nothing, and a new round written from the stored transcript with the feedback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.titles import handler as titles
from services.genai import runtime
from services.genai.handlers import regenerate
from shared.auth import ForbiddenError, Principal
from shared.errors import BadRequestError, ConflictError, NotFoundError
from shared.events.base import Meta
from shared.events.generative import TitlesGenerated
from shared.events.video import TitleSelected, TitlesRegenerateRequested
from tests.unit.genai.fakes import OWNER, VIDEO, World, invocation_event, transcript_inputs

OWNER_CALLER = Principal(sub=OWNER, groups=frozenset({"broadcaster"}))
OTHER = Principal(sub="sub-other", groups=frozenset({"broadcaster"}))
ADMIN = Principal(sub="sub-admin", groups=frozenset({"admin"}))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = World(monkeypatch, max_rounds=2)
    titles.handler(invocation_event("titles", transcript_inputs()), None)
    world.publisher.clear()
    yield world
    runtime.use(None)


def _deliver(request: TitlesRegenerateRequested) -> None:
    envelope = {
        "version": "0", "id": "e-1", "detail-type": request.detail_type, "source": request.source,
        "account": "123456789012", "time": "2026-11-22T15:00:00Z", "region": "us-east-1", "resources": [],
        "detail": json.loads(request.model_dump_json(by_alias=True)),
    }  # fmt: skip
    result = regenerate.handler({"Records": [_sqs(envelope)]}, _Context())
    assert result == {"batchItemFailures": []}


def _sqs(body: dict[str, object]) -> dict[str, object]:
    return {
        "messageId": "m-1", "receiptHandle": "r", "body": json.dumps(body), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1",
    }  # fmt: skip


class _Context:
    function_name = "regenerate"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:regenerate"
    aws_request_id = "req-1"


def test_given_round_one_when_the_owner_picks_a_candidate_then_title_selected_is_published(
    world: World,
) -> None:
    book = world.feedback.view(VIDEO, OWNER_CALLER)
    chosen = book.latest.candidates[1]

    world.feedback.select(VIDEO, OWNER_CALLER, chosen.candidate_id)

    (selected,) = world.publisher.of_type(TitleSelected)
    assert (selected.title, selected.candidate_id, selected.owner_id) == (
        chosen.title,
        chosen.candidate_id,
        OWNER,
    )
    assert world.feedback.view(VIDEO, OWNER_CALLER).provisional_title == chosen.title


def test_given_someone_else_when_they_read_or_choose_then_refused(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.feedback.view(VIDEO, OTHER)
    assert world.feedback.view(VIDEO, ADMIN).video_id == VIDEO
    with pytest.raises(ForbiddenError):
        world.feedback.select(VIDEO, ADMIN, "r1c1")
    with pytest.raises(BadRequestError):
        world.feedback.select(VIDEO, OWNER_CALLER, "r9c9")
    assert not world.publisher.published


def test_given_feedback_when_regeneration_runs_then_only_what_it_rejects_is_left_out(world: World) -> None:
    first = [c.title for c in world.feedback.view(VIDEO, OWNER_CALLER).latest.candidates]

    request = world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "not 1, and mention the inner tube")
    with pytest.raises(ConflictError):  # one round at a time
        world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "again")
    _deliver(request)

    (generated,) = world.publisher.of_type(TitlesGenerated)
    titles = [c.title for c in generated.candidates]
    assert generated.round == 2 and request.rejected_titles == [first[0]]
    assert first[0] not in titles and "inner tube" in titles[0].lower()
    book = world.feedback.view(VIDEO, OWNER_CALLER)
    assert [r.round for r in book.rounds] == [1, 2] and book.requested_round is None


def test_given_feedback_rejecting_one_then_the_other_candidates_stay_eligible(world: World) -> None:
    first = [c.title for c in world.feedback.view(VIDEO, OWNER_CALLER).latest.candidates]

    _deliver(world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "not the first one"))

    (generated,) = world.publisher.of_type(TitlesGenerated)
    titles = [c.title for c in generated.candidates]
    assert first[0] not in titles and set(first[1:]) <= set(titles), (first, titles)


def test_given_shorter_feedback_when_regeneration_runs_then_the_first_title_is_shorter(world: World) -> None:
    first = world.feedback.view(VIDEO, OWNER_CALLER).latest.candidates[0].title

    _deliver(world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "shorter please"))

    (generated,) = world.publisher.of_type(TitlesGenerated)
    assert len(generated.candidates[0].title) < len(first), (first, generated.candidates[0].title)


def test_given_the_last_round_when_more_are_asked_then_409_and_replays_change_nothing(world: World) -> None:
    request = world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "shorter")
    _deliver(request)
    _deliver(request)  # at-least-once delivery

    assert len(world.publisher.of_type(TitlesGenerated)) == 1
    with pytest.raises(ConflictError) as refused:
        world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "once more")
    assert refused.value.status == 409


def test_given_a_regeneration_request_event_then_it_validates_the_contract(world: World) -> None:
    request = world.feedback.request_regeneration(VIDEO, OWNER_CALLER, "shorter")
    assert isinstance(request.meta, Meta) and request.round == 2


def test_given_a_deleted_video_when_the_deletion_arrives_then_its_title_book_is_gone(world: World) -> None:
    from services.genai.handlers import video_deleted

    assert world.books.get(VIDEO) is not None
    raw = json.loads(
        (Path(__file__).resolve().parents[2] / "events/svideo.video/Video.StatusChanged.json").read_text()
    )
    raw["detail"] |= {
        "video_id": VIDEO,
        "owner_id": OWNER,
        "from": "published",
        "to": "deleted",
        "reason": None,
    }
    for _ in range(2):  # a redelivery finds nothing and is no error
        assert video_deleted.handler({"Records": [_sqs(raw)]}, _Context()) == {"batchItemFailures": []}
    assert world.books.get(VIDEO) is None
