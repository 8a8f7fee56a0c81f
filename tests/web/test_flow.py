"""The whole product in Chromium, on the local cloud with every stack of `infra.app` deployed.

A broadcaster signs in, creates a channel and pushes a spoken clip over RTMP; an anonymous viewer's home page
shows the channel live and then the published video without reloading; the watch page has the title and a
loaded captions track; the broadcaster picks a title; a plugin developer registers a plugin with a mistake,
sees the error on the field, and fixes it. Every main page passes axe-core (no serious or critical violation).

The steps are separate tests sharing one `Flow`, in order, so a report names the first step that fails.
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

import pytest

from infra.app import build_app
from infra.constructs.plugin import PluginStack
from infra.lambda_runtime import REPO_ROOT
from infra.naming import IdentityParameter, VideoParameter, stack_name
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, read_parameter, sign_in
from services.plugins.manifest import load_manifest
from tests.conftest import DeployAssembly
from tests.e2e.test_plugins import FIXTURES, fixture_code
from tests.web.accessibility import assert_accessible
from tests.web.conftest import console_failures

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

STAGE = "dev"
PASSWORD = "Flow-e2e-Passw0rd!"
EMAIL = "lancer@example.com"
CHANNEL = "Lambda Lancer"
SPEECH = (
    "Welcome to the Lambda Lancer show. Today we deploy a serverless video platform, "
    "and the captions appear while we talk about event driven design."
)
CLIP_SECONDS = 20  # still live when the live card reaches a loaded machine's home page
# What an operator registers after deploying (the stacks deploy the functions, the registry decides who runs).
PLATFORM_PLUGINS = ("duration", "transcript", "titles", "avatars")
PUBLISH_TIMEOUT_MS = 150_000


@dataclass
class Flow:
    """What one step leaves for the next."""

    cloud: LocalCloud
    app_url: str
    shots: Path
    broadcaster: Any = None
    viewer: Any = None
    server: str = ""
    stream_key: str = ""
    video_id: str = ""
    titles: list[str] = field(default_factory=list)
    pushes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def shot(self, page: Any, name: str, *, full_page: bool = False) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def deployed(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> LocalCloud:
    outdir = tmp_path_factory.mktemp("flow.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    # A short reconnect window: the recording ends (and is processed) seconds after the clip.
    app = build_app(str(outdir), {**context, "stage": STAGE, "channel:reconnectWindowSeconds": 2})
    # The plugin the developer registers in the console: its stack is deployed first, as the guide says
    # (registration refuses a plugin whose rule and queue are not there).
    mood_ring = PluginStack(
        app,
        stack_name("MoodRingPluginStack", STAGE),
        stage=STAGE,
        manifest_path=FIXTURES / "mood-ring.yaml",
        handler="tests.e2e.plugin_fixtures.handlers.mood_ring",
        code=fixture_code(),
    )
    for needed in ("CoreStack", "VideoStack"):
        mood_ring.add_dependency(app.node.find_child(stack_name(needed, STAGE)))  # type: ignore[arg-type]
    app.synth()
    deploy_assembly(outdir)
    return local_cloud


@pytest.fixture(scope="module")
def flow(deployed: LocalCloud, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    shots = Path(os.environ.get("SVIDEO_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    _create_user(deployed, EMAIL, ["broadcaster", "plugin-developer"])
    _create_user(deployed, "operator@example.com", ["admin"])
    _register_platform_plugins(deployed, "operator@example.com")
    state = Flow(cloud=deployed, app_url=f"{deployed.endpoint}/web/", shots=shots)
    contexts = [_context(browser), _context(browser)]
    state.broadcaster, state.viewer = (_page(context) for context in contexts)
    yield state
    for push in state.pushes:
        push.kill()
        push.wait()
    # A dropped WebSocket handshake is retried by the app; any other console error fails the module.
    problems = console_failures(state.broadcaster.problems + state.viewer.problems)
    for context in contexts:
        context.close()
    assert not problems, f"console errors: {problems}"


def _context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.add_init_script(path=str(AXE))  # init scripts are not subject to the app's CSP
    return context


def _page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda message: _console(problems, message))
    page.on("pageerror", lambda error: problems.append(str(error)))
    # API 4xx answers belong to the flow (the 422 on a manifest); server errors and missing app files do not.
    page.on("response", lambda response: _response(problems, response))
    page.problems = problems
    return page


def _console(problems: list[str], message: Any) -> None:
    # Chromium logs every non-2xx fetch as "Failed to load resource"; `_response` judges those with their URL.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _response(problems: list[str], response: Any) -> None:
    if response.status >= 500 or (response.status == 404 and "/web/" in response.url):
        problems.append(f"{response.status} {response.url}")


AXE = REPO_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def _create_user(cloud: LocalCloud, email: str, groups: list[str]) -> None:
    """The local Cognito's admin API, as an administrator would grant roles."""
    pool_id = _ssm(cloud, IdentityParameter.USER_POOL_ID)
    create_user(cloud.client("cognito-idp"), pool_id, email, PASSWORD, groups)


def _ssm(cloud: LocalCloud, key: str) -> str:
    return read_parameter(cloud.client("ssm"), STAGE, key)


