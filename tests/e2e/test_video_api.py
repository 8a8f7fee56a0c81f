"""The video API on the local cloud: deployed from the synthesized stacks, called with and without a token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from infra.app import build_app
from local.cloud import LocalCloud
from tests.conftest import DeployAssembly

pytestmark = pytest.mark.e2e
PASSWORD = "Corr3ct-Horse!"


def _client(cloud: LocalCloud, service: str) -> Any:
    return boto3.client(service, endpoint_url=cloud.endpoint, region_name="us-east-1")


def _id_token(cloud: LocalCloud, pool: str, client_id: str, email: str, group: str | None) -> str:
    idp = _client(cloud, "cognito-idp")
    idp.sign_up(
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
    token: str = result["AuthenticationResult"]["IdToken"]
    return token


def test_given_the_deployed_stacks_when_calling_the_api_then_the_gateway_and_handlers_enforce_auth(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path: Path
) -> None:
    build_app(outdir=str(tmp_path)).synth()
    deploy_assembly(tmp_path, stacks=["CoreStack", "IdentityStack", "VideoStack"])

    def ssm(name: str) -> str:
        value: str = _client(local_cloud, "ssm").get_parameter(Name=f"/svideo/dev/{name}")["Parameter"][
            "Value"
        ]
        return value

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
