"""A broadcast end to end on the local cloud: a broadcaster signs up, creates a channel through the API,
pushes a generated clip over RTMP in real time, and the platform turns it into a video in `processing` with a
history, while a viewer's WebSocket receives the updates. A wrong stream key is refused and records nothing;
the key never shows up in a list response, an event or a log line.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from infra.lambda_runtime import REPO_ROOT
from infra.naming import ChannelParameter, IdentityParameter, VideoParameter
from infra.stacks.channel_stack import ChannelStack
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import IdentityStack
from infra.stacks.live_stack import WEBSOCKET_URL_KEY, LiveStack
from infra.stacks.video_stack import VideoStack
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, poll, read_parameter, sign_in
from tests.conftest import DeployAssembly
from tests.e2e.conftest import BusTap

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

STAGE = "dev"
RECONNECT_WINDOW_SECONDS = 2  # short, so the recording ends soon after the clip
CLIP_SECONDS = 10
PASSWORD = "Broadcast-e2e-Passw0rd!"


@dataclass
class Platform:
    cloud: LocalCloud
    api_url: str
    websocket_url: str
    recording_bucket: str
    user_pool_id: str
    client_id: str
    tap: BusTap


def _ssm(cloud: LocalCloud, key: str) -> str:
    return read_parameter(cloud.client("ssm"), STAGE, key)


@pytest.fixture(scope="module")
def platform(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> Platform:
    outdir = tmp_path_factory.mktemp("broadcast.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(
        outdir=str(outdir),
        context={
            **context,
            "aws:cdk:enable-asset-metadata": True,
            "channel:reconnectWindowSeconds": RECONNECT_WINDOW_SECONDS,
        },
    )
    core = CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    for stack_id, stack_class in (
        ("IdentityStack", IdentityStack),
        ("VideoStack", VideoStack),
        ("ChannelStack", ChannelStack),
        ("LiveStack", LiveStack),
    ):
        stack_class(app, stack_id, stage=STAGE).add_dependency(core)
    app.synth()
    deploy_assembly(outdir)

    tap = BusTap(local_cloud, "broadcast-e2e", STAGE)
    websocket = _ssm(local_cloud, WEBSOCKET_URL_KEY)
    api_id = websocket.split("/_aws/execute-api/")[1].split("/")[0]
    endpoint = local_cloud.client("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"]
    return Platform(
        cloud=local_cloud,
        api_url=_ssm(local_cloud, VideoParameter.API_URL).rstrip("/"),
        websocket_url=f"{endpoint}/{STAGE}",
        recording_bucket=_ssm(local_cloud, ChannelParameter.RECORDING_BUCKET),
        user_pool_id=_ssm(local_cloud, IdentityParameter.USER_POOL_ID),
        client_id=_ssm(local_cloud, IdentityParameter.USER_POOL_CLIENT_ID),
        tap=tap,
    )


def new_user(platform: Platform, email: str, group: str | None) -> str:
    """A new user (in `group` if given), signed in: its ID token."""
    idp = platform.cloud.client("cognito-idp")
    create_user(idp, platform.user_pool_id, email, PASSWORD, [group] if group else [])
    return sign_in(idp, platform.client_id, email, PASSWORD)


def call(
    platform: Platform, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    return call_api(platform.api_url, method, path, token, body)


def push_clip(server: str, key: str, seconds: int) -> subprocess.CompletedProcess[str]:
    """A generated clip (test pattern + tone) pushed in real time, as OBS would."""
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc=size=640x360:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "60", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-f", "flv", f"{server}{key}",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)


class EventLog:
    """svideo events seen on the bus so far (from the test's queue)."""

    def __init__(self, tap: BusTap) -> None:
        self._tap = tap

    @property
    def raw(self) -> list[str]:
        return self._tap.raw

    def first(self, detail_type: str, **detail: Any) -> dict[str, Any] | None:
        for event in self._tap.drain():
            if event["detail-type"] == detail_type and all(
                event["detail"].get(k) == v for k, v in detail.items()
            ):
                return event
        return None


@pytest.fixture(scope="module")
def broadcaster(platform: Platform) -> str:
    return new_user(platform, "lancer@example.com", "broadcaster")


@pytest.fixture(scope="module")
def event_log(platform: Platform) -> EventLog:
    return EventLog(platform.tap)


@pytest.fixture
def viewer(platform: Platform) -> Iterator[Any]:
    from websockets.sync.client import connect

    with connect(platform.websocket_url, open_timeout=60) as client:
        client.send(json.dumps({"action": "subscribe", "topics": ["channels", "videos"]}))
        assert json.loads(client.recv(timeout=60))["type"] == "subscribed"
        yield client


def recordings_under(platform: Platform, prefix: str = "") -> list[str]:
    listed = platform.cloud.client("s3").list_objects_v2(Bucket=platform.recording_bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_given_a_broadcaster_when_streaming_a_clip_then_a_processing_video_with_history_and_live_pushes(
    platform: Platform, broadcaster: str, event_log: EventLog, viewer: Any
) -> None:
    status, created = call(platform, "POST", "/channels", broadcaster, {"name": "Lambda Lancer"})
    assert status == 201, created
    channel_id, key = created["channel_id"], created["stream_key"]
    assert created["ingest"]["server"].startswith("rtmp://127.0.0.1:")

    # A wrong key is refused and records nothing.
    refused = push_clip(created["ingest"]["server"], key[:-4] + "XXXX", seconds=3)
    assert refused.returncode != 0
    assert recordings_under(platform) == []

    pushed = push_clip(created["ingest"]["server"], key, seconds=CLIP_SECONDS)
    assert pushed.returncode == 0, pushed.stderr

    started = poll(
        lambda: event_log.first("Broadcast.Started", channel_id=channel_id), timeout=30, what="start"
    )
    video_id = started["detail"]["video_id"]
    recorded = poll(
        lambda: event_log.first("Recording.Ended", channel_id=channel_id), timeout=60, what="Recording.Ended"
    )
    assert recorded["detail"]["video_id"] == video_id
    assert recorded["detail"]["recording"]["duration_ms"] >= (CLIP_SECONDS - 3) * 1000
    assert recorded["detail"]["recording"]["renditions"]
    assert event_log.first("Broadcast.Ended", channel_id=channel_id) is not None

    def video_in_processing() -> dict[str, Any] | None:
        code, video = call(platform, "GET", f"/videos/{video_id}", broadcaster)
        return video if code == 200 and video.get("status") == "processing" else None

    poll(video_in_processing, timeout=30, what="the video in processing")
    code, history = call(platform, "GET", f"/videos/{video_id}/history", broadcaster)
    assert code == 200, history
    assert "Recording.Ended" in json.dumps(history)

    pushes = [json.loads(viewer.recv(timeout=30)) for _ in range(2)]
    assert any(p.get("type") == "channel.live" and p["data"]["channel_id"] == channel_id for p in pushes), (
        pushes
    )

    # The key never appears in a list response, an event or a log line.
    code, mine = call(platform, "GET", "/channels", broadcaster)
    assert code == 200 and [c["channel_id"] for c in mine["items"]] == [channel_id]
    _, live = call(platform, "GET", "/channels/live")
    _, public = call(platform, "GET", f"/channels/{channel_id}")
    for text in (json.dumps(mine), json.dumps(live), json.dumps(public), *event_log.raw):
        assert key not in text
    logs = sorted((platform.cloud.state_dir / "logs").glob("*.log"))
    assert logs, "the local Lambda runtime writes one log per function"
    for log in logs:
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
            assert key not in line, f"{log.name}:{number}"
