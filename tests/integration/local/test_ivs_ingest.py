"""The local IVS end to end: boto3 `ivs` client, ffmpeg pushing RTMP into the nginx ingest, recordings in
local S3
at IVS's layout, `aws.ivs` events on the default bus (captured by a fake events service)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Response

from local.aws import AwsRequest
from local.cloud import LocalCloud
from local.ingest import environment_ready
from local.ivs import IvsService

pytestmark = pytest.mark.skipif(not environment_ready(), reason="needs nginx, libnginx-mod-rtmp and ffmpeg")

BUCKET = "recordings"


class CapturedBus:
    """Answers PutEvents for the default bus and keeps the entries, in arrival order."""

    signing_names: tuple[str, ...] = ("events",)

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def handle(self, request: AwsRequest) -> Response | None:
        if request.target != "PutEvents":
            return None
        entries = request.json()["Entries"]
        with self._lock:
            self.entries.extend(entries)
        body = {"FailedEntryCount": 0, "Entries": [{"EventId": f"e{i}"} for i, _ in enumerate(entries)]}
        return Response(json.dumps(body), content_type="application/x-amz-json-1.1")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def for_channel(self, channel_arn: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [
                (e["DetailType"], json.loads(e["Detail"]))
                for e in self.entries
                if e["Resources"] == [channel_arn] and e["Source"] == "aws.ivs"
            ]

    def wait_for(
        self, channel_arn: str, status: str, timeout: float = 30
    ) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.for_channel(channel_arn)
            if any(d.get("recording_status") == status for _, d in events):
                return events
            time.sleep(0.2)
        raise AssertionError(f"no {status} for {channel_arn}: {self.for_channel(channel_arn)}")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCloud, IvsService, CapturedBus]]:
    local = LocalCloud(tmp_path_factory.mktemp("cloud"), port=0)
    bus = CapturedBus()
    ivs = IvsService(local, rtmp_port=0, http_port=0)
    local.add_service(bus)
    local.add_service(ivs)
    with local:
        local.client("s3").create_bucket(Bucket=BUCKET)
        yield local, ivs, bus


def push(url: str, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-f",
            "flv",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def make_channel(
    cloud: LocalCloud, name: str, *, window: int = 0, interval: int = 3
) -> tuple[dict[str, Any], str]:
    ivs = cloud.client("ivs")
    config = ivs.create_recording_configuration(
        name=f"{name}-rec",
        destinationConfiguration={"s3": {"bucketName": BUCKET}},
        thumbnailConfiguration={
            "recordingMode": "INTERVAL",
            "targetIntervalSeconds": interval,
            "storage": ["SEQUENTIAL", "LATEST"],
        },
        recordingReconnectWindowSeconds=window,
    )["recordingConfiguration"]
    created = ivs.create_channel(name=name, recordingConfigurationArn=config["arn"])
    return created["channel"], created["streamKey"]["value"]


def publish_url(channel: dict[str, Any], key: str) -> str:
    return f"rtmp://{channel['ingestEndpoint']}/app/{key}"


def objects(cloud: LocalCloud, prefix: str) -> list[str]:
    listed = cloud.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def recorded_duration(cloud: LocalCloud, prefix: str, tmp_path: Path) -> float:
    """Downloads the recording and asks ffprobe how long the master playlist plays."""
    s3 = cloud.client("s3")
    for key in objects(cloud, prefix + "/media/hls/"):
        target = tmp_path / key[len(prefix) + 1 :]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(BUCKET, key, str(target))
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            str(tmp_path / "media/hls/master.m3u8"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(probe.stdout.strip())


def _playable_master(url: str, timeout: float = 30) -> str:
    """The live master playlist, polled: it 404s until the live rendition has a segment."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as playback:
                text = playback.read().decode()
                assert text.startswith("#EXTM3U"), text
                return text
        except urllib.error.HTTPError as error:
            if error.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def test_given_two_channels_when_both_broadcast_8s_then_each_gets_an_ivs_layout_recording_and_events_in_order(
    cloud: tuple[LocalCloud, IvsService, CapturedBus], tmp_path: Path
) -> None:
    local, _, bus = cloud
    first, first_key = make_channel(local, "first")
    second, second_key = make_channel(local, "second")
    pushers = [push(publish_url(first, first_key), 8), push(publish_url(second, second_key), 8)]
    for channel in (first, second):  # both publishes accepted (a loaded machine takes its time)
        bus.wait_for(channel["arn"], "Recording Start")
    live = local.client("ivs").get_stream(channelArn=first["arn"])["stream"]
    assert live["state"] == "LIVE"
    master = _playable_master(first["playbackUrl"])  # once the first segment is written, about 6 s in
    rendition = urllib.parse.urljoin(first["playbackUrl"], master.splitlines()[-1])
    with urllib.request.urlopen(rendition, timeout=5) as playlist:  # the master never names a 404
        assert playlist.status == 200 and b"#EXTINF" in playlist.read()
    assert {s["channelArn"] for s in local.client("ivs").list_streams()["streams"]} == {
        first["arn"],
        second["arn"],
    }
    for pusher in pushers:
        assert pusher.wait(timeout=30) == 0, pusher.stderr.read() if pusher.stderr else ""

    for channel in (first, second):
        events = bus.wait_for(channel["arn"], "Recording End")
        names = [d.get("event_name") or d.get("recording_status") for _, d in events]
        assert names == [
            "Session Created",
            "Stream Start",
            "Recording Start",
            "Stream End",
            "Session Ended",
            "Recording End",
        ]
        end = events[-1][1]
        channel_id = channel["arn"].rsplit("/", 1)[1]
        assert end["recording_s3_bucket_name"] == BUCKET
        assert end["recording_s3_key_prefix"].startswith(f"ivs/v1/{local.account_id}/{channel_id}/")
        assert end["channel_name"] == channel["name"]
        assert end["recording_session_stream_ids"] == [end["stream_id"]]
        assert abs(end["recording_duration_ms"] - 8000) <= 6000
        prefix = end["recording_s3_key_prefix"]
        keys = objects(local, prefix)
        assert f"{prefix}/events/recording-started.json" in keys
        assert f"{prefix}/events/recording-ended.json" in keys
        assert f"{prefix}/media/hls/master.m3u8" in keys
        assert f"{prefix}/media/hls/180p30/playlist.m3u8" in keys
        assert f"{prefix}/media/hls/180p30/0.ts" in keys
        assert f"{prefix}/media/thumbnails/180p30/thumb0.jpg" in keys
        assert f"{prefix}/media/thumbnails/180p30/thumb1.jpg" in keys
        assert f"{prefix}/media/latest_thumbnail/180p30/thumb.jpg" in keys
        ended = json.loads(
            local.client("s3")
            .get_object(Bucket=BUCKET, Key=f"{prefix}/events/recording-ended.json")["Body"]
            .read()
        )
        assert ended["recording_status"] == "RECORDING_ENDED"
        assert ended["media"]["hls"]["renditions"][0]["path"] == "180p30"
        assert abs(recorded_duration(local, prefix, tmp_path / channel_id) - 8.0) <= 6.0
    sessions = local.client("ivs").list_stream_sessions(channelArn=first["arn"])["streamSessions"]
    assert len(sessions) == 1 and "endTime" in sessions[0]


