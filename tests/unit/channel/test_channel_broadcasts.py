"""IVS events → live state and channel events: order, duplicates, retries and the reconnect window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.channel.broadcasts import IvsChange, handle_ivs_change, video_id_for
from services.channel.errors import RecordingNotReadableError
from services.channel.models import Channel
from shared.events.aws import IvsRecordingStateChange, IvsStreamStateChange
from shared.events.base import ChannelEvent
from shared.events.channel import BroadcastEnded, BroadcastStarted, RecordingEnded, RecordingFailed
from shared.events.testing import FakePublisher
from tests.unit.channel.fakes import FakeRecordings, FakeRepository

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"
T0 = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
WINDOW = timedelta(seconds=60)
S1, S2, S3 = "st-1111111111111111111111a", "st-2222222222222222222222b", "st-3333333333333333333333c"


class World:
    def __init__(self) -> None:
        self.repository = FakeRepository()
        self.publisher = FakePublisher()
        self.recordings = FakeRecordings()
        self.repository.channels["ch-4f7d2a9e0000"] = Channel(
            channel_id="ch-4f7d2a9e0000",
            owner_id="alice-sub",
            display_name="Lambda Lancer",
            ivs_channel_arn=ARN,
            ivs_channel_name="dev-svideo-ch-4f7d2a9e0000",
            stream_key_arn="arn:aws:ivs:us-west-2:123456789012:stream-key/k1",
            ingest_endpoint="abc.global-contribute.live-video.net",
            playback_url="https://abc.m3u8",
            created_at=T0 - timedelta(days=1),
        )
        self.count = 0

    @property
    def channel(self) -> Channel:
        return self.repository.channels["ch-4f7d2a9e0000"]

    def send(
        self, detail: IvsStreamStateChange | IvsRecordingStateChange, at: datetime
    ) -> list[ChannelEvent]:
        self.count += 1
        change = IvsChange(event_id=f"e{self.count}", at=at, ivs_channel_arn=ARN, detail=detail)
        return handle_ivs_change(
            change,
            repository=self.repository,
            publisher=self.publisher,
            recordings=self.recordings,
            reconnect_window=WINDOW,
        )

    def stream(self, name: str, stream_id: str, at: datetime) -> list[ChannelEvent]:
        return self.send(
            IvsStreamStateChange(
                event_name=name, channel_name="dev-svideo-ch-4f7d2a9e0000", stream_id=stream_id
            ),
            at,
        )

    def recording(
        self, status: str, streams: list[str], at: datetime, reason: str = ""
    ) -> list[ChannelEvent]:
        return self.send(
            IvsRecordingStateChange(
                channel_name="dev-svideo-ch-4f7d2a9e0000",
                stream_id=streams[-1],
                recording_status=status,
                recording_status_reason=reason,
                recording_s3_bucket_name="dev-svideo-recordings",
                recording_s3_key_prefix=f"ivs/v1/123456789012/AbCdef1G2hij/2026/11/22/14/5/rec-{streams[0][-4:]}",
                recording_duration_ms=12000,
                recording_session_id=f"rec-{streams[0][-4:]}",
                recording_session_stream_ids=streams,
            ),
            at,
        )


@pytest.fixture
def world() -> World:
    return World()


def test_given_a_broadcast_when_it_starts_ends_and_records_then_one_video_id_runs_through_all(
    world: World,
) -> None:
    world.stream("Stream Start", S1, T0)
    assert world.channel.live and world.channel.live_stream_id == S1
    world.stream("Stream End", S1, T0 + timedelta(seconds=30))
    world.recording("Recording End", [S1], T0 + timedelta(seconds=95))

    (started,) = world.publisher.of_type(BroadcastStarted)
    (ended,) = world.publisher.of_type(BroadcastEnded)
    (recorded,) = world.publisher.of_type(RecordingEnded)
    assert started.video_id == ended.video_id == recorded.video_id == video_id_for(ARN, S1)
    assert ended.started_at == T0 and not world.channel.live
    assert recorded.recording.duration_ms == 12000 and recorded.recording.renditions[0].name == "720p30"
    assert recorded.recording.prefix.endswith("rec-111a")
    assert world.channel.recording is not None and world.channel.recording.ended


def test_given_duplicate_ivs_events_when_delivered_again_then_nothing_new_is_published(world: World) -> None:
    world.stream("Stream Start", S1, T0)
    world.stream("Stream Start", S1, T0)
    world.stream("Stream End", S1, T0 + timedelta(seconds=5))
    world.stream("Stream End", S1, T0 + timedelta(seconds=5))
    world.recording("Recording End", [S1], T0 + timedelta(seconds=70))
    world.recording("Recording End", [S1], T0 + timedelta(seconds=70))

    assert [e.detail_type for e in world.publisher.published] == [
        "Broadcast.Started",
        "Broadcast.Ended",
        "Recording.Ended",
    ]


def test_given_a_drop_and_resume_within_the_window_then_one_video_and_one_recording_end(world: World) -> None:
    world.stream("Stream Start", S1, T0)
    world.stream("Stream End", S1, T0 + timedelta(seconds=20))
    world.stream("Stream Start", S2, T0 + timedelta(seconds=50))
    world.stream("Stream End", S2, T0 + timedelta(seconds=80))
    world.recording("Recording End", [S1, S2], T0 + timedelta(seconds=145))

    videos = {e.video_id for e in world.publisher.published if hasattr(e, "video_id")}
    assert videos == {video_id_for(ARN, S1)}
    assert len(world.publisher.of_type(BroadcastStarted)) == 2  # live twice, one video


def test_given_a_resume_after_the_window_then_it_is_a_new_video(world: World) -> None:
    world.stream("Stream Start", S1, T0)
    world.stream("Stream End", S1, T0 + timedelta(seconds=20))
    world.stream("Stream Start", S2, T0 + timedelta(seconds=20 + 61))

    first, second = world.publisher.of_type(BroadcastStarted)
    assert first.video_id != second.video_id == video_id_for(ARN, S2)


@pytest.mark.parametrize(("window", "same_video"), [(5, False), (120, True)])
def test_given_the_channel_has_its_own_window_then_a_resume_is_judged_by_it_not_the_stack_default(
    world: World, window: int, same_video: bool
) -> None:
    channel = world.channel.model_copy(update={"reconnect_window_seconds": window})
    world.repository.channels[channel.channel_id] = channel
    world.stream("Stream Start", S1, T0)
    world.stream("Stream End", S1, T0 + timedelta(seconds=20))
    world.stream("Stream Start", S2, T0 + timedelta(seconds=20 + 61))  # 61 s: beyond the default 60 s

    first, second = world.publisher.of_type(BroadcastStarted)
    assert (first.video_id == second.video_id) is same_video


def test_given_recording_end_before_stream_end_then_both_name_the_same_video_and_state_ends_offline(
    world: World,
) -> None:
    world.stream("Stream Start", S1, T0)
    world.recording("Recording End", [S1], T0 + timedelta(seconds=10))
    world.stream("Stream End", S1, T0 + timedelta(seconds=9))

    (ended,) = world.publisher.of_type(BroadcastEnded)
    (recorded,) = world.publisher.of_type(RecordingEnded)
    assert ended.video_id == recorded.video_id
    assert not world.channel.live


def test_given_stream_end_before_its_start_then_the_late_start_does_not_turn_the_channel_live(
    world: World,
) -> None:
    world.stream("Stream End", S1, T0 + timedelta(seconds=9))
    world.stream("Stream Start", S1, T0)

    assert not world.channel.live
    (started,) = world.publisher.of_type(BroadcastStarted)
    assert started.video_id == video_id_for(ARN, S1)  # the video still exists


def test_given_recording_end_first_of_all_then_its_video_id_matches_the_later_stream_start(
    world: World,
) -> None:
    world.recording("Recording End", [S3], T0 + timedelta(seconds=70))
    world.stream("Stream Start", S3, T0)

    (recorded,) = world.publisher.of_type(RecordingEnded)
    (started,) = world.publisher.of_type(BroadcastStarted)
    assert recorded.video_id == started.video_id


@pytest.mark.parametrize(
    ("status", "stage"), [("Recording Start Failure", "start"), ("Recording End Failure", "end")]
)
def test_given_a_recording_failure_then_recording_failed_names_the_video_stage_and_reason(
    world: World, status: str, stage: str
) -> None:
    world.stream("Stream Start", S1, T0)
    world.recording(status, [S1], T0 + timedelta(seconds=3), reason="bucket not found")

    (failed,) = world.publisher.of_type(RecordingFailed)
    assert (failed.video_id, failed.stage, failed.reason) == (
        video_id_for(ARN, S1),
        stage,
        "bucket not found",
    )


def test_given_an_unreadable_recording_when_applied_then_it_raises_and_applies_nothing(world: World) -> None:
    world.recordings.missing = True

    with pytest.raises(RecordingNotReadableError):
        world.recording("Recording End", [S1], T0)

    assert world.repository.ledger == {} and world.publisher.published == []


def test_given_publishing_failed_after_applying_when_retried_then_the_same_events_go_out(
    world: World,
) -> None:
    class Flaky(FakePublisher):
        fail = True

        def publish(self, *details, resources=()):  # type: ignore[no-untyped-def]
            if self.fail:
                self.fail = False
                raise RuntimeError("PutEvents failed")
            return super().publish(*details, resources=resources)

    world.publisher = Flaky()
    with pytest.raises(RuntimeError):
        world.stream("Stream Start", S1, T0)
    world.stream("Stream Start", S1, T0)

    (started,) = world.publisher.of_type(BroadcastStarted)
    assert started.video_id == video_id_for(ARN, S1) and world.channel.live


def test_given_an_event_for_an_unknown_channel_then_it_is_ignored(world: World) -> None:
    world.repository.channels.clear()

    assert world.stream("Stream Start", S1, T0) == []


def test_given_session_events_then_nothing_is_published(world: World) -> None:
    world.stream("Session Created", S1, T0)

    assert world.publisher.published == []


def test_given_a_recorded_video_when_deleted_then_its_recording_events_and_session_are_forgotten(
    world: World,
) -> None:
    from services.channel.forget import forget_video
    from tests.unit.channel.fakes import FakeRecordingStore

    world.stream("Stream Start", S1, T0)
    world.stream("Stream End", S1, T0 + timedelta(seconds=30))
    world.recording("Recording End", [S1], T0 + timedelta(seconds=95))
    (recorded,) = world.publisher.of_type(RecordingEnded)
    prefix = recorded.recording.prefix
    store = FakeRecordingStore(
        {
            ("dev-svideo-recordings", f"{prefix}/media/hls/720p30/0.ts"),
            ("dev-svideo-recordings", "ivs/v1/other/x"),
        }
    )
    store.keys.add(("dev-svideo-recordings", f"{prefix}/events/recording-ended.json"))

    removed = forget_video(recorded.video_id, None, repository=world.repository, recordings=store)

    assert removed == 2 and store.keys == {("dev-svideo-recordings", "ivs/v1/other/x")}
    assert world.repository.ledger == {} and world.repository.videos == {}
    assert world.channel.recording is None
    assert (
        forget_video(recorded.video_id, "ch-4f7d2a9e0000", repository=world.repository, recordings=store) == 0
    )
