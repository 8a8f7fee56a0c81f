"""The web app served by the local cloud, in Chromium: routing, config, validation, drafts, no console errors.

The cloud here has only the web part: no API is deployed, so the app must say so in sentences.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.cloud import LocalCloud

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def web_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    from local.wiring import build_cloud

    with build_cloud(tmp_path_factory.mktemp("web"), port=0, parts=["web"]) as cloud:
        yield cloud


def test_given_no_api_when_a_viewer_opens_home_then_a_sentence_explains_it(
    web_cloud: LocalCloud, page: Any
) -> None:
    page.goto(f"{web_cloud.endpoint}/web/")
    page.get_by_role("heading", name="Live now").wait_for()
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert "not deployed yet" in alert.inner_text()
    assert page.problems == []


def test_given_a_deep_link_when_opened_then_the_app_routes_it(web_cloud: LocalCloud, page: Any) -> None:
    page.goto(f"{web_cloud.endpoint}/web/watch/vid-123")
    page.get_by_role("heading", name="This video is not available").wait_for()
    assert page.problems == []


def test_given_the_studio_when_signed_out_then_sign_in_is_asked_with_the_way_back(
    web_cloud: LocalCloud, page: Any
) -> None:
    page.goto(f"{web_cloud.endpoint}/web/studio")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.url.endswith("/web/signin?next=studio")
    assert page.get_by_role("navigation", name="Main").inner_text().split() == ["Watch", "Search", "Sign", "in"]


def test_given_an_empty_sign_in_form_when_submitted_then_each_field_says_what_is_missing(
    web_cloud: LocalCloud, page: Any
) -> None:
    page.goto(f"{web_cloud.endpoint}/web/signin")
    page.get_by_role("button", name="Sign in").click()
    email = page.get_by_label("Email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "Enter your email address." in page.locator("[data-field=email] .field-error").inner_text()
    assert "Enter your password." in page.locator("[data-field=password] .field-error").inner_text()
    assert page.evaluate("document.activeElement.name") == "email"


def test_given_a_config_json_then_it_names_the_local_cognito_endpoint(
    web_cloud: LocalCloud, page: Any
) -> None:
    response = page.goto(f"{web_cloud.endpoint}/web/config.json")
    config = response.json()
    assert config["cognitoEndpoint"] == f"{web_cloud.endpoint}/"
    assert set(config) >= {"apiUrl", "webSocketUrl", "userPoolId", "userPoolClientId", "region"}
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_given_files_that_are_not_the_app_then_they_are_not_served(web_cloud: LocalCloud, page: Any) -> None:
    for path in ("package.json", "vendor.sh", "node_modules/hls.js/package.json"):
        assert page.goto(f"{web_cloud.endpoint}/web/{path}").status == 404


def test_given_a_phone_width_then_the_sign_in_page_fits_without_sideways_scrolling(
    web_cloud: LocalCloud, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{web_cloud.endpoint}/web/signin")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signin-phone.png"))
    context.close()
