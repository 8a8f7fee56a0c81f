"""Channel lifecycle rules: who may do what, the key shown once and stored nowhere, events without keys."""

from __future__ import annotations

import json

import pytest

from services.channel import channels
from services.channel.errors import ForbiddenError, NotFoundError, NotSignedInError
from services.channel.models import ChannelView, ChannelWithKey, CreateChannelRequest
from shared.auth import ANONYMOUS, Principal
from shared.events.channel import ChannelCreated, ChannelDeleted, StreamKeyRotated
from shared.events.testing import FakePublisher
from tests.unit.channel.fakes import FakeIvs, FakeRepository

ALICE = Principal(sub="alice-sub", groups=frozenset({"broadcaster"}))
BOB = Principal(sub="bob-sub", groups=frozenset({"broadcaster"}))
ADMIN = Principal(sub="admin-sub", groups=frozenset({"admin"}))
VIEWER = Principal(sub="viewer-sub")
SETTINGS = channels.ChannelSettings(
    recording_configuration_arn="arn:aws:ivs:us-west-2:123456789012:recording-configuration/rc1",
    ivs_channel_prefix="dev-svideo-",
    stage="dev",
)


World = tuple[FakeRepository, FakeIvs, FakePublisher]


@pytest.fixture
def world() -> World:
    return FakeRepository(), FakeIvs(), FakePublisher()


def create(world: World, principal: Principal = ALICE, name: str = "Lambda Lancer") -> ChannelWithKey:
    repository, ivs, publisher = world
    return channels.create_channel(
        principal,
        CreateChannelRequest(name=name),
        repository=repository,
        ivs=ivs,
        publisher=publisher,
        settings=SETTINGS,
    )


def test_given_a_broadcaster_when_creating_then_ivs_gets_the_recording_configuration_and_stage_tag(
    world: World,
) -> None:
    _repository, ivs, publisher = world

    created = create(world)

    (ivs_channel,) = ivs.channels.values()
    assert ivs_channel["recording"] == SETTINGS.recording_configuration_arn
    assert ivs_channel["name"] == f"dev-svideo-{created.channel_id}"
    assert ivs_channel["tags"] == {"project": "svideo", "stage": "dev", "channel-id": created.channel_id}
    assert created.stream_key in ivs.key_values()
    assert created.ingest.server == "rtmps://abc123.global-contribute.live-video.net:443/app/"
    (event,) = publisher.of_type(ChannelCreated)
    assert event.owner_id == "alice-sub" and event.ivs_channel_name == ivs_channel["name"]


def test_given_a_created_channel_then_the_key_is_in_no_row_no_list_and_no_event(world: World) -> None:
    repository, _ivs, publisher = world
    key = create(world).stream_key

    listed = channels.list_my_channels(ALICE, repository=repository, limit=10, token=None)

    assert key not in json.dumps([c.model_dump_json() for c in repository.channels.values()])
    assert key not in listed.model_dump_json()
    assert key not in json.dumps(publisher.details_json())


def test_given_a_viewer_or_anonymous_when_creating_then_it_is_refused(world: World) -> None:
    with pytest.raises(ForbiddenError):
        create(world, principal=VIEWER)
    with pytest.raises(NotSignedInError):
        create(world, principal=ANONYMOUS)
    assert world[1].channels == {}


def test_given_the_table_fails_when_creating_then_the_ivs_channel_is_removed(world: World) -> None:
    repository, ivs, publisher = world
    repository.fail_next_add = True

    with pytest.raises(RuntimeError):
        create(world)

    assert ivs.channels == {} and publisher.published == []


def test_given_a_channel_when_others_get_it_then_they_see_the_public_view_only(world: World) -> None:
    repository = world[0]
    channel_id = create(world).channel_id

    public = channels.get_channel(ANONYMOUS, channel_id, repository=repository)
    other = channels.get_channel(BOB, channel_id, repository=repository)
    mine = channels.get_channel(ALICE, channel_id, repository=repository)
    admin = channels.get_channel(ADMIN, channel_id, repository=repository)

    assert set(public.model_dump()) == {
        "channel_id",
        "name",
        "live",
        "playback_url",
        "live_since",
        "viewer_count",
    }
    assert not isinstance(other, ChannelView)
    assert isinstance(mine, ChannelView) and isinstance(admin, ChannelView)
    with pytest.raises(NotFoundError):
        channels.get_channel(ALICE, "ch-000000000000", repository=repository)


