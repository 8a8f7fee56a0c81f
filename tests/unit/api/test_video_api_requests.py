"""Bad input gets the right 4xx with a message; good input gets the documented shapes."""

from __future__ import annotations

import base64
import json

import pytest

from tests.unit.api.conftest import CHANNEL, DRAFT, PUBLISHED, ApiCall
from tests.unit.api.support import ANONYMOUS, OWNER, VIEWER, Request


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"next_token": "not base64 at all!"}, "next_token"),
        ({"next_token": base64.urlsafe_b64encode(b'{"PK": "x"}').decode()}, "next_token"),
        ({"next_token": base64.urlsafe_b64encode(b"[1, 2]").decode()}, "next_token"),
    ],
)
def test_given_bad_paging_parameters_when_listing_then_400_names_the_problem(
    video_api: ApiCall, query: dict[str, str], fragment: str
) -> None:
    status, body = video_api(Request("GET", "/videos", query=query), ANONYMOUS)
    assert status == 400
    assert fragment in json.dumps(body)


def test_given_a_token_from_another_list_when_listing_then_it_is_refused(video_api: ApiCall) -> None:
    status, first = video_api(
        Request("GET", "/channels/{channel_id}/videos", {"channel_id": CHANNEL}, query={"limit": "1"}), OWNER
    )
    assert status == 200 and first["next_token"]
    status, body = video_api(Request("GET", "/videos", query={"next_token": first["next_token"]}), ANONYMOUS)
    assert (status, body["message"]) == (400, "invalid next_token: it belongs to another list or was altered")


def test_given_pages_when_following_next_token_then_every_video_is_listed_once(video_api: ApiCall) -> None:
    seen: list[str] = []
    query = {"limit": "1"}
    route = Request("GET", "/channels/{channel_id}/videos", {"channel_id": CHANNEL})
    for _ in range(5):
        status, body = video_api(
            Request(route.method, route.route, route.path_parameters, query=query), OWNER
        )
        assert status == 200
        seen += [video["video_id"] for video in body["videos"]]
        if not body["next_token"]:
            break
        query = {"limit": "1", "next_token": body["next_token"]}
    assert seen == [DRAFT, PUBLISHED]  # newest first


@pytest.mark.parametrize("video_id", ["no such video", "-leading-dash", "x" * 200])
def test_given_a_malformed_video_id_then_400(video_api: ApiCall, video_id: str) -> None:
    status, body = video_api(Request("GET", "/videos/{video_id}", {"video_id": video_id}), ANONYMOUS)
    assert status == 400 and "video_id" in json.dumps(body)


def test_given_unknown_ids_then_404_with_a_message(video_api: ApiCall) -> None:
    for request in (
        Request("GET", "/videos/{video_id}", {"video_id": "vid-unknown"}),
        Request("GET", "/channels/{channel_id}/videos", {"channel_id": "ch-unknown"}),
        Request("GET", "/videos/{video_id}/history", {"video_id": "vid-unknown"}),
        Request("DELETE", "/videos/{video_id}", {"video_id": "vid-unknown"}),
    ):
        status, body = video_api(request, OWNER)
        assert status == 404 and body["message"], request


def test_given_a_forged_token_on_a_public_route_then_401_not_anonymous(video_api: ApiCall) -> None:
    forged = OWNER.token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    request = Request(
        "GET", "/videos/{video_id}", {"video_id": DRAFT}, headers={"authorization": f"Bearer {forged}"}
    )
    status, body = video_api(request, ANONYMOUS)
    assert status == 401 and "invalid token" in body["message"]


def test_given_an_expired_token_on_a_public_route_then_401(video_api: ApiCall) -> None:
    expired = OWNER.token(exp=1)
    request = Request(
        "GET", "/videos/{video_id}", {"video_id": PUBLISHED}, headers={"authorization": f"Bearer {expired}"}
    )
    assert video_api(request, ANONYMOUS)[0] == 401


def test_given_a_published_video_then_the_view_has_media_urls_and_projected_fields(
    video_api: ApiCall,
) -> None:
    status, body = video_api(Request("GET", "/videos/{video_id}", {"video_id": PUBLISHED}), ANONYMOUS)
    assert status == 200
    assert body["title"] == "Sourdough starter at dawn 1" and body["title_provisional"] is True
    assert set(body["fields"]) == {
        "description",
        "tags",
        "language",
        "transcript_key",
        "transcript_url",
        "captions_key",
        "captions_url",
    }
    assert body["media"]["mp4_url"].startswith("https://media.example/")


def test_given_the_owner_when_reading_history_then_entries_show_from_and_to(video_api: ApiCall) -> None:
    status, body = video_api(Request("GET", "/videos/{video_id}/history", {"video_id": PUBLISHED}), OWNER)
    assert status == 200
    assert [(e["type"], e["from"], e["to"], e["plugin"]) for e in body["history"]] == [
        ("Recording.Ended", None, "processing", None),
        ("Video.Processed", "processing", "enriching", None),
        # round 1 waits for the verdict that accepts the titles run, so it lands on the published video
        ("Titles.Generated", "published", None, "titles"),
        ("Lifecycle.Completed", "enriching", "published", None),
        *(("Lifecycle.Completed", None, None, p) for p in ("duration", "transcript", "titles", "avatars")),
        ("Titles.Generated", "published", None, "titles"),
    ]


