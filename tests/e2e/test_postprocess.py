"""Post-processing end to end on the local cloud: generated IVS-style recordings in the recording bucket and a
`Recording.Ended` on the bus; a short one runs on the Lambda function, a longer one (above a threshold lowered
through CDK context) on the Fargate task; both give a playable MP4 of the right length. Bad recordings end in
`Video.ProcessingFailed` with a clear reason. The channel and video stacks are stood in for by their SSM
parameters and buckets, so this module deploys only CoreStack and PostprocessStack.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.app import ASSET_METADATA
from infra.lambda_runtime import REPO_ROOT
from infra.naming import ChannelParameter, VideoParameter, bus_name, parameter_name
from infra.stacks.core_stack import CoreStack
from infra.stacks.postprocess_stack import PostprocessStack
from local.cloud import LocalCloud
from local.platform_client import poll
from services.postprocess import config
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.storage import S3Storage
from tests.e2e.conftest import allow_rule_to_send
from tests.media import make_ivs_recording

pytestmark = pytest.mark.e2e
THRESHOLD_MS = 20_000
RECORDINGS = "e2e-recordings"
MEDIA = "e2e-media"
SEGMENT_MS = 6_000


@dataclass
class Platform:
    cloud: LocalCloud
    queue_url: str

    def outcomes(self) -> dict[str, dict[str, Any]]:
        """`svideo.postprocess` events seen so far, by video id (the test queue is drained into `seen`)."""
        sqs = self.cloud.client("sqs")
        while messages := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in messages:
                event = json.loads(message["Body"])
                SEEN.setdefault(event["detail"]["video_id"], []).append(event)
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return {video_id: events[0] for video_id, events in SEEN.items()}


SEEN: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("postprocess.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(
        outdir=str(outdir),
        context={**context, ASSET_METADATA: True, config.THRESHOLD_CONTEXT_KEY: THRESHOLD_MS},
    )
    CoreStack(app, "CoreStack", stage="dev", schemas={})
    PostprocessStack(app, "PostprocessStack", stage="dev")
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def platform(local_cloud: LocalCloud, deploy_assembly: Callable[..., Any], assembly: Path) -> Platform:
    s3, ssm = local_cloud.client("s3"), local_cloud.client("ssm")
    for bucket, key in (
        (RECORDINGS, ChannelParameter.RECORDING_BUCKET),
        (MEDIA, VideoParameter.MEDIA_BUCKET),
    ):
        s3.create_bucket(Bucket=bucket)
        ssm.put_parameter(Name=parameter_name("dev", key), Value=bucket, Type="String", Overwrite=True)
    deploy_assembly(assembly)
    sqs, events = local_cloud.client("sqs"), local_cloud.client("events")
    queue_url = sqs.create_queue(QueueName="e2e-postprocess-outcomes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule_arn = events.put_rule(
        Name="e2e-postprocess-outcomes",
        EventBusName=bus_name("dev"),
        EventPattern=json.dumps({"source": ["svideo.postprocess"]}),
    )["RuleArn"]
    allow_rule_to_send(local_cloud, queue_url, queue_arn, rule_arn)
    events.put_targets(
        Rule="e2e-postprocess-outcomes", EventBusName=bus_name("dev"), Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    return Platform(local_cloud, queue_url)


def put_recording(platform: Platform, seconds: float, recording_id: str) -> str:
    layout = make_ivs_recording(
        S3Storage(platform.cloud.client("s3")), seconds, bucket=RECORDINGS, recording_id=recording_id,
        renditions=("360p30", "180p30"),
    )  # fmt: skip
    return layout.prefix


def recording_ended(platform: Platform, video_id: str, prefix: str, duration_ms: int) -> None:
    detail = {
        "meta": {"version": "1", "correlation_id": str(uuid.uuid4()), "occurred_at": "2026-11-22T09:06:00Z"},
        "video_id": video_id,
        "channel_id": "ch-e2e",
        "owner_id": "owner-e2e",
        "stream_id": "st-e2e1",
        "recording": {
            "bucket": RECORDINGS,
            "prefix": prefix,
            "duration_ms": duration_ms,
            "renditions": [{"name": "360p30", "playlist_key": f"{prefix}/media/hls/360p30/playlist.m3u8"}],
        },
    }
    response = platform.cloud.client("events").put_events(
        Entries=[
            {
                "Source": "svideo.channel",
                "DetailType": "Recording.Ended",
                "Detail": json.dumps(detail),
                "EventBusName": bus_name("dev"),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0, response


def outcome_of(platform: Platform, video_id: str, timeout: float = 60) -> dict[str, Any]:
    return poll(lambda: platform.outcomes().get(video_id), timeout=timeout, what=f"the outcome of {video_id}")


def assert_playable(platform: Platform, event: dict[str, Any], expected_ms: int, tmp_path: Path) -> None:
    media = event["detail"]["media"]
    local = tmp_path / f"{event['detail']['video_id']}.mp4"
    platform.cloud.client("s3").download_file(media["bucket"], media["mp4_key"], str(local))
    info = Ffmpeg.locate().probe(local, timeout=30)
    assert info.video is not None and info.video.codec == "h264" and info.duration_ms is not None
    assert abs(info.duration_ms - expected_ms) <= SEGMENT_MS
    assert media["duration_ms"] == info.duration_ms and media["bytes"] == local.stat().st_size


def test_given_a_short_recording_when_it_ends_then_the_lambda_function_makes_a_playable_mp4(
    platform: Platform, tmp_path: Path
) -> None:
    prefix = put_recording(platform, 12, "shortRec1")
    recording_ended(platform, "vid-short", prefix, 12_000)

    event = outcome_of(platform, "vid-short")

    assert event["detail-type"] == "Video.Processed", event
    assert event["detail"]["compute"] == "lambda"
    assert_playable(platform, event, 12_000, tmp_path)


def test_given_a_recording_above_the_threshold_when_it_ends_then_the_fargate_task_makes_a_playable_mp4(
    platform: Platform, tmp_path: Path
) -> None:
    prefix = put_recording(platform, 30, "longRec1")
    recording_ended(platform, "vid-long", prefix, 30_000)

    event = outcome_of(platform, "vid-long", timeout=120)

    assert event["detail-type"] == "Video.Processed", event
    assert event["detail"]["compute"] == "fargate"
    assert_playable(platform, event, 30_000, tmp_path)


def test_given_a_duplicate_recording_ended_then_no_second_outcome_is_emitted(platform: Platform) -> None:
    prefix = put_recording(platform, 12, "shortRec1")
    recording_ended(platform, "vid-short", prefix, 12_000)
    time.sleep(5)
    platform.outcomes()
    assert len(SEEN["vid-short"]) == 1


BAD = {
    "vid-no-master": ("master_playlist_missing", lambda s3, p: s3.delete_object(
        Bucket=RECORDINGS, Key=f"{p}/media/hls/master.m3u8")),
    "vid-no-segment": ("segment_missing", lambda s3, p: s3.delete_object(
        Bucket=RECORDINGS, Key=f"{p}/media/hls/360p30/1.ts")),
    "vid-corrupt": ("corrupt_recording", lambda s3, p: [s3.put_object(
        Bucket=RECORDINGS, Key=f"{p}/media/hls/360p30/{i}.ts", Body=b"not ts " * 100) for i in range(2)]),
    "vid-empty": ("empty_recording", lambda s3, p: s3.put_object(
        Bucket=RECORDINGS, Key=f"{p}/media/hls/360p30/playlist.m3u8",
        Body=b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-ENDLIST\n")),
    "vid-zero": ("zero_duration", None),
}  # fmt: skip


def test_given_bad_recordings_when_they_end_then_each_video_gets_processing_failed_with_its_reason(
    platform: Platform,
) -> None:
    s3 = platform.cloud.client("s3")
    for number, (video_id, (_, spoil)) in enumerate(BAD.items()):
        prefix = put_recording(platform, 12, f"badRec{number}")
        if spoil is not None:
            spoil(s3, prefix)
        recording_ended(platform, video_id, prefix, 0 if spoil is None else 12_000)

    for video_id, (reason, _) in BAD.items():
        event = outcome_of(platform, video_id)
        assert event["detail-type"] == "Video.ProcessingFailed", event
        assert event["detail"]["reason"].startswith(f"{reason}:"), event["detail"]["reason"]
        assert event["detail"]["compute"] == "lambda"
