"""The Lambda handler, the Fargate entry and the task-stopped function, with fakes and a real ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.postprocess.errors import ProcessingError, ReasonCode
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.handlers import process_recording, task_stopped
from services.postprocess.job import Job, Ports, output_prefix
from services.postprocess.ledger import MemoryLedger
from services.postprocess.models import Limits
from services.postprocess.task import run as run_task
from shared.events import VideoProcessed, VideoProcessingFailed
from shared.events.testing import FakePublisher
from tests.unit.postprocess.handler_support import (
    FakeLauncher,
    ecs_stopped,
    lambda_settings,
    make_ports,
    recording_ended,
    sqs_record,
)
from tests.unit.postprocess.support import OUTPUT, RECORDINGS, Scene


def _message(scene: Scene, **options: object) -> process_recording.RecordingEndedMessage:
    receive_count = int(options.pop("receive_count", 1))  # type: ignore[call-overload]
    message_id = options.pop("message_id", None)
    event = recording_ended(RECORDINGS, scene.layout.prefix, **options)  # type: ignore[arg-type]
    record = sqs_record(event, receive_count=receive_count, message_id=message_id)  # type: ignore[arg-type]
    return process_recording.RecordingEndedMessage.model_validate(record)


def _published(ports: Ports) -> FakePublisher:
    assert isinstance(ports.publisher, FakePublisher)
    return ports.publisher


class ExplodingFfmpeg:
    """Stands in for ffmpeg where a test proves it is never needed, or that it fails in a given way."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or AssertionError("ffmpeg must not run")

    def __getattr__(self, name: str) -> object:
        raise self.error


def test_given_a_short_recording_when_the_lambda_handles_it_then_video_processed_names_lambda_and_the_media(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ffmpeg)
    outcome = process_recording.handle_message(_message(built), lambda_settings(tmp_path / "w"), ports)

    assert outcome.status == "processed"
    [event] = _published(ports).of_type(VideoProcessed)
    assert event.compute == "lambda" and event.video_id == "vid-1"
    assert event.owner_id == "3c1e8f52-7a4b-4d0e-9f21-6b8a0c5d7e13"  # from Recording.Ended, for the plugins
    assert event.media.bucket == OUTPUT and event.media.mp4_key == "videos/vid-1/video.mp4"
    assert (event.media.hls_bucket, event.media.hls_master_key) == (RECORDINGS, built.layout.master_key)
    assert abs(event.media.duration_ms - 12_000) <= 6_000 and event.media.bytes > 0
    assert event.reencoded is False and event.timings.stitch_ms >= 0
    assert built.path("videos/vid-1/video.mp4", OUTPUT).is_file()


def test_given_a_processed_video_when_a_duplicate_recording_ended_arrives_then_nothing_runs_or_is_emitted(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ffmpeg)
    settings = lambda_settings(tmp_path / "w")
    process_recording.handle_message(_message(built), settings, ports)
    downloads = built.storage.downloads

    again = Ports(**{**ports.__dict__, "ffmpeg": lambda: ExplodingFfmpeg()})
    outcome = process_recording.handle_message(_message(built), settings, again)

    assert outcome.status == "duplicate"
    assert len(_published(ports).published) == 1
    assert built.storage.downloads == downloads


def test_given_another_delivery_holds_the_video_when_a_duplicate_arrives_then_it_is_dropped(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg())
    ports.ledger.acquire("vid-1", "lambda:first", now=ports.clock(), lease_s=900)

    outcome = process_recording.handle_message(_message(built), lambda_settings(tmp_path / "w"), ports)

    assert outcome.status == "duplicate" and _published(ports).published == []


