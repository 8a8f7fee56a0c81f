"""HTTP API execution on the local cloud: routes to a Lambda with the 2.0 payload, behind a JWT authorizer."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.apigateway import ApiGatewayService
from local.cloud import LocalCloud
from local.lambdas import LambdaService
from tests.integration.local.helpers import StartCloud, create_function

pytestmark = pytest.mark.timeout(60)

ECHO = """
import json
def handler(event, context):
    if event["rawPath"].endswith("/plain"):
        return {"inferred": True}
    return {"statusCode": 201, "headers": {"x-route": event["routeKey"]}, "cookies": ["a=1"],
            "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(LambdaService, ApiGatewayService)


@pytest.fixture(scope="module")
def setup(cloud: LocalCloud) -> dict[str, Any]:
    idp, apigw, lam = cloud.client("cognito-idp"), cloud.client("apigatewayv2"), cloud.client("lambda")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool, Username="ana", TemporaryPassword="Temp-pass-1!", MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="ana", Password="Real-pass-1!", Permanent=True)
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Real-pass-1!"},
    )
    function_arn = create_function(lam, "api-echo", ECHO)["FunctionArn"]
    api = apigw.create_api(
        Name="videos",
        ProtocolType="HTTP",
        CorsConfiguration={
            "AllowOrigins": ["https://app.example"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["authorization"],
            "MaxAge": 300,
        },
    )["ApiId"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    authorizer = apigw.create_authorizer(
        ApiId=api,
        Name="cognito",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": [client_id], "Issuer": issuer},
    )["AuthorizerId"]
    integration = apigw.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(
        ApiId=api,
        RouteKey="GET /videos/{id}",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
    )
    apigw.create_route(ApiId=api, RouteKey="ANY /public/{proxy+}", Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return {
        "base": f"{cloud.endpoint}/_aws/execute-api/{api}",
        "id_token": tokens["AuthenticationResult"]["IdToken"],
        "issuer": issuer,
        "client_id": client_id,
        "api": api,
    }


def test_given_a_valid_cognito_token_when_calling_a_jwt_route_then_the_handler_gets_claims_and_v2_event(
    setup: dict[str, Any],
) -> None:
    response = requests.get(
        f"{setup['base']}/videos/v1?lang=en&lang=fr",
        timeout=10,
        headers={"Authorization": f"Bearer {setup['id_token']}", "Cookie": "s=1; t=2"},
    )
    assert response.status_code == 201 and response.headers["x-route"] == "GET /videos/{id}"
    assert response.headers["set-cookie"] == "a=1"
    event = response.json()
    assert (
        event["version"] == "2.0"
        and event["routeKey"] == "GET /videos/{id}"
        and event["rawPath"] == "/videos/v1"
    )
    assert event["pathParameters"] == {"id": "v1"} and event["queryStringParameters"] == {"lang": "en,fr"}
    assert event["rawQueryString"] == "lang=en&lang=fr" and event["cookies"] == ["s=1", "t=2"]
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:username"] == "ana" and claims["aud"] == setup["client_id"]
    context = event["requestContext"]
    assert (
        context["http"]["method"] == "GET"
        and context["stage"] == "$default"
        and context["apiId"] == setup["api"]
    )
    assert event["isBase64Encoded"] is False and "authorization" in event["headers"]


def test_given_no_token_when_calling_a_jwt_route_then_401(setup: dict[str, Any]) -> None:
    response = requests.get(f"{setup['base']}/videos/v1", timeout=10)
    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}


def test_given_a_token_signed_by_another_key_when_calling_then_401(setup: dict[str, Any]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {
            "iss": setup["issuer"],
            "aud": setup["client_id"],
            "exp": int(time.time()) + 600,
            "cognito:username": "mallory",
            "token_use": "id",
        },
        key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    response = requests.get(f"{setup['base']}/videos/v1", headers={"Authorization": forged}, timeout=10)
    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}


def test_given_a_public_greedy_route_when_posting_then_inferred_and_structured_responses(
    setup: dict[str, Any],
) -> None:
    plain = requests.post(f"{setup['base']}/public/a/b/plain", json={"x": 1}, timeout=10)
    assert plain.status_code == 200 and plain.json() == {"inferred": True}
    echoed = requests.post(f"{setup['base']}/public/a/b", json={"x": 1}, timeout=10).json()
    assert echoed["pathParameters"] == {"proxy": "a/b"} and json.loads(echoed["body"]) == {"x": 1}
    assert requests.get(f"{setup['base']}/nowhere", timeout=10).status_code == 404


def test_given_cors_configuration_when_preflighting_then_allowed_origin_is_echoed(
    setup: dict[str, Any],
) -> None:
    response = requests.options(
        f"{setup['base']}/videos/v1",
        timeout=10,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-max-age"] == "300"
