"""Live updates on the local cloud: CoreStack + LiveStack deployed from their synthesized templates, and a
viewer's real WebSocket receiving pushes for events put on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.lambda_runtime import REPO_ROOT
from infra.naming import parameter_name
from infra.stacks.core_stack import CoreStack
from infra.stacks.live_stack import WEBSOCKET_URL_KEY, LiveStack
from local.cloud import LocalCloud
from tests.conftest import DeployAssembly
from tests.e2e.conftest import put_event

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

EVENTS = Path(__file__).resolve().parent.parent / "events"
STAGE = "dev"


@pytest.fixture(scope="module")
def websocket_url(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> str:
    outdir = tmp_path_factory.mktemp("live.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=str(outdir), context={**context, "aws:cdk:enable-asset-metadata": True})
    LiveStack(app, "LiveStack", stage=STAGE).add_dependency(
        CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    )
    app.synth()
    results = deploy_assembly(outdir)
    assert [result.name for result in results] == ["CoreStack", "LiveStack"]
    published = local_cloud.client("ssm").get_parameter(Name=parameter_name(STAGE, WEBSOCKET_URL_KEY))
    # The deployer reports the gateway's execute-api URL; the WebSocket server serves the same path.
    api_id = published["Parameter"]["Value"].split("/_aws/execute-api/")[1].split("/")[0]
    endpoint = local_cloud.client("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"]
    assert endpoint.startswith("ws://127.0.0.1:")
    return f"{endpoint}/{STAGE}"


@pytest.fixture
def viewer(websocket_url: str) -> Iterator[ClientConnection]:
    with connect(websocket_url, open_timeout=60) as client:
        client.send(json.dumps({"action": "subscribe", "topics": ["channels", "videos"]}))
        assert json.loads(client.recv(timeout=60)) == {"type": "subscribed", "topics": ["channels", "videos"]}
        yield client


def _put(cloud: LocalCloud, sample: str, **detail: Any) -> str:
    event = json.loads((EVENTS / sample).read_text())
    event["detail"].update(detail)
    return put_event(cloud, event, STAGE)


def _next_push(client: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(client.recv(timeout=60))
    return frame


def test_given_a_viewer_when_a_broadcast_starts_then_its_websocket_receives_the_channel_going_live(
    local_cloud: LocalCloud, viewer: ClientConnection
) -> None:
    event_id = _put(local_cloud, "svideo.channel/Broadcast.Started.json")
    push = _next_push(viewer)
    assert push["type"] == "channel.live" and push["topic"] == "channels"
    assert push["event_id"] == event_id and push["data"]["channel_id"] == "ch-4f7d2a9e"
    assert "owner_id" not in push["data"]


def test_given_a_viewer_when_a_video_is_published_then_it_receives_the_status_change_but_not_private_ones(
    local_cloud: LocalCloud, viewer: ClientConnection
) -> None:
    _put(local_cloud, "svideo.video/Video.StatusChanged.json", **{"from": "processing", "to": "enriching"})
    _put(local_cloud, "svideo.video/Video.StatusChanged.json", **{"from": "enriching", "to": "published"})
    push = _next_push(viewer)  # the private processing -> enriching change never arrives
    assert push["type"] == "video.status" and push["data"]["to"] == "published" and push["topic"] == "videos"


def test_given_a_viewer_when_it_sends_anything_but_the_protocol_then_it_gets_an_error_frame(
    viewer: ClientConnection,
) -> None:
    viewer.send(json.dumps({"action": "sendmessage", "data": "hello everyone"}))
    assert _next_push(viewer)["error"]["code"] == "unknown_action"


def test_given_a_forged_token_when_connecting_then_the_connection_is_refused(websocket_url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{websocket_url}?token=not-a-jwt", open_timeout=60)
    assert refused.value.response.status_code == 401
