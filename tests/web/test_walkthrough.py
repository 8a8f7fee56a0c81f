"""The platform walked as its two users do, in Chromium, on the local cloud with every stack of `infra.app`.

A newcomer signs up in the web app with an address of the stage's broadcaster domain, creates a channel and
goes live over RTMP with a spoken clip; an anonymous viewer watches the live page play while the channel page
shows the channel live, since when and one viewer. The recording is published by the platform's plugins while
the studio shows the plugins at work as they are pushed; the viewer finds the video in search by a word of its
transcript, and the anonymous record carries none of the private fields (owner id, reasons, candidates,
feedback). The broadcaster asks for new titles and the studio shows the new round without a reload. Then the
broadcaster deletes the video, and every table and bucket of the local cloud is listed: nothing of the video
is left but its tombstone. Bad input (an unknown channel, an over-long name, a query with no word) is refused
naming the field.

The steps are separate tests sharing one `Walk`, in order, so a report names the first step that fails.
Screenshots go to `$SVIDEO_SCREENSHOTS` when set (`docs/screenshots` for the README), else to a temp dir.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_app
from infra.lambda_runtime import REPO_ROOT
from infra.naming import IdentityParameter, VideoParameter
from infra.stacks.identity_stack import BROADCASTER_DOMAINS_CONTEXT
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, read_parameter, sign_in
from services.plugins.manifest import load_manifest
from services.video.search import words
from tests.conftest import DeployAssembly
from tests.web.accessibility import assert_accessible
from tests.web.conftest import console_failures
from tests.web.test_flow import AXE, PLATFORM_PLUGINS, _page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

STAGE = "dev"
DOMAIN = "walk.example"
EMAIL = f"ada@{DOMAIN}"
PASSWORD = "Walkthrough-e2e-Passw0rd!"
CHANNEL = "Sourdough Sunrise"
SPEECH = (
    "Good morning and welcome to the bakery. Today we feed the sourdough starter with rye flour, "
    "fold the dough every half hour, and bake the loaves in a very hot oven until the crust crackles."
)
CLIP_SECONDS = 45  # long enough for the live page to play a few seconds of it
WINDOW_SECONDS = 2  # the recording ends, and is processed, seconds after the clip
PUBLISH_TIMEOUT_MS = 300_000
FEEDBACK = "Mention the rye flour please"
# What the anonymous record must never carry (docs/api.md, "The public record").
PRIVATE_KEYS = {"owner_id", "reason", "compute", "updated_at"}
PRIVATE_FIELDS = {"title_candidates", "provisional_title"}


@dataclass
class Walk:
    cloud: LocalCloud
    app_url: str
    api_url: str
    shots: Path
    broadcaster: Any
    viewer: Any
    channel_id: str = ""
    server: str = ""
    stream_key: str = ""
    video_id: str = ""
    pushes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def shot(self, page: Any, name: str, *, full_page: bool = False) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)

    def on_app(self, page: Any) -> Any:
        """Requests go from the app's origin, as the app's own do (the API's CORS admits it)."""
        if not page.url.startswith(self.app_url):
            page.goto(self.app_url)
            page.get_by_role("heading", name="Live now").wait_for()
        return page

    def owner_get(self, path: str) -> Any:
        """A GET as the signed-in broadcaster, from the broadcaster's page (its session's ID token)."""
        return self.on_app(self.broadcaster).evaluate(
            """async ([api, path]) => {
              const token = JSON.parse(sessionStorage.getItem("svideo.session")).idToken;
              const response = await fetch(api + path, { headers: { Authorization: `Bearer ${token}` } });
              return { status: response.status, body: await response.json().catch(() => null) };
            }""",
            [self.api_url, path],
        )

    def anonymous_get(self, path: str) -> Any:
        """A GET with no token, from the anonymous viewer's page."""
        return self.on_app(self.viewer).evaluate(
            """async ([api, path]) => {
              const response = await fetch(api + path);
              return { status: response.status, body: await response.json().catch(() => null) };
            }""",
            [self.api_url, path],
        )


@pytest.fixture(scope="module")
def deployed(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> LocalCloud:
    outdir = tmp_path_factory.mktemp("walk.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    build_app(str(outdir), {**context, "stage": STAGE, BROADCASTER_DOMAINS_CONTEXT: DOMAIN}).synth()
    deploy_assembly(outdir)
    return local_cloud


def _ssm(cloud: LocalCloud, key: str) -> str:
    return read_parameter(cloud.client("ssm"), STAGE, key)


def _register_platform_plugins(cloud: LocalCloud) -> None:
    """An operator registers the built-in plugins after deploying (README), as `svideo plugins register`."""
    pool_id = _ssm(cloud, IdentityParameter.USER_POOL_ID)
    create_user(cloud.client("cognito-idp"), pool_id, "operator@ops.example", PASSWORD, ["admin"])
    token = sign_in(
        cloud.client("cognito-idp"),
        _ssm(cloud, IdentityParameter.USER_POOL_CLIENT_ID),
        "operator@ops.example",
        PASSWORD,
    )
    api = _ssm(cloud, VideoParameter.API_URL)
    for name in PLATFORM_PLUGINS:
        manifest = load_manifest(REPO_ROOT / "plugins" / name / "manifest.yaml").model_dump(mode="json")
        status, body = call_api(api, "POST", "/plugins", token, manifest)
        assert status == 201, (name, body)


@pytest.fixture(scope="module")
def walk(deployed: LocalCloud, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    shots = Path(os.environ.get("SVIDEO_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    _register_platform_plugins(deployed)
    contexts = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.add_init_script(path=str(AXE))
        contexts.append(context)
    state = Walk(
        cloud=deployed,
        app_url=f"{deployed.endpoint}/web/",
        api_url=_ssm(deployed, VideoParameter.API_URL),
        shots=shots,
        broadcaster=_page(contexts[0]),
        viewer=_page(contexts[1]),
    )
    yield state
    for push in state.pushes:
        push.kill()
        push.wait()
    # A WebSocket handshake the loaded local cloud drops is retried by the app (with back-off), and the steps
    # above check that the pushes arrive; any other console error fails the walk.
    problems = console_failures(state.broadcaster.problems + state.viewer.problems)
    for context in contexts:
        context.close()
    assert not problems, f"console errors: {problems}"


def _spoken_clip(folder: Path) -> Path:
    """A test pattern with espeak-ng saying SPEECH, padded to CLIP_SECONDS."""
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


PLAYING = """(seconds) => {
  const video = document.querySelector("video");
  if (!video || video.readyState < 3) return false;
  video.dataset.startedAt ??= String(video.currentTime);
  return video.currentTime - Number(video.dataset.startedAt) >= seconds;
}"""


def test_given_a_newcomer_when_signing_up_in_the_web_app_then_they_create_a_channel(walk: Walk) -> None:
    page = walk.broadcaster
    page.goto(walk.app_url + "signup")
    page.get_by_role("heading", name="Create an account").wait_for()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Confirm your email").wait_for()
    page.get_by_label("Confirmation code").fill("123456")  # the local Cognito sends no email, takes any code
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.get_by_role("heading", name="Studio", exact=True).wait_for()  # a broadcaster by their domain
    # The form stops at 100 characters; the API refuses a longer name itself, naming the field.
    assert page.get_by_label("Channel name").get_attribute("maxlength") == "100"
    long_name = page.evaluate(
        """async ([api, name]) => {
          const token = JSON.parse(sessionStorage.getItem("svideo.session")).idToken;
          const response = await fetch(api + "/channels", { method: "POST", body: JSON.stringify({ name }),
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } });
          return { status: response.status, body: await response.json() };
        }""",
        [walk.api_url, "x" * 101],
    )
    assert long_name["status"] == 400 and "body.name" in json.dumps(long_name["body"]), long_name
    page.get_by_label("Channel name").fill(CHANNEL)
    page.get_by_label("Reconnect window (seconds)").fill(str(WINDOW_SECONDS))
    page.get_by_role("button", name="Create channel").click()
    page.get_by_role("heading", name=CHANNEL).wait_for()
    walk.channel_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    walk.server = page.get_by_test_id("ingest-server").inner_text()
    walk.stream_key = page.get_by_test_id("stream-key").text_content() or ""
    assert walk.server.startswith("rtmp://127.0.0.1:") and walk.stream_key


def test_given_an_unknown_channel_when_its_page_is_opened_then_the_viewer_is_told_so(walk: Walk) -> None:
    unknown = walk.anonymous_get("/channels/ch-000000000000")
    assert unknown["status"] == 404 and unknown["body"]["message"], unknown
    malformed = walk.anonymous_get("/channels/not-a-channel")
    assert malformed["status"] == 400 and "channel_id" in json.dumps(malformed["body"]), malformed
    walk.viewer.goto(walk.app_url + "channels/ch-000000000000")
    walk.viewer.get_by_role("heading", name="This channel is not available").wait_for()


def test_given_a_live_broadcast_when_watched_then_the_live_page_plays_and_the_channel_page_counts_it(
    walk: Walk, tmp_path: Path
) -> None:
    assert walk.stream_key, "needs the channel from the first step"
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", str(_spoken_clip(tmp_path)),
               "-c", "copy", "-f", "flv", f"{walk.server}{walk.stream_key}"]  # fmt: skip
    walk.pushes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    viewer = walk.viewer
    viewer.goto(walk.app_url)
    viewer.get_by_role("list", name="Live channels").get_by_role("link", name=CHANNEL).click(timeout=30_000)
    viewer.get_by_role("heading", name=CHANNEL).wait_for()
    channel = walk.broadcaster  # the channel's page, while the viewer's player starts
    channel.goto(walk.app_url + f"channels/{walk.channel_id}")
    channel.get_by_role("heading", name=CHANNEL).wait_for()
    channel.get_by_test_id("channel-state").filter(has_text="Live since").wait_for(timeout=60_000)
    viewer.wait_for_function(PLAYING, arg=3, timeout=60_000, polling=250)
    walk.shot(viewer, "walkthrough-live-playing")
    # The viewer's player fetches every live segment: the ingest counts it (IVS viewerCount on AWS).
    for _ in range(20):
        count = channel.get_by_test_id("viewer-count")
        if count.count() and int(count.inner_text().split()[0]) >= 1:
            break
        time.sleep(1)
        channel.reload()
        channel.get_by_role("heading", name=CHANNEL).wait_for()
    assert int(channel.get_by_test_id("viewer-count").inner_text().split()[0]) >= 1
    assert_accessible(channel, "channel page (live)")


def test_given_the_broadcast_ended_when_processing_runs_then_the_studio_shows_plugins_at_work(
    walk: Walk,
) -> None:
    assert walk.pushes, "needs the broadcast"
    push = walk.pushes[-1]
    assert push.wait(timeout=CLIP_SECONDS + 60) == 0, push.stderr.read() if push.stderr else ""
    page = walk.broadcaster
    page.goto(walk.app_url + "studio")
    row = page.get_by_role("table").get_by_role("link").first
    row.wait_for(timeout=90_000)
    walk.video_id = (row.get_attribute("href") or "").rsplit("/", 1)[-1]
    assert walk.video_id
    row.click()
    page.get_by_role("heading", name="History").wait_for()
    page.evaluate("window.__walkNoReload = true")
    # Plugin progress arrives as live updates (video.plugin), one entry per plugin with its state.
    progress = page.get_by_test_id("plugin-progress").locator("li[data-plugin]")
    progress.first.wait_for(timeout=PUBLISH_TIMEOUT_MS)
    page.locator("[data-testid=plugin-progress] li[data-plugin=titles][data-state=succeeded]").wait_for(
        timeout=PUBLISH_TIMEOUT_MS
    )
    assert page.evaluate("window.__walkNoReload === true"), "the studio updated itself, without a reload"


def test_given_the_published_video_when_searched_by_a_transcript_word_then_the_viewer_finds_it(
    walk: Walk,
) -> None:
    assert walk.video_id, "needs the video"
    record: dict[str, Any] = {}
    for _ in range(PUBLISH_TIMEOUT_MS // 2000):
        record = walk.anonymous_get(f"/videos/{walk.video_id}")
        if record["status"] == 200:
            break
        time.sleep(2)
    assert record["status"] == 200, f"not published: {walk.owner_get(f'/videos/{walk.video_id}')}"
    video = record["body"]
    transcript = walk.viewer.evaluate(
        "async (url) => (await fetch(url)).text()", video["fields"]["transcript_url"]
    )
    # A spoken word, preferably one only the transcript has (the extractive description may quote it all).
    title = set(words(video["title"] or ""))
    described = title | set(words(video["fields"].get("description", "")))
    spoken = [w for w in words(transcript) if len(w) > 3 and not w.isdigit() and w not in title]
    assert spoken, f"the transcript has words the title does not: {transcript!r}"
    word = next((w for w in spoken if w not in described), spoken[0])

    viewer = walk.viewer
    viewer.goto(walk.app_url)
    viewer.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    box = viewer.get_by_label("Search videos")
    box.fill("the of")  # no word to look up: the API's 400 names the field, the form shows it there
    viewer.get_by_role("button", name="Search", exact=True).click()
    viewer.locator("[data-field=q] .field-error").wait_for()
    assert box.get_attribute("aria-invalid") == "true"
    box.fill(word)
    viewer.get_by_role("button", name="Search", exact=True).click()
    result = viewer.get_by_role("list", name="Search results").locator(f"a[href$='watch/{walk.video_id}']")
    result.wait_for(timeout=30_000)
    assert re.search(rf"[?&]q={re.escape(word)}(&|$)", viewer.url), viewer.url  # the query is in the URL
    assert CHANNEL in result.inner_text()  # the channel's name on the card
    walk.shot(viewer, "walkthrough-search-results")
    assert_accessible(viewer, "search results")
    viewer.reload()  # the URL alone brings the same results back
    result.wait_for()
    result.click()
    viewer.get_by_test_id("channel-link").filter(has_text=CHANNEL).wait_for()


def test_given_the_published_video_when_read_anonymously_then_no_private_field_is_there(walk: Walk) -> None:
    assert walk.video_id, "needs the video"
    public = walk.anonymous_get(f"/videos/{walk.video_id}")["body"]
    me = walk.owner_get("/me")["body"]
    book = walk.owner_get(f"/videos/{walk.video_id}/titles")["body"]
    candidate_ids = re.findall(r'"candidate_id": ?"([^"]+)"', json.dumps(book))
    assert candidate_ids, book
    text = json.dumps(public)
    assert not PRIVATE_KEYS & set(public), public
    assert not PRIVATE_FIELDS & set(public["fields"]), public["fields"]
    assert me["sub"] not in text, "the owner's user id is not public"
    assert not [c for c in candidate_ids if f'"{c}"' in text], "no candidate is public"
    assert public["channel_name"] == CHANNEL
    for listed in (
        "/videos?limit=50",
        f"/channels/{walk.channel_id}/videos",
        f"/search?q={public['title'].split()[0]}",
    ):
        body = walk.anonymous_get(listed)["body"]
        assert me["sub"] not in json.dumps(body), listed
    # The owner still sees everything in the studio.
    full = walk.owner_get(f"/videos/{walk.video_id}")["body"]
    assert full["owner_id"] == me["sub"] and "title_candidates" in full["fields"]


def test_given_the_owner_asks_for_new_titles_then_the_round_arrives_without_a_reload(walk: Walk) -> None:
    assert walk.video_id, "needs the video"
    page = walk.broadcaster
    page.goto(walk.app_url + f"studio/videos/{walk.video_id}")
    labels = page.locator("fieldset .choice label")
    labels.first.wait_for()
    before = labels.all_inner_texts()
    page.evaluate("window.__walkNoReload = true")
    page.get_by_label("What should the new titles do differently?").fill(FEEDBACK)
    page.get_by_role("button", name="Suggest new titles").click()
    page.wait_for_function(
        "(before) => { const now = Array.from(document.querySelectorAll('fieldset .choice label'),"
        " (l) => l.innerText); return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before); }",
        arg=before,
        timeout=120_000,
    )
    assert page.evaluate("window.__walkNoReload === true"), "the new round came as a live update"
    public = walk.anonymous_get(f"/videos/{walk.video_id}")["body"]
    assert FEEDBACK not in json.dumps(public), "feedback rounds are not public"


@dataclass(frozen=True)
class Remnant:
    where: str  # table name or bucket name
    what: dict[str, Any]  # the item (DynamoDB JSON) or {"Key": key}

    def __str__(self) -> str:
        return f"{self.where}: {json.dumps(self.what)[:400]}"


def _remnants(cloud: LocalCloud, video_id: str, prefixes: tuple[tuple[str, str], ...] = ()) -> list[Remnant]:
    """Every item of every table and every object of every bucket that names the video (or lies under one of
    its raw recording's `prefixes`: IVS's keys carry no video id)."""
    found = []
    dynamodb = cloud.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            found += [Remnant(table, item) for item in page["Items"] if video_id in json.dumps(item)]
    s3 = cloud.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                key = item["Key"]
                if video_id in key or any(name == b and key.startswith(p + "/") for b, p in prefixes):
                    found.append(Remnant(name, {"Key": key}))
    return found


def _allowed(remnant: Remnant) -> bool:
    """What stays by design (docs/api.md): the catalog's tombstone and the deletion's own outbox item (the
    table's TTL removes it once the Pipes carried it), and post-processing's ledger item (its lease and
    outcome, so a redelivered recording is not processed again)."""
    if remnant.where.endswith("-videos"):
        sort_key = remnant.what["SK"]["S"]
        tombstone = (
            sort_key == "VIDEO" and remnant.what["status"]["S"] == "deleted" and "titles" not in remnant.what
        )
        return tombstone or sort_key.startswith("OUTBOX#")
    return "postprocess" in remnant.where.lower() and "Key" not in remnant.what


def test_given_the_video_when_its_owner_deletes_it_then_no_table_or_bucket_holds_anything_of_it(
    walk: Walk,
) -> None:
    assert walk.video_id, "needs the video"
    before = _remnants(walk.cloud, walk.video_id)
    recordings = tuple(
        (r.what["recording_bucket"]["S"], r.what["recording_prefix"]["S"])
        for r in before
        if r.what.get("pk", {}).get("S") == f"video#{walk.video_id}" and "recording_prefix" in r.what
    )
    assert recordings, "the channel service knows where the raw recording lies"
    before = _remnants(walk.cloud, walk.video_id, recordings)
    assert any("ivs/" in r.what.get("Key", "") for r in before), "the raw recording is there before"
    assert any(r.what.get("Key", "").startswith(f"videos/{walk.video_id}/") for r in before), "and the media"
    page = walk.broadcaster
    page.goto(walk.app_url + f"studio/videos/{walk.video_id}")
    page.get_by_role("heading", name="Delete this video").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete video").click()
    page.get_by_role("heading", name="Studio", exact=True).wait_for()
    left: list[Remnant] = []
    for _ in range(60):  # every service forgets it from its own queue
        left = [r for r in _remnants(walk.cloud, walk.video_id, recordings) if not _allowed(r)]
        if not left:
            break
        time.sleep(2)
    assert left == [], "\n".join(map(str, left))
    assert walk.owner_get(f"/videos/{walk.video_id}")["status"] == 404
    assert walk.anonymous_get(f"/search?q={CHANNEL.split()[0]}")["body"]["videos"] == []
