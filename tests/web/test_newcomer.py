"""A newcomer broadcaster in Chromium, on the local cloud: signs up in the web app with an address of the
stage's broadcaster domain (the post-confirmation trigger makes them a broadcaster), is led to the studio,
creates a first channel with a short reconnect window and sees the OBS/ffmpeg settings; goes live over RTMP
and a viewer's live page plays (hls.js: readyState >= 3, currentTime advancing); the broadcast drops, the
studio counts the reconnect window down, the broadcaster resumes within it and the live page plays again.
Someone of another domain stays a viewer until an admin grants the role on the Users page. Every page passes
axe at phone and desktop widths.

The steps are separate tests sharing one `Newcomer`, in order, so a report names the first step that fails.
Screenshots go to `$SVIDEO_SCREENSHOTS` when set (`docs/screenshots` for the README), else to a temp dir.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra.lambda_runtime import REPO_ROOT
from infra.naming import IdentityParameter
from infra.stacks.channel_stack import ChannelStack
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import BROADCASTER_DOMAINS_CONTEXT, IdentityStack
from infra.stacks.live_stack import LiveStack
from infra.stacks.users_stack import UsersStack
from infra.stacks.video_stack import VideoStack
from local.cloud import LocalCloud
from local.platform_client import create_user, read_parameter
from tests.conftest import DeployAssembly
from tests.web.accessibility import assert_accessible
from tests.web.conftest import console_failures
from tests.web.test_flow import AXE, _page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

STAGE = "dev"
DOMAIN = "studio.example"
EMAIL = f"newcomer@{DOMAIN}"
PASSWORD = "Newcomer-e2e-Passw0rd!"
CHANNEL = "First Light"
WINDOW_SECONDS = 30  # long enough to resume in; the recording ends this long after the last push
CLIP_SECONDS = 40


@dataclass
class Newcomer:
    cloud: LocalCloud
    app_url: str
    shots: Path
    broadcaster: Any
    viewer: Any
    channel_id: str = ""
    server: str = ""
    stream_key: str = ""
    clip: Path | None = None
    pushes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"))

    def push(self) -> subprocess.Popen[bytes]:
        """The clip over RTMP in real time, as OBS would send it."""
        assert self.clip is not None
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", str(self.clip), "-c", "copy",
                   "-f", "flv", f"{self.server}{self.stream_key}"]  # fmt: skip
        push = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pushes.append(push)
        return push


@pytest.fixture(scope="module")
def deployed(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> LocalCloud:
    """The stacks a broadcaster and a live viewer use (no post-processing or plugins: nothing here waits
    for a video), with this stage's broadcaster domain."""
    outdir = tmp_path_factory.mktemp("newcomer.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(
        outdir=str(outdir),
        context={**context, "aws:cdk:enable-asset-metadata": True, BROADCASTER_DOMAINS_CONTEXT: DOMAIN},
    )
    core = CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    for stack_id, stack_class in (
        ("IdentityStack", IdentityStack),
        ("VideoStack", VideoStack),
        ("ChannelStack", ChannelStack),
        ("LiveStack", LiveStack),
        ("UsersStack", UsersStack),
    ):
        stack_class(app, stack_id, stage=STAGE).add_dependency(core)
    app.synth()
    deploy_assembly(outdir)
    return local_cloud