def test_given_my_channels_when_listing_then_only_mine_come_back_newest_first_in_pages(world: World) -> None:
    repository = world[0]
    ids = [create(world, name=f"c{i}").channel_id for i in range(3)]
    create(world, principal=BOB)

    first = channels.list_my_channels(ALICE, repository=repository, limit=2, token=None)
    second = channels.list_my_channels(ALICE, repository=repository, limit=2, token=first.next_token)

    assert [c.channel_id for c in first.items + second.items] == ids[::-1]
    assert second.next_token is None


def test_given_a_live_channel_when_the_owner_rotates_then_new_key_once_old_key_gone_stream_stopped(
    world: World,
) -> None:
    repository, ivs, publisher = world
    created = create(world)
    stored = repository.channels[created.channel_id]
    repository.channels[created.channel_id] = stored.model_copy(update={"live": True})

    rotated = channels.rotate_stream_key(
        ALICE, created.channel_id, repository=repository, ivs=ivs, publisher=publisher, settings=SETTINGS
    )

    assert rotated.stream_key != created.stream_key
    assert ivs.key_values() == [rotated.stream_key]
    assert ivs.stopped == [stored.ivs_channel_arn]
    (event,) = publisher.of_type(StreamKeyRotated)
    assert event.stream_key_id == rotated.stream_key_id != created.stream_key_id
    assert rotated.stream_key not in json.dumps(publisher.details_json())
    assert repository.channels[created.channel_id].stream_key_id == rotated.stream_key_id


def test_given_someone_elses_channel_when_rotating_or_deleting_then_forbidden(world: World) -> None:
    repository, ivs, publisher = world
    channel_id = create(world).channel_id

    with pytest.raises(ForbiddenError):
        channels.rotate_stream_key(
            BOB, channel_id, repository=repository, ivs=ivs, publisher=publisher, settings=SETTINGS
        )
    with pytest.raises(ForbiddenError):
        channels.rotate_stream_key(
            ADMIN, channel_id, repository=repository, ivs=ivs, publisher=publisher, settings=SETTINGS
        )
    with pytest.raises(ForbiddenError):
        channels.delete_channel(BOB, channel_id, repository=repository, ivs=ivs, publisher=publisher)
    assert len(ivs.channels) == 1


def test_given_an_admin_when_deleting_then_ivs_and_row_go_and_channel_deleted_is_published(
    world: World,
) -> None:
    repository, ivs, publisher = world
    channel_id = create(world).channel_id

    channels.delete_channel(ADMIN, channel_id, repository=repository, ivs=ivs, publisher=publisher)

    assert ivs.channels == {} and repository.channels == {}
    (event,) = publisher.of_type(ChannelDeleted)
    assert event.owner_id == "alice-sub"
    with pytest.raises(NotFoundError):
        channels.delete_channel(ADMIN, channel_id, repository=repository, ivs=ivs, publisher=publisher)


def test_given_a_local_ingest_endpoint_with_a_port_then_the_server_is_plain_rtmp() -> None:
    assert channels.ingest_of("127.0.0.1:1935").server == "rtmp://127.0.0.1:1935/app/"


def test_given_a_live_channel_when_anyone_reads_it_then_it_shows_since_when_and_how_many_watch(
    world: World,
) -> None:
    repository, ivs, _ = world
    created = create(world)
    channel = repository.get(created.channel_id)
    assert channel is not None
    offline = channels.get_channel(ANONYMOUS, created.channel_id, repository=repository, ivs=ivs)
    assert (offline.live, offline.live_since, offline.viewer_count) == (False, None, None)

    started = channel.created_at
    repository.save(channel.model_copy(update={"live": True, "live_since": started}))
    ivs.live.add(channel.ivs_channel_arn)
    ivs.viewers[channel.ivs_channel_arn] = 3
    shown = channels.get_channel(ANONYMOUS, created.channel_id, repository=repository, ivs=ivs)
    assert (shown.live, shown.live_since, shown.viewer_count) == (True, started, 3)
    assert "owner_id" not in shown.model_dump()