def _register_platform_plugins(cloud: LocalCloud, email: str) -> None:
    """POST /plugins with each platform plugin's manifest, as `svideo plugins register` does."""
    client_id = _ssm(cloud, IdentityParameter.USER_POOL_CLIENT_ID)
    token = sign_in(cloud.client("cognito-idp"), client_id, email, PASSWORD)
    api = _ssm(cloud, VideoParameter.API_URL)
    for name in PLATFORM_PLUGINS:
        manifest = load_manifest(REPO_ROOT / "plugins" / name / "manifest.yaml").model_dump(mode="json")
        status, body = call_api(api, "POST", "/plugins", token, manifest)
        assert status == 201, (name, body)


def _spoken_clip(folder: Path) -> Path:
    """A test pattern with espeak-ng saying SPEECH: words the transcript and titles can be checked against."""
    speech, clip = folder / "speech.wav", folder / "clip.flv"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), SPEECH], check=True, capture_output=True)
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc=size=640x360:rate=30:duration={CLIP_SECONDS}",
        "-i", str(speech), "-af", "apad", "-t", str(CLIP_SECONDS),
        "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-ar", "44100", str(clip),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return clip


def _record(flow: Flow) -> Any:
    """The video's record and history as its owner sees them: what a failed wait reports."""
    return flow.broadcaster.evaluate(
        """async (id) => {
          const config = await (await fetch("config.json")).json();
          const token = JSON.parse(sessionStorage.getItem("svideo.session")).idToken;
          const headers = { Authorization: `Bearer ${token}` };
          const get = async (path) => (await fetch(config.apiUrl + path, { headers })).json();
          const video = await get(`/videos/${id}`);
          const history = await get(`/videos/${id}/history`);
          const types = (history.history || []).map((entry) => entry.type);
          return { status: video.status, fields: video.fields, history: types };
        }""",
        flow.video_id,
    )