def test_given_a_crash_after_the_marker_when_the_message_is_retried_then_the_result_is_emitted_once(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    settings = lambda_settings(tmp_path / "w")
    crashed = make_ports(built.storage, ffmpeg)
    publisher = _published(crashed)
    publisher.publish = lambda *details, resources=(): (_ for _ in ()).throw(RuntimeError("killed"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        process_recording.handle_message(_message(built, message_id="m-1"), settings, crashed)

    retry = Ports(**{**crashed.__dict__, "publisher": FakePublisher(), "ffmpeg": lambda: ExplodingFfmpeg()})
    outcome = process_recording.handle_message(
        _message(built, message_id="m-1", receive_count=2), settings, retry
    )

    assert outcome.status == "processed"  # replayed from the marker: ffmpeg never ran again
    assert len(_published(retry).of_type(VideoProcessed)) == 1


def test_given_no_master_playlist_when_handled_then_processing_failed_is_emitted_at_once(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    built.path(built.layout.master_key).unlink()
    ports = make_ports(built.storage, ffmpeg)

    outcome = process_recording.handle_message(_message(built), lambda_settings(tmp_path / "w"), ports)

    assert outcome.status == "failed"
    [event] = _published(ports).of_type(VideoProcessingFailed)
    assert event.reason.startswith("master_playlist_missing:") and event.attempts == 1
    assert event.compute == "lambda"


def test_given_a_zero_duration_recording_when_handled_then_it_fails_without_touching_storage(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg())

    process_recording.handle_message(_message(built, duration_ms=0), lambda_settings(tmp_path / "w"), ports)

    [event] = _published(ports).of_type(VideoProcessingFailed)
    assert event.reason.startswith("zero_duration:")
    assert built.storage.downloads == 0


def test_given_a_transient_error_when_attempts_remain_then_the_record_fails_for_a_retry(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg(ProcessingError(ReasonCode.FFMPEG_FAILED, "boom")))

    with pytest.raises(ProcessingError):
        process_recording.handle_message(
            _message(built, receive_count=2), lambda_settings(tmp_path / "w"), ports
        )
    assert _published(ports).published == []


def test_given_a_transient_error_on_the_last_attempt_then_processing_failed_says_it_gave_up(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg(ProcessingError(ReasonCode.FFMPEG_FAILED, "boom")))

    outcome = process_recording.handle_message(
        _message(built, receive_count=3), lambda_settings(tmp_path / "w"), ports
    )

    assert outcome.status == "failed"
    [event] = _published(ports).of_type(VideoProcessingFailed)
    assert event.reason.startswith("gave up after 3 attempts: ffmpeg_failed") and event.attempts == 3


def test_given_a_recording_too_big_for_the_function_then_it_is_handed_to_fargate_with_the_same_input(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    launcher = FakeLauncher()
    ports = make_ports(built.storage, ffmpeg, launcher=launcher)
    settings = lambda_settings(tmp_path / "w", SCRATCH_MIB="1")  # 1 MiB of /tmp: insufficient_space

    outcome = process_recording.handle_message(_message(built), settings, ports)

    assert outcome.status == "handed_over" and outcome.task_arn
    [job] = launcher.launched
    assert job == Job.from_event(_message(built).body.detail)
    assert _published(ports).published == []
    # The lease is released, so the Fargate task can take the video at once.
    assert (
        ports.ledger.acquire("vid-1", "fargate:x", now=ports.clock(), lease_s=60).__class__.__name__
        == "Acquired"
    )


def test_given_the_container_environment_when_the_task_runs_then_video_processed_names_fargate(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ffmpeg)
    job = Job.from_event(_message(built).body.detail)
    env = {
        **job.to_env(),
        "BUS_NAME": "b",
        "MEDIA_BUCKET": OUTPUT,
        "LEDGER_TABLE": "t",
        "WORKDIR": str(tmp_path / "w"),
        "THUMBNAIL_COUNT": "1",
    }

    outcome = run_task(env, ports)

    assert outcome.status == "processed"
    [event] = _published(ports).of_type(VideoProcessed)
    assert event.compute == "fargate"


def test_given_the_job_then_its_container_environment_round_trips() -> None:
    job = Job(
        video_id="v-1",
        channel_id="c",
        recording_bucket="bkt",
        recording_prefix="ivs/v1/x",
        duration_ms=4_800_000,
        correlation_id="corr",
    )
    assert Job.from_env(job.to_env()) == job
    assert job.to_env()["RECORDING_DURATION_MS"] == "4800000"


@pytest.mark.parametrize(
    ("exit_code", "reason", "expected"),
    [
        (0, None, None),
        (137, "OutOfMemoryError: Container killed due to memory usage", "exit code 137"),
        (None, None, "exit code none"),
    ],
)
def test_given_a_stopped_task_then_only_an_unclean_exit_has_a_death_reason(
    exit_code: int | None, reason: str | None, expected: str | None
) -> None:
    event = ecs_stopped(None, exit_code=exit_code, reason=reason)
    found = task_stopped.death_reason(task_stopped.TaskEvent.model_validate(event).detail)
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found and (reason or "") in found


def _stopped_message(job: Job, **options: object) -> task_stopped.TaskStoppedMessage:
    return task_stopped.TaskStoppedMessage.model_validate(sqs_record(ecs_stopped(job, **options)))  # type: ignore[arg-type]


def _job() -> Job:
    return Job(
        video_id="vid-1",
        channel_id="c",
        recording_bucket=RECORDINGS,
        recording_prefix="ivs/v1/x",
        duration_ms=5_000_000,
        correlation_id="corr",
    )


def test_given_an_oom_killed_task_when_the_watcher_runs_then_processing_failed_carries_the_reason(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg())
    message = _stopped_message(_job(), exit_code=137, reason="OutOfMemoryError: Container killed")

    outcome = task_stopped.handle_message(message, lambda_settings(tmp_path), ports)

    assert outcome is not None and outcome.status == "failed"
    [event] = _published(ports).of_type(VideoProcessingFailed)
    assert event.compute == "fargate" and "OutOfMemoryError" in event.reason and "137" in event.reason


def test_given_the_task_died_after_its_marker_when_the_watcher_runs_then_video_processed_is_emitted(
    scene: Callable[..., Scene], ffmpeg: Ffmpeg, tmp_path: Path
) -> None:
    from services.postprocess.domain import process_recording as process

    built = scene(12)
    job = _job().model_copy(update={"recording_prefix": built.layout.prefix})
    process(
        built.request.model_copy(update={"output_prefix": output_prefix("vid-1")}),
        storage=built.storage,
        ffmpeg=ffmpeg,
        workdir=tmp_path / "w",
        limits=Limits(thumbnail_count=1),
    )
    ports = make_ports(built.storage, ExplodingFfmpeg())

    outcome = task_stopped.handle_message(
        _stopped_message(job, exit_code=1), lambda_settings(tmp_path), ports
    )

    assert outcome is not None and outcome.status == "processed"
    assert _published(ports).of_type(VideoProcessed)[0].compute == "fargate"


def test_given_an_outcome_was_emitted_when_the_watcher_runs_then_it_emits_nothing(
    scene: Callable[..., Scene], tmp_path: Path
) -> None:
    built = scene(12)
    ports = make_ports(built.storage, ExplodingFfmpeg())
    assert isinstance(ports.ledger, MemoryLedger)
    ports.ledger.complete("vid-1", "fargate:1", "failed", now=0.0)

    outcome = task_stopped.handle_message(
        _stopped_message(_job(), exit_code=1), lambda_settings(tmp_path), ports
    )
    clean = task_stopped.handle_message(
        _stopped_message(_job(), exit_code=0), lambda_settings(tmp_path), ports
    )

    assert outcome is not None and outcome.status == "duplicate" and clean is None
    assert _published(ports).published == []
