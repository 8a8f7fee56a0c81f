"""Local WebSocket APIs: a Lambda-backed test API, real WebSocket clients, boto3 management calls signed with
a role's credentials (IAM enforced: `@connections` needs `execute-api:ManageConnections`, as on AWS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local.cloud import CREDENTIALS, LocalCloud
from local.lambdas import LambdaService
from local.websocket import WebSocketService
from tests.integration.local.helpers import StartCloud, create_function, wait_for

pytestmark = pytest.mark.timeout(60)

MANAGE = "execute-api:ManageConnections"
LAMBDA = {"Service": "lambda.amazonaws.com"}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": LAMBDA}]}  # fmt: skip
ROUTES = """
import json, os, pathlib
def handler(event, context):
    ctx = event["requestContext"]
    out = pathlib.Path(os.environ["OUT"])
    if ctx["eventType"] == "CONNECT":
        (out / ("connect-" + ctx["connectionId"])).write_text(json.dumps(event))
        if (event.get("queryStringParameters") or {}).get("deny"):
            return {"statusCode": 403}
        return {"statusCode": 200}
    if ctx["eventType"] == "DISCONNECT":
        (out / ("disconnect-" + ctx["connectionId"])).write_text(json.dumps(event))
        return {"statusCode": 200}
    if ctx["routeKey"] == "boom":
        raise RuntimeError("boom")
    return {"statusCode": 200, "body": json.dumps({"route": ctx["routeKey"], "event": event})}
"""


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(LambdaService, WebSocketService, iam="enforce")


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("events")
    function_arn = create_function(
        cloud.client("lambda"), "ws-routes", ROUTES, Environment={"Variables": {"OUT": str(out)}}
    )["FunctionArn"]
    apigw = cloud.client("apigatewayv2")
    api_id = apigw.create_api(
        Name="live", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    target = f"integrations/{integration['IntegrationId']}"
    for key in ("$connect", "$disconnect"):
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=target)
    for key in ("$default", "subscribe", "boom"):
        apigw.create_route(
            ApiId=api_id, RouteKey=key, Target=target, RouteResponseSelectionExpression="$default"
        )
    apigw.create_route(ApiId=api_id, RouteKey="oneway", Target=target)
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    service = next(s for s in cloud.gateway.services() if isinstance(s, WebSocketService))
    connections = cloud.arn("execute-api", f"{api_id}/dev/*/@connections/*")
    backend = _role(cloud, "ws-backend", {"Effect": "Allow", "Action": MANAGE, "Resource": connections})
    return {"id": api_id, "url": service.url(api_id, "dev"), "out": out, "backend": backend}


def _role(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> str:
    iam = cloud.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
    if statements:
        document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=document)
    return arn


def _management(cloud: LocalCloud, api: dict[str, Any], role_arn: str | None = None) -> Any:
    """The management API client, signed as a session of `role_arn` (the backend's role by default)."""
    session = cloud.iam.session(role_arn or api["backend"], "notifier")
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{cloud.endpoint}/_aws/execute-api/{api['id']}/dev",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
        aws_access_key_id=session.access_key_id,
        aws_secret_access_key=session.secret_access_key,
        aws_session_token=session.session_token,
    )


def _ask(client: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    client.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(client.recv(timeout=20))
    return reply


def test_given_a_websocket_api_when_a_client_sends_an_action_then_the_route_gets_the_websocket_event(
    api: dict[str, Any],
) -> None:
    with connect(api["url"] + "?token=abc&lang=en", user_agent_header="svideo-test") as client:
        reply = _ask(client, {"action": "subscribe", "topics": ["videos"]})
    assert reply["route"] == "subscribe"
    event = reply["event"]
    context = event["requestContext"]
    assert context["eventType"] == "MESSAGE" and context["apiId"] == api["id"] and context["stage"] == "dev"
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["messageDirection"] == "IN"
    assert json.loads(event["body"]) == {"action": "subscribe", "topics": ["videos"]}
    assert event["isBase64Encoded"] is False
    connect_event = json.loads((api["out"] / f"connect-{context['connectionId']}").read_text())
    assert connect_event["requestContext"]["eventType"] == "CONNECT"
    assert connect_event["requestContext"]["routeKey"] == "$connect"
    assert connect_event["queryStringParameters"] == {"token": "abc", "lang": "en"}
    assert connect_event["requestContext"]["connectedAt"] == context["connectedAt"]


def test_given_an_action_without_its_own_route_when_sent_then_default_answers(api: dict[str, Any]) -> None:
    with connect(api["url"]) as client:
        assert _ask(client, {"action": "publish"})["route"] == "$default"
        client.send("not json at all")
        assert json.loads(client.recv(timeout=20))["route"] == "$default"


def test_given_a_failing_integration_when_a_message_arrives_then_the_client_gets_internal_server_error(
    api: dict[str, Any],
) -> None:
    with connect(api["url"]) as client:
        reply = _ask(client, {"action": "boom"})
    assert reply["message"] == "Internal server error" and reply["connectionId"]


def test_given_a_connection_when_the_backend_posts_then_the_client_receives_it_and_410_after_it_closes(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    management = _management(cloud, api)
    with connect(api["url"]) as client:
        connection_id = _ask(client, {"action": "whoami"})["event"]["requestContext"]["connectionId"]
        management.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "channel.live"}')
        assert json.loads(client.recv(timeout=10)) == {"type": "channel.live"}
        described = management.get_connection(ConnectionId=connection_id)
        assert described["Identity"]["SourceIp"] == "127.0.0.1"
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"late")
    disconnected = wait_for(lambda: _read(api["out"] / f"disconnect-{connection_id}"), timeout=20)
    assert disconnected["requestContext"]["eventType"] == "DISCONNECT"
    assert disconnected["requestContext"]["disconnectStatusCode"] == 1000


