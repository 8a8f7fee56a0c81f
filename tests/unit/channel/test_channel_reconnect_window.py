"""A reconnect window per channel: set on create and update, one IVS recording configuration per window,
used by the broadcast state machine, shown to the owner as a deadline while a dropped stream may resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.channel import channels
from services.channel.errors import ConflictError
from services.channel.models import CreateChannelRequest, RecordingSession, UpdateChannelRequest
from shared.auth import Principal
from shared.events.testing import FakePublisher
from tests.unit.channel.fakes import FakeIvs, FakeRepository

ALICE = Principal(sub="alice-sub", groups=frozenset({"broadcaster"}))
BOB = Principal(sub="bob-sub", groups=frozenset({"broadcaster"}))
TEMPLATE = "arn:aws:ivs:us-west-2:123456789012:recording-configuration/rc1"
SETTINGS = channels.ChannelSettings(
    recording_configuration_arn=TEMPLATE,
    ivs_channel_prefix="dev-svideo-ch-",
    stage="dev",
    default_reconnect_window_seconds=60,
)


def create(repository: FakeRepository, ivs: FakeIvs, window: int | None) -> str:
    request = CreateChannelRequest(name="Lambda Lancer", reconnect_window_seconds=window)
    created = channels.create_channel(
        ALICE, request, repository=repository, ivs=ivs, publisher=FakePublisher(), settings=SETTINGS
    )
    return created.channel_id


@pytest.mark.parametrize("window", [-1, 301, 3600])
def test_given_a_window_out_of_range_when_creating_then_validation_names_the_field(window: int) -> None:
    with pytest.raises(ValidationError) as error:
        CreateChannelRequest(name="x", reconnect_window_seconds=window)
    assert error.value.errors()[0]["loc"] == ("reconnect_window_seconds",)


def test_given_windows_when_creating_channels_then_each_distinct_window_gets_one_configuration() -> None:
    repository, ivs = FakeRepository(), FakeIvs()

    ids = [create(repository, ivs, window) for window in (5, 5, 60, None, 0)]

    assert ivs.configurations == {"dev-svideo-recordings-5s": 5, "dev-svideo-recordings-0s": 0}
    recordings = [ivs.channels[repository.channels[i].ivs_channel_arn]["recording"] for i in ids]
    assert recordings[0] == recordings[1] != TEMPLATE
    assert recordings[2] == recordings[3] == TEMPLATE  # the default window is the stack's configuration
    assert [repository.channels[i].reconnect_window_seconds for i in ids] == [5, 5, 60, 60, 0]


def test_given_an_offline_channel_when_its_window_changes_then_ivs_gets_the_matching_configuration() -> None:
    repository, ivs = FakeRepository(), FakeIvs()
    channel_id = create(repository, ivs, None)

    view = channels.update_channel(
        ALICE,
        channel_id,
        UpdateChannelRequest(reconnect_window_seconds=12),
        repository=repository,
        ivs=ivs,
        settings=SETTINGS,
    )

    assert view.reconnect_window_seconds == 12
    arn = repository.channels[channel_id].ivs_channel_arn
    assert ivs.channels[arn]["recording"].endswith("/dev-svideo-recordings-12s")


def test_given_a_live_channel_when_its_window_changes_then_409_names_the_field() -> None:
    repository, ivs = FakeRepository(), FakeIvs()
    channel_id = create(repository, ivs, 30)
    repository.channels[channel_id] = repository.channels[channel_id].model_copy(update={"live": True})

    with pytest.raises(ConflictError, match="reconnect_window_seconds"):
        channels.update_channel(
            ALICE,
            channel_id,
            UpdateChannelRequest(reconnect_window_seconds=10),
            repository=repository,
            ivs=ivs,
            settings=SETTINGS,
        )


def test_given_another_broadcaster_when_updating_then_forbidden() -> None:
    repository, ivs = FakeRepository(), FakeIvs()
    channel_id = create(repository, ivs, 30)

    with pytest.raises(channels.ForbiddenError):
        channels.update_channel(
            BOB,
            channel_id,
            UpdateChannelRequest(name="Mine now"),
            repository=repository,
            ivs=ivs,
            settings=SETTINGS,
        )


def test_given_a_dropped_broadcast_then_the_owner_sees_until_when_it_may_resume() -> None:
    repository, ivs = FakeRepository(), FakeIvs()
    channel_id = create(repository, ivs, 42)
    ended_at = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    session = RecordingSession(video_id="vid-1", stream_ids=["st-1"], last_stream_ended_at=ended_at)
    channel = repository.channels[channel_id].model_copy(update={"recording": session})

    assert channels.owner_view(channel).resume_deadline == ended_at + timedelta(seconds=42)
    closed = channel.model_copy(update={"recording": session.model_copy(update={"ended": True})})
    assert channels.owner_view(closed).resume_deadline is None
    assert "resume_deadline" not in channels.public_view(channel).model_dump()
