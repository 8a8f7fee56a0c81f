"""HTTP API execution pieces without a cloud: route selection, payload 2.0 events, response mapping."""

from __future__ import annotations

import io
import json

import pytest

from local.apigateway import build_event, map_response, match_template, select_route
from local.aws import AwsRequest

ROUTES = [
    "GET /videos",
    "GET /videos/{id}",
    "ANY /videos/{id}",
    "GET /videos/{id}/titles",
    "ANY /{proxy+}",
    "$default",
]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/videos", ("GET /videos", {})),
        ("GET", "/videos/v1", ("GET /videos/{id}", {"id": "v1"})),
        ("DELETE", "/videos/v1", ("ANY /videos/{id}", {"id": "v1"})),
        ("GET", "/videos/v1/titles", ("GET /videos/{id}/titles", {})),
        ("POST", "/a/b/c", ("ANY /{proxy+}", {"proxy": "a/b/c"})),
        ("GET", "/", ("$default", {})),
    ],
)
def test_given_routes_when_selecting_then_the_most_specific_wins(
    method: str, path: str, expected: tuple[str, dict[str, str]]
) -> None:
    key, parameters = select_route(ROUTES, method, path) or ("", {})
    assert key == expected[0]
    if expected[1]:
        assert parameters == expected[1]


def test_given_no_default_route_when_nothing_matches_then_none() -> None:
    assert select_route(["GET /videos"], "POST", "/videos") is None
    assert match_template("/videos/{id}", "/videos") is None


def request(body: bytes = b"", content_type: str = "application/json") -> AwsRequest:
    return AwsRequest(
        method="POST",
        path="/_aws/execute-api/abc/items",
        query={},
        headers={"content-type": content_type, "cookie": "a=1; b=2", "user-agent": "t"},
        body=body,
        service=None,
        region="us-east-1",
        environ={"QUERY_STRING": "x=1&x=2&y=", "REMOTE_ADDR": "10.0.0.1", "wsgi.input": io.BytesIO()},
    )


def test_given_a_json_request_when_building_the_event_then_payload_2_0_shape() -> None:
    event = build_event(
        request(b'{"a": 1}'),
        api_id="abc",
        account_id="123456789012",
        stage="$default",
        route_key="POST /items",
        raw_path="/items",
        path_parameters={},
        authorizer=None,
        domain="127.0.0.1",
    )
    assert event["version"] == "2.0" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""} and event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"] and "pathParameters" not in event
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"]["sourceIp"] == "10.0.0.1" and context["routeKey"] == "POST /items"
    assert isinstance(context["timeEpoch"], int) and "authorizer" not in context


def test_given_a_binary_body_when_building_the_event_then_base64_encoded() -> None:
    event = build_event(
        request(b"\x00\xff", "application/octet-stream"),
        api_id="abc",
        account_id="1",
        stage="dev",
        route_key="$default",
        raw_path="/dev/items",
        path_parameters={},
        authorizer=None,
        domain="h",
    )
    assert event["isBase64Encoded"] is True and event["body"] == "AP8="


def test_given_structured_and_inferred_results_when_mapping_then_api_gateway_responses() -> None:
    structured = map_response(
        json.dumps({"statusCode": 404, "headers": {"x-a": "1"}, "body": "gone", "cookies": ["c=1"]}).encode()
    )
    assert structured.status_code == 404 and structured.get_data() == b"gone"
    assert structured.headers["x-a"] == "1" and structured.headers["set-cookie"] == "c=1"
    inferred = map_response(b'{"hello": "world"}')
    assert inferred.status_code == 200 and json.loads(inferred.get_data()) == {"hello": "world"}
    assert inferred.headers["content-type"] == "application/json"
    binary = map_response(json.dumps({"statusCode": 200, "body": "AP8=", "isBase64Encoded": True}).encode())
    assert binary.get_data() == b"\x00\xff"
