"""The video API on the local cloud: deployed from the synthesized stacks, called with and without a token."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from infra.app import build_app
from infra.naming import bus_name
from local.cloud import LocalCloud
from local.platform_client import poll
from tests.conftest import DeployAssembly
from tests.e2e.conftest import allow_rule_to_send, put_event
from tests.unit.video.support import event

pytestmark = pytest.mark.e2e
PASSWORD = "Corr3ct-Horse!"


def _client(cloud: LocalCloud, service: str) -> Any:
    return cloud.client(service)


def _id_token(cloud: LocalCloud, pool: str, client_id: str, email: str, group: str | None) -> str:
    return _sign_up(cloud, pool, client_id, email, group)[0]


def _sign_up(cloud: LocalCloud, pool: str, client_id: str, email: str, group: str | None) -> tuple[str, str]:
    """A confirmed user's ID token and `sub` (the owner id videos record)."""
    idp = _client(cloud, "cognito-idp")
    signed_up = idp.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool, Username=email)
    if group:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    result = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["IdToken"]), str(signed_up["UserSub"])


def _put(cloud: LocalCloud, raw: dict[str, Any]) -> None:
    put_event(cloud, raw, "dev")


def _until(probe: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    return poll(probe, timeout=timeout, what=what, every=0.3)


@pytest.fixture(scope="module")
def ssm(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """CoreStack, IdentityStack and VideoStack deployed once for this module; reads their SSM parameters."""
    outdir = tmp_path_factory.mktemp("video-assembly")
    build_app(outdir=str(outdir)).synth()
    deploy_assembly(outdir, stacks=["CoreStack-dev", "IdentityStack-dev", "VideoStack-dev"])

    def read(name: str) -> str:
        value: str = _client(local_cloud, "ssm").get_parameter(Name=f"/svideo/dev/{name}")["Parameter"][
            "Value"
        ]
        return value

    return read


def test_given_the_deployed_stacks_when_calling_the_api_then_the_gateway_and_handlers_enforce_auth(
    local_cloud: LocalCloud, ssm: Callable[[str], str]
) -> None:
    api, pool, client_id = (
        ssm("video/api-url"),
        ssm("identity/user-pool-id"),
        ssm("identity/user-pool-client-id"),
    )
    token = _id_token(local_cloud, pool, client_id, "ada@example.com", "broadcaster")
    signed = {"Authorization": f"Bearer {token}"}

    assert requests.get(f"{api}/videos", timeout=60).json() == {"videos": [], "next_token": None}
    assert requests.get(f"{api}/me", timeout=60).status_code == 401  # the gateway's JWT authorizer
    me = requests.get(f"{api}/me", headers=signed, timeout=60)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ada@example.com" and me.json()["groups"] == ["broadcaster"]
    # A public route verifies an optional token against the local pool's keys (via AWS_ENDPOINT_URL).
    assert requests.get(f"{api}/videos/vid-x", headers=signed, timeout=60).status_code == 404
    forged = {"Authorization": f"Bearer {token[:-4]}AAAA"}
    assert requests.get(f"{api}/videos/vid-x", headers=forged, timeout=60).status_code == 401
    assert requests.get(f"{api}/videos/vid-x/history", timeout=60).status_code == 401
    assert "/videos/{video_id}" in requests.get(f"{api}/openapi.json", timeout=60).json()["paths"]
    assert requests.get(f"{api}/me/videos", headers=signed, timeout=60).json() == {
        "videos": [],
        "next_token": None,
    }


def test_given_swagger_ui_on_the_local_cloud_then_the_page_and_every_asset_it_references_load(
    ssm: Callable[[str], str],
) -> None:
    api = ssm("video/api-url")
    page = requests.get(f"{api}/docs", timeout=60)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assets = re.findall(r"(?:src|href)='([^']+)'", page.text)
    assert sorted(assets) == ["swagger-ui/swagger-ui-bundle.min.js", "swagger-ui/swagger-ui.min.css"]
    for asset in assets:
        response = requests.get(urljoin(f"{api}/docs", asset), timeout=60)
        assert response.status_code == 200, asset
        assert len(response.content) > 100_000 or asset.endswith(".css")


def test_given_a_recording_when_applied_then_its_status_change_reaches_the_bus_through_the_pipe(
    local_cloud: LocalCloud, ssm: Callable[[str], str]
) -> None:
    sqs, events = _client(local_cloud, "sqs"), _client(local_cloud, "events")
    queue_url = sqs.create_queue(QueueName=f"outbox-watch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = bus_name("dev")
    rule_arn = events.put_rule(
        Name="outbox-watch",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["svideo.video"], "detail-type": ["Video.StatusChanged"]}),
    )["RuleArn"]
    allow_rule_to_send(local_cloud, queue_url, queue_arn, rule_arn)
    events.put_targets(Rule="outbox-watch", EventBusName=bus, Targets=[{"Id": "watch", "Arn": queue_arn}])
    video_id = f"vid-{uuid.uuid4().hex[:12]}"
    raw = event("Recording.Ended", video_id=video_id)
    events.put_events(
        Entries=[
            {
                "Source": raw["source"],
                "DetailType": raw["detail-type"],
                "Detail": json.dumps(raw["detail"]),
                "EventBusName": bus,
            }
        ]
    )
    deadline = time.monotonic() + 60
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not seen:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        seen += [json.loads(m["Body"]) for m in messages]
        seen = [e for e in seen if e["detail"].get("video_id") == video_id]
    assert seen, "no Video.StatusChanged reached the bus"
    detail = seen[0]["detail"]
    assert (seen[0]["source"], detail["from"], detail["to"]) == ("svideo.video", None, "processing")
    assert detail["meta"]["correlation_id"] == raw["detail"]["meta"]["correlation_id"]


def test_given_recording_failed_and_a_fargate_processed_video_when_the_owner_reads_them_then_api_shows_both(
    local_cloud: LocalCloud, ssm: Callable[[str], str]
) -> None:
    """Recording.Failed (channel) and Video.Processed (postprocess) cross into the catalog through the bus."""
    api = ssm("video/api-url")
    token, sub = _sign_up(
        local_cloud, ssm("identity/user-pool-id"), ssm("identity/user-pool-client-id"), "grace@example.com",
        "broadcaster",
    )  # fmt: skip
    signed = {"Authorization": f"Bearer {token}"}
    failed_id, processed_id = (f"vid-{uuid.uuid4().hex[:12]}" for _ in range(2))
    owned: dict[str, Any] = {"owner_id": sub, "channel_id": "ch-e2e-grace"}

    def video(video_id: str, status: str) -> dict[str, Any] | None:
        response = requests.get(f"{api}/videos/{video_id}", headers=signed, timeout=60)
        return (
            response.json() if response.status_code == 200 and response.json()["status"] == status else None
        )

    _put(
        local_cloud, event("Recording.Failed", video_id=failed_id, stage="start", reason="no bucket", **owned)
    )
    _put(local_cloud, event("Recording.Ended", video_id=processed_id, **owned))
    _until(lambda: video(processed_id, "processing"), f"{processed_id} processing")
    _put(local_cloud, event("Video.Processed", video_id=processed_id, compute="fargate", **owned))

    failed = _until(lambda: video(failed_id, "failed"), f"{failed_id} failed")
    assert failed["reason"] == "recording failed to start: no bucket"
    history = requests.get(f"{api}/videos/{failed_id}/history", headers=signed, timeout=60).json()["history"]
    assert [(e["type"], e["from"], e["to"], e["reason"]) for e in history] == [
        ("Recording.Failed", None, "failed", failed["reason"])
    ]
    assert (
        _until(lambda: video(processed_id, "enriching"), f"{processed_id} enriching")["compute"] == "fargate"
    )