def test_given_a_wrong_stream_key_when_publishing_then_the_ingest_refuses_and_records_nothing(
    cloud: tuple[LocalCloud, IvsService, CapturedBus],
) -> None:
    local, _, bus = cloud
    channel, _ = make_channel(local, "guarded")
    pusher = push(publish_url(channel, "sk_us-east-1_wrongwrongwrong"), 2)
    assert pusher.wait(timeout=20) != 0
    time.sleep(1)
    channel_id = channel["arn"].rsplit("/", 1)[1]
    assert objects(local, f"ivs/v1/{local.account_id}/{channel_id}/") == []
    assert bus.for_channel(channel["arn"]) == []


def test_given_a_reconnect_window_when_the_broadcast_drops_and_resumes_then_it_is_one_recording(
    cloud: tuple[LocalCloud, IvsService, CapturedBus],
) -> None:
    local, _, bus = cloud
    channel, key = make_channel(local, "flaky", window=4, interval=2)
    assert push(publish_url(channel, key), 3).wait(timeout=20) == 0
    time.sleep(1.5)
    assert push(publish_url(channel, key), 3).wait(timeout=20) == 0

    events = bus.wait_for(channel["arn"], "Recording End")
    recording = [d for t, d in events if t == "IVS Recording State Change"]
    assert [d["recording_status"] for d in recording] == ["Recording Start", "Recording End"]
    streams = [d["stream_id"] for t, d in events if d.get("event_name") == "Stream Start"]
    assert len(streams) == 2
    assert recording[-1]["recording_session_stream_ids"] == streams
    assert recording[0]["recording_s3_key_prefix"] == recording[-1]["recording_s3_key_prefix"]
    playlist = local.client("s3").get_object(
        Bucket=BUCKET, Key=recording[-1]["recording_s3_key_prefix"] + "/media/hls/180p30/playlist.m3u8"
    )
    assert "#EXT-X-DISCONTINUITY" in playlist["Body"].read().decode()
    # Each publish is held until its own part's recorder is attached: both 3 s pushes are recorded whole.
    assert recording[-1]["recording_duration_ms"] >= 5400


def test_given_a_live_channel_when_stop_stream_then_the_publisher_is_disconnected(
    cloud: tuple[LocalCloud, IvsService, CapturedBus],
) -> None:
    local, _, bus = cloud
    channel, key = make_channel(local, "stopped")
    pusher = push(publish_url(channel, key), 30)
    deadline = time.monotonic() + 10
    while not any(d.get("event_name") == "Stream Start" for _, d in bus.for_channel(channel["arn"])):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(2)  # let media flow, so the stopped broadcast still leaves a recording
    local.client("ivs").stop_stream(channelArn=channel["arn"])
    assert pusher.wait(timeout=10) != 0
    bus.wait_for(channel["arn"], "Recording End")