@pytest.fixture(scope="module")
def newcomer(
    deployed: LocalCloud, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Newcomer]:
    shots = Path(os.environ.get("SVIDEO_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    contexts = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_init_script(path=str(AXE))
        contexts.append(context)
    state = Newcomer(
        cloud=deployed,
        app_url=f"{deployed.endpoint}/web/",
        shots=shots,
        broadcaster=_page(contexts[0]),
        viewer=_page(contexts[1]),
    )
    yield state
    for push in state.pushes:
        push.kill()
        push.wait()
    # A dropped WebSocket handshake is retried by the app; any other console error fails the module.
    problems = console_failures(state.broadcaster.problems + state.viewer.problems)
    for context in contexts:
        context.close()
    assert not problems, f"console errors: {problems}"


def _sign_up(page: Any, app_url: str, email: str) -> None:
    page.goto(app_url + "signup")
    page.get_by_role("heading", name="Create an account").wait_for()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Confirm your email").wait_for()
    page.get_by_label("Confirmation code").fill("123456")  # the local Cognito sends no email, takes any code
    page.get_by_role("button", name="Confirm", exact=True).click()


def _clip(folder: Path) -> Path:
    clip = folder / "live.flv"
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc=size=640x360:rate=30:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-ar", "44100", str(clip),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return clip


PLAYING = """(seconds) => {
  const video = document.querySelector("video");
  if (!video || video.readyState < 3) return false;
  video.dataset.startedAt ??= String(video.currentTime);
  return video.currentTime - Number(video.dataset.startedAt) >= seconds;
}"""


def _wait_playing(page: Any, *, advance_seconds: float, timeout_ms: int) -> dict[str, Any]:
    """Until the page's <video> can play (readyState >= 3) and its currentTime has advanced by
    `advance_seconds` since it first could; then its state."""
    page.wait_for_function(PLAYING, arg=advance_seconds, timeout=timeout_ms, polling=250)
    state: dict[str, Any] = page.evaluate(
        """() => { const v = document.querySelector("video");
          return { readyState: v.readyState, currentTime: v.currentTime,
                   startedAt: Number(v.dataset.startedAt), paused: v.paused, src: v.currentSrc }; }"""
    )
    return state


def test_given_an_allowed_domain_when_signing_up_in_the_web_app_then_the_studio_leads_to_a_first_channel(
    newcomer: Newcomer,
) -> None:
    page = newcomer.broadcaster
    _sign_up(page, newcomer.app_url, EMAIL)
    page.get_by_role("heading", name="Studio", exact=True).wait_for()  # led to the studio, not home
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Studio").is_visible()
    page.get_by_test_id("first-channel-guide").wait_for()
    assert_accessible(page, "studio (first visit)")
    page.get_by_label("Channel name").fill(CHANNEL)
    page.get_by_label("Reconnect window (seconds)").fill("301")
    page.get_by_role("button", name="Create channel").click()
    error = page.locator("[data-field=reconnect_window_seconds] .field-error")
    error.wait_for()  # the API's 400 names the field, and the form puts it there
    assert page.get_by_label("Reconnect window (seconds)").get_attribute("aria-invalid") == "true"
    page.get_by_label("Reconnect window (seconds)").fill(str(WINDOW_SECONDS))
    page.get_by_role("button", name="Create channel").click()
    page.get_by_role("heading", name=CHANNEL).wait_for()
    newcomer.channel_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    newcomer.server = page.get_by_test_id("ingest-server").inner_text()
    newcomer.stream_key = page.get_by_test_id("stream-key").text_content() or ""
    assert newcomer.server.startswith("rtmp://127.0.0.1:") and newcomer.stream_key
    assert newcomer.server in page.get_by_test_id("ffmpeg-command").inner_text()
    assert page.get_by_role("heading", name="OBS").is_visible()
    assert page.get_by_label("Reconnect window (seconds)").input_value() == str(WINDOW_SECONDS)
    assert_accessible(page, "channel settings")


def test_given_another_domain_when_signing_up_then_a_viewer_until_an_admin_grants_the_role(
    newcomer: Newcomer, browser: Any
) -> None:
    visitor_email = "visitor@elsewhere.example"
    pool_id = read_parameter(newcomer.cloud.client("ssm"), STAGE, IdentityParameter.USER_POOL_ID)
    create_user(newcomer.cloud.client("cognito-idp"), pool_id, "root@elsewhere.example", PASSWORD, ["admin"])
    contexts = [browser.new_context(viewport={"width": 1280, "height": 860}) for _ in range(2)]
    for context in contexts:
        context.add_init_script(path=str(AXE))
    visitor, admin = (_page(context) for context in contexts)
    try:
        _sign_up(visitor, newcomer.app_url, visitor_email)
        visitor.get_by_role("heading", name="Live now").wait_for()  # home, not the studio
        assert not visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Studio").count()
        visitor.goto(newcomer.app_url + "studio")
        visitor.get_by_role("heading", name="This page is not for your account").wait_for()
        assert "svideo users grant broadcaster" in visitor.get_by_role("alert").inner_text()
        assert_accessible(visitor, "not allowed")

        admin.goto(newcomer.app_url + "signin")
        admin.get_by_label("Email").fill("root@elsewhere.example")
        admin.get_by_label("Password").fill(PASSWORD)
        admin.get_by_role("button", name="Sign in").click()
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        admin.get_by_role("heading", name="Users and roles").wait_for()
        admin.get_by_label("Email starts with").fill("visitor@")
        admin.get_by_role("button", name="Find users").click()
        grant = admin.get_by_label(f"broadcaster for {visitor_email}")
        grant.wait_for()
        assert not grant.is_checked()
        assert_accessible(admin, "users")
        grant.check()
        admin.get_by_text(f"{visitor_email}: broadcaster granted").wait_for()

        visitor.get_by_role("button", name="Sign out", exact=False).click()  # the role applies from sign-in
        visitor.goto(newcomer.app_url + "signin?next=studio")
        visitor.get_by_label("Email").fill(visitor_email)
        visitor.get_by_label("Password").fill(PASSWORD)
        visitor.get_by_role("button", name="Sign in").click()
        visitor.get_by_role("heading", name="Studio", exact=True).wait_for()
        assert not visitor.problems + admin.problems, visitor.problems + admin.problems
    finally:
        for context in contexts:
            context.close()


def test_given_a_live_broadcast_when_a_viewer_opens_the_live_page_then_it_plays(
    newcomer: Newcomer, tmp_path: Path
) -> None:
    assert newcomer.stream_key, "needs the channel from the first step"
    newcomer.clip = _clip(tmp_path)
    newcomer.push()
    viewer = newcomer.viewer
    viewer.goto(newcomer.app_url)
    viewer.get_by_role("list", name="Live channels").get_by_role("link", name=CHANNEL).click(timeout=30_000)
    viewer.get_by_role("heading", name=CHANNEL).wait_for()
    state = _wait_playing(viewer, advance_seconds=3, timeout_ms=60_000)
    assert state["readyState"] >= 3 and state["currentTime"] - state["startedAt"] >= 3, state
    assert state["src"].startswith("blob:"), (
        f"hls.js (Media Source) plays the stream, not the native player: {state}"
    )
    newcomer.shot(viewer, "live-playing")
    assert_accessible(viewer, "live page")


def test_given_the_broadcast_drops_when_it_resumes_within_the_window_then_the_live_page_plays_again(
    newcomer: Newcomer,
) -> None:
    assert newcomer.pushes, "needs the broadcast from the previous step"
    first = newcomer.pushes[-1]
    first.kill()  # the encoder drops, as a lost connection does
    first.wait()
    studio = newcomer.broadcaster
    studio.goto(newcomer.app_url + f"studio/channels/{newcomer.channel_id}")
    countdown = studio.get_by_test_id("resume-countdown")
    countdown.filter(has_text="for you to resume").wait_for(timeout=30_000)
    left = int(countdown.inner_text().split("Waiting ", 1)[1].split(" s", 1)[0])
    assert 0 < left <= WINDOW_SECONDS, countdown.inner_text()
    newcomer.shot(studio, "studio-resume-countdown")
    assert_accessible(studio, "channel settings (waiting to resume)")

    viewer = newcomer.viewer
    viewer.get_by_text("This channel is offline").wait_for(timeout=30_000)  # the viewer saw the drop
    newcomer.push()  # within the window: the same recording goes on
    state = _wait_playing(viewer, advance_seconds=3, timeout_ms=90_000)
    assert state["readyState"] >= 3 and not state["paused"], state
    countdown.wait_for(state="hidden", timeout=30_000)  # live again: nothing to count down