def test_given_a_published_video_when_its_owner_reads_history_then_each_plugin_result_is_an_entry(
    video_api: ApiCall,
) -> None:
    status, body = video_api(Request("GET", "/videos/{video_id}/history", {"video_id": PUBLISHED}), OWNER)
    assert status == 200
    avatars = next(e for e in body["history"] if e["plugin"] == "avatars")
    assert {k: avatars[k] for k in ("hook", "outcome", "reason", "duration_ms", "applied")} == {
        "hook": "postMetadata",
        "outcome": "timed_out",
        "reason": "no completion before 2026-11-22T14:23:45Z",
        "duration_ms": 300000,
        "applied": True,
    }


def test_given_a_processed_video_when_read_then_the_view_names_the_compute_that_ran(
    video_api: ApiCall,
) -> None:
    status, body = video_api(Request("GET", "/videos/{video_id}", {"video_id": PUBLISHED}), OWNER)
    assert status == 200 and body["compute"] == "lambda"


def test_given_a_signed_in_viewer_when_asking_me_then_claims_come_back(video_api: ApiCall) -> None:
    status, body = video_api(Request("GET", "/me"), OWNER)
    assert status == 200
    assert body == {
        "sub": OWNER.sub,
        "username": "owner",
        "email": "owner@example.com",
        "groups": ["broadcaster"],
    }
    assert video_api(Request("GET", "/me"), VIEWER)[1]["groups"] == []


def test_given_the_openapi_document_then_it_lists_the_routes_and_the_security_scheme(
    video_api: ApiCall,
) -> None:
    status, document = video_api(Request("GET", "/openapi.json"), ANONYMOUS)
    assert status == 200
    assert set(document["paths"]) == {
        "/videos",
        "/videos/{video_id}",
        "/channels/{channel_id}/videos",
        "/search",
        "/videos/{video_id}/history",
        "/me",
        "/me/videos",
    }
    assert "cognito" in document["components"]["securitySchemes"]
    assert document["paths"]["/me"]["get"]["security"] == [{"cognito": []}]


def test_given_swagger_ui_then_its_assets_come_from_this_api_not_a_cdn(video_api: ApiCall) -> None:
    status, html = video_api(Request("GET", "/docs"), ANONYMOUS)
    assert status == 200
    # Relative to /docs, so the page works under any base path (the local cloud's /_aws/execute-api/<id>/).
    assert "src='swagger-ui/swagger-ui-bundle.min.js'" in html
    assert "href='swagger-ui/swagger-ui.min.css'" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    for asset, marker in (
        ("swagger-ui-bundle.min.js", "SwaggerUIBundle"),
        ("swagger-ui.min.css", ".swagger-ui"),
    ):
        status, body = video_api(Request("GET", "/swagger-ui/{asset}", {"asset": asset}), ANONYMOUS)
        assert status == 200 and marker in body


def test_given_an_unknown_asset_name_then_404_and_no_file_is_read(video_api: ApiCall) -> None:
    for asset in ("html.py", "..%2F..%2Fapi.py", "swagger-ui.js"):
        status, body = video_api(Request("GET", "/swagger-ui/{asset}", {"asset": asset}), ANONYMOUS)
        assert status == 404 and "no asset" in body["message"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({}, "Field required"),  # no q at all
        ({"q": ""}, "at least 1 character"),
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"q": "!!! ???"}, "at least one word"),
        ({"q": "the of and"}, "at least one word"),
        ({"q": "a1 b2 c3 d4 e5 f6 g7 h8 i9"}, "at most 8 words"),
        ({"q": "dough", "limit": "0"}, "limit"),
        ({"q": "dough", "next_token": "forged"}, "next_token"),
    ],
)
def test_given_a_malformed_search_when_searching_then_400_names_the_field(
    video_api: ApiCall, query: dict[str, str], fragment: str
) -> None:
    status, body = video_api(Request("GET", "/search", query=query), ANONYMOUS)
    assert status == 400, body
    assert fragment in json.dumps(body)
    if set(query) <= {"q"}:  # the q cases name q; the others their own parameter
        assert [e["location"] for e in body["errors"]] == ["query.q"], body


def test_given_a_transcript_word_when_searching_then_the_published_video_is_found(video_api: ApiCall) -> None:
    status, body = video_api(Request("GET", "/search", query={"q": "Glossy"}), ANONYMOUS)
    assert status == 200
    assert [v["video_id"] for v in body["videos"]] == [PUBLISHED]
    assert body["next_token"] is None


def test_given_an_invalid_token_when_searching_then_401(video_api: ApiCall) -> None:
    status, body = video_api(
        Request("GET", "/search", query={"q": "glossy"}, headers={"authorization": "Bearer garbage"}),
        ANONYMOUS,
    )
    assert status == 401, body


PUBLIC_ROUTES = [
    Request("GET", "/videos"),
    Request("GET", "/videos/{video_id}", {"video_id": PUBLISHED}),
    Request("GET", "/channels/{channel_id}/videos", {"channel_id": CHANNEL}),
]


@pytest.mark.parametrize("request_", PUBLIC_ROUTES, ids=lambda r: r.route)
@pytest.mark.parametrize("token", ["garbage", "a.b.c", OWNER.token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"])
def test_given_an_invalid_token_on_any_public_route_then_401_and_without_one_anonymous(
    video_api: ApiCall, request_: Request, token: str
) -> None:
    sent = Request(
        request_.method,
        request_.route,
        request_.path_parameters,
        headers={"authorization": f"Bearer {token}"},
    )
    status, body = video_api(sent, ANONYMOUS)
    assert status == 401 and "invalid token" in body["message"], body

    assert video_api(request_, ANONYMOUS)[0] == 200