def test_given_an_unknown_connection_when_posted_to_then_gone_exception(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    management = _management(cloud, api)
    with pytest.raises(management.exceptions.GoneException) as gone:
        management.post_to_connection(ConnectionId="bm9zdWNoY29ubg=", Data=b"x")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_given_a_connection_when_the_backend_deletes_it_then_the_client_is_closed(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    with connect(api["url"]) as client:
        connection_id = _ask(client, {"action": "whoami"})["event"]["requestContext"]["connectionId"]
        _management(cloud, api).delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=10)


def test_given_connect_refuses_when_a_client_connects_then_the_handshake_fails_with_its_status(
    api: dict[str, Any],
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(api["url"] + "?deny=1", open_timeout=20)
    assert refused.value.response.status_code == 403


def test_given_an_unknown_api_or_stage_when_a_client_connects_then_404(api: dict[str, Any]) -> None:
    for url in (api["url"].replace(api["id"], "nosuchapi"), api["url"][: -len("dev")] + "prod"):
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=10)
        assert refused.value.response.status_code == 404


def test_given_the_gateway_style_path_when_a_client_connects_then_it_is_the_same_api(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    service = next(s for s in cloud.gateway.services() if isinstance(s, WebSocketService))
    with connect(f"{service.endpoint}/_aws/execute-api/{api['id']}/dev") as client:
        assert _ask(client, {"action": "subscribe"})["route"] == "subscribe"


def test_given_a_websocket_api_when_described_then_get_api_and_the_internal_route_report_the_ws_url(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    endpoint = cloud.client("apigatewayv2").get_api(ApiId=api["id"])["ApiEndpoint"]
    assert f"{endpoint}/dev" == api["url"] and endpoint.startswith("ws://127.0.0.1:")
    described = requests.get(f"{cloud.endpoint}/_svideo/websocket", timeout=5).json()
    assert api["url"] in described["apis"][0]["urls"]


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _connected(client: ClientConnection) -> str:
    return str(_ask(client, {"action": "whoami"})["event"]["requestContext"]["connectionId"])


def test_given_a_role_without_manage_connections_when_it_posts_then_access_denied_and_nothing_is_sent(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    stranger = _role(cloud, "ws-stranger", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    management = _management(cloud, api, stranger)
    with connect(api["url"]) as client:
        connection_id = _connected(client)
        for call in (
            lambda: management.post_to_connection(ConnectionId=connection_id, Data=b"forged"),
            lambda: management.get_connection(ConnectionId=connection_id),
            lambda: management.delete_connection(ConnectionId=connection_id),
        ):
            with pytest.raises(ClientError) as denied:
                call()
            error = denied.value.response
            assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
                "AccessDeniedException",
                403,
            )
            assert (
                f"assumed-role/ws-stranger/notifier is not authorized to perform: {MANAGE}"
                in (error["Error"]["Message"])
            )
        _management(cloud, api).post_to_connection(ConnectionId=connection_id, Data=b"genuine")
        assert client.recv(timeout=10) == "genuine"  # the forged frame never arrived; the connection is open


def test_given_a_grant_for_post_only_when_the_role_deletes_then_denied_on_the_delete_arn(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    posts = cloud.arn("execute-api", f"{api['id']}/dev/POST/@connections/*")
    poster = _role(cloud, "ws-poster", {"Effect": "Allow", "Action": MANAGE, "Resource": posts})
    management = _management(cloud, api, poster)
    with connect(api["url"]) as client:
        connection_id = _connected(client)
        management.post_to_connection(ConnectionId=connection_id, Data=b"hello")
        assert client.recv(timeout=10) == "hello"
        with pytest.raises(ClientError) as denied:
            management.delete_connection(ConnectionId=connection_id)
    resource = cloud.arn("execute-api", f"{api['id']}/dev/DELETE/@connections/{connection_id}")
    assert f"on resource: {resource}" in denied.value.response["Error"]["Message"]


def test_given_credentials_of_no_role_when_they_post_then_access_denied(
    cloud: LocalCloud, api: dict[str, Any]
) -> None:
    anyone = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{cloud.endpoint}/_aws/execute-api/{api['id']}/dev",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
        **CREDENTIALS,  # what the local cloud otherwise takes as its administrator
    )
    with connect(api["url"]) as client:
        connection_id = _connected(client)
        with pytest.raises(ClientError) as denied:
            anyone.post_to_connection(ConnectionId=connection_id, Data=b"forged")
        unsigned = requests.post(
            f"{cloud.endpoint}/_aws/execute-api/{api['id']}/dev/@connections/{connection_id}",
            data=b"forged",
            timeout=10,
        )
        with pytest.raises(TimeoutError):
            client.recv(timeout=1)
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: anonymous is not authorized to perform: {MANAGE}"
    )
    assert unsigned.status_code >= 400  # unsigned, it never reaches the management API