def _push(flow: Flow, clip: Path) -> subprocess.Popen[bytes]:
    """The clip over RTMP in real time, as OBS would send it."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", str(clip), "-c", "copy",
               "-f", "flv", f"{flow.server}{flow.stream_key}"]  # fmt: skip
    push = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    flow.pushes.append(push)
    return push


def test_given_a_broadcaster_when_signing_in_and_creating_a_channel_then_the_ingest_settings_show(
    flow: Flow,
) -> None:
    page = flow.broadcaster
    page.goto(flow.app_url + "studio")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Studio", exact=True).wait_for()
    page.get_by_label("Channel name").fill(CHANNEL)
    page.get_by_role("button", name="Create channel").click()
    page.get_by_role("heading", name=CHANNEL).wait_for()
    flow.server = page.get_by_test_id("ingest-server").inner_text()
    flow.stream_key = page.get_by_test_id("stream-key").text_content() or ""
    assert flow.server.startswith("rtmp://127.0.0.1:")
    assert flow.stream_key, "the new key is shown once, masked until revealed"
    assert not page.get_by_test_id("stream-key").is_visible()
    page.get_by_role("button", name="Reveal key").click()
    assert page.get_by_test_id("stream-key").is_visible()
    assert flow.server in page.get_by_test_id("ffmpeg-command").inner_text()


def test_given_a_viewer_on_home_when_the_channel_goes_live_then_it_appears_without_reloading(
    flow: Flow, tmp_path: Path
) -> None:
    assert flow.stream_key, "needs the channel from the previous step"
    viewer = flow.viewer
    viewer.goto(flow.app_url)
    viewer.get_by_role("heading", name="Live now").wait_for()
    viewer.locator("html[data-live=subscribed]").wait_for()  # the WebSocket is connected and subscribed
    _push(flow, _spoken_clip(tmp_path))
    live_card = viewer.get_by_role("list", name="Live channels").get_by_role("link", name=CHANNEL)
    live_card.wait_for(timeout=30_000)
    assert viewer.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    assert_accessible(viewer, "home (live)")


def test_given_the_broadcast_ended_when_processing_finishes_then_the_viewer_sees_the_published_video(
    flow: Flow,
) -> None:
    assert flow.pushes, "needs the broadcast from the previous step"
    push = flow.pushes[-1]
    assert push.wait(timeout=CLIP_SECONDS + 30) == 0, push.stderr.read() if push.stderr else ""
    page = flow.broadcaster
    page.goto(flow.app_url + "studio")
    row = page.get_by_role("table").get_by_role("link").first
    row.wait_for(timeout=60_000)
    flow.video_id = (row.get_attribute("href") or "").rsplit("/", 1)[-1]
    assert flow.video_id

    card = flow.viewer.locator(f"ul[aria-label='Recent videos'] a[href$='watch/{flow.video_id}']")
    try:
        card.wait_for(timeout=PUBLISH_TIMEOUT_MS)  # the home page updates from the video.published push
    except Exception as exc:
        raise AssertionError(f"not on the viewer's home page; the API says: {_record(flow)}") from exc
    assert card.inner_text().strip()


def test_given_a_published_video_when_watched_then_title_captions_and_transcript_show(flow: Flow) -> None:
    assert flow.video_id, "needs the published video from the previous step"
    viewer = flow.viewer
    viewer.goto(flow.app_url + f"watch/{flow.video_id}")
    title = viewer.locator("h1.video-title")
    title.wait_for()
    assert title.inner_text() != "Untitled video", f"no title projected: {_record(flow)}"
    track = viewer.locator("video track[kind=captions]")
    assert track.count() == 1, "the record carries a captions URL (fields.captions_url)"
    viewer.wait_for_function(
        "() => { const t = document.querySelector('video').textTracks[0];"
        " return document.querySelector('track').readyState === 2 && t.cues && t.cues.length > 0; }"
    )
    cues = viewer.evaluate(
        "Array.from(document.querySelector('video').textTracks[0].cues, c => c.text).join(' ')"
    )
    assert "lambda" in cues.lower() or "serverless" in cues.lower(), cues
    viewer.get_by_role("button", name="Play from 0:00", exact=False).first.wait_for()
    # Paused mid-clip, the default captions track shows a cue on the picture.
    viewer.evaluate(
        "() => new Promise((done) => { const v = document.querySelector('video');"
        " v.addEventListener('seeked', done, { once: true }); v.currentTime = 3; })"
    )
    viewer.wait_for_function("() => document.querySelector('video').textTracks[0].activeCues?.length > 0")
    flow.shot(viewer, "watch-captions")
    assert_accessible(viewer, "watch")


def test_given_title_candidates_when_the_broadcaster_picks_one_then_it_becomes_the_title(flow: Flow) -> None:
    assert flow.video_id, "needs the published video"
    page = flow.broadcaster
    page.goto(flow.app_url + f"studio/videos/{flow.video_id}")
    page.get_by_role("heading", name="History").wait_for()
    page.locator("ol.timeline li").first.wait_for()
    choices = page.get_by_role("radiogroup").or_(page.locator("fieldset")).get_by_role("radio")
    choices.first.wait_for()
    assert choices.count() >= 3
    second = page.locator("fieldset .choice label").nth(1).inner_text().split(" — from:")[0]
    choices.nth(1).check()
    plugin_table = page.locator("table", has=page.locator("caption", has_text="Latest result of each plugin"))
    plugin_table.wait_for()
    cells = plugin_table.locator("tbody tr").evaluate_all(
        "rows => rows.map((row) => Array.from(row.cells, (cell) => cell.textContent.trim()))"
    )
    rows = {row[0]: row[1:] for row in cells}
    assert set(rows) == set(PLATFORM_PLUGINS), rows  # one row per plugin, from its history entries
    assert rows["transcript"][:2] == ["preMetadata", "Succeeded"], rows
    flow.shot(page, "studio-video", full_page=True)  # history, title candidates and the per-plugin table
    assert_accessible(page, "studio video")
    page.get_by_role("button", name="Use this title").click()
    page.get_by_test_id("current-title").filter(has_text=second).wait_for()
    flow.viewer.goto(flow.app_url + f"watch/{flow.video_id}")
    flow.viewer.locator("h1.video-title", has_text=second).wait_for(timeout=30_000)


def test_given_a_manifest_with_a_mistake_when_registered_then_the_field_shows_it_and_the_fix_registers(
    flow: Flow,
) -> None:
    page = flow.broadcaster
    page.goto(flow.app_url + "plugins/new")
    page.get_by_role("heading", name="Register a plugin").wait_for()
    page.locator("[data-field=name] input").fill("mood-ring")
    page.get_by_label("Version").fill("1.0")  # not a semantic version
    page.get_by_label("Author").fill("Lancer")
    page.get_by_label("Description").fill("Guesses the mood of a video from its transcript.")
    page.get_by_role("button", name="Register plugin").click()
    version = page.locator("[data-field=version]")
    version.locator(".field-error").wait_for()
    assert page.get_by_label("Version").get_attribute("aria-invalid") == "true"
    assert page.locator("[data-field=name] .field-error").is_hidden()
    assert page.evaluate("document.activeElement.name") == "version"
    flow.shot(page, "plugin-console-error")
    assert_accessible(page, "plugin registration")
    page.get_by_label("Version").fill("1.0.0")
    page.get_by_role("button", name="Register plugin").click()
    page.get_by_role("heading", name="mood-ring").wait_for()
    page.goto(flow.app_url + "plugins")
    page.get_by_role("link", name="mood-ring").wait_for()
    assert_accessible(page, "plugin console")


def test_given_a_published_video_when_the_channel_is_live_again_then_home_shows_both(
    flow: Flow, tmp_path: Path
) -> None:
    assert flow.video_id, "needs the published video"
    viewer = flow.viewer
    viewer.goto(flow.app_url)
    viewer.locator("html[data-live=subscribed]").wait_for()
    _push(flow, _spoken_clip(tmp_path))
    viewer.get_by_role("list", name="Live channels").get_by_role("link", name=CHANNEL).wait_for()
    viewer.locator(f"ul[aria-label='Recent videos'] a[href$='watch/{flow.video_id}'] img").first.wait_for()
    flow.shot(viewer, "home")
    assert_accessible(viewer, "home")
