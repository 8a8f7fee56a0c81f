"""The generative plugins end to end on the local cloud. The platform stacks (core, identity, video, plugins,
postprocess) and the transcript, titles and avatars plugin stacks are deployed from synthesized templates.
An IVS-style recording of a spoken clip (espeak-ng, a known text on one topic) and its `Recording.Ended` on
the bus become a published video with a transcript of what was said, title candidates naming the topic, a
description, tags, WebVTT captions and PNG avatars, all read through the public API. The broadcaster picks a
title and asks for new ones with feedback (bounded rounds). A video whose transcript plugin is disabled is
still published, without titles or avatars, and the reasons are recorded in its lifecycle results.
The plugin template (`templates/plugin/`, deployed unchanged with IAM enforced) counts the titles' words
after titles, writes its report under its own prefix and projects `word_count`.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import requests

from infra.app import ASSET_METADATA
from infra.lambda_runtime import REPO_ROOT
from infra.naming import ChannelParameter, IdentityParameter, VideoParameter, parameter_name
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import IdentityStack
from infra.stacks.plugins_stack import PluginsStack
from infra.stacks.postprocess_stack import PostprocessStack
from infra.stacks.video_stack import VideoStack
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, poll, read_parameter, sign_in
from plugins.avatars.stack import AvatarsPluginStack
from plugins.titles.stack import TitlesPluginStack
from plugins.transcript.stack import TranscriptPluginStack
from services.plugins.manifest import load_manifest
from services.postprocess.storage import S3Storage
from templates.plugin.stack import WordCountPluginStack
from tests.conftest import DeployAssembly
from tests.e2e.conftest import BusTap, put_event
from tests.ground_truth import have_speech_tools, normalise, speak, word_error_rate
from tests.media import make_ivs_recording

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not have_speech_tools(), reason="espeak-ng and ffmpeg make the spoken clip"),
]

STAGE = "dev"
PASSWORD = "Genai-e2e-Passw0rd!"
RECORDINGS = "genai-e2e-recordings"
PLUGINS = ("transcript", "titles", "avatars")
TEMPLATE = REPO_ROOT / "templates" / "plugin" / "manifest.yaml"  # word-count, `after: [titles]`
TEXT = (
    "Hello and welcome to the beekeeping stream. Today I will show you how to open a beehive and check on "
    "the honey bees. "
    "The queen bee lays the eggs, and the worker bees collect nectar from the flowers. "
    "The bees turn the nectar into honey and store it in the wax comb. "
    "In late summer the beekeeper harvests the honey from the hive."
)
TOPIC = {"bee", "bees", "beehive", "hive", "honey", "beekeeping", "beekeeper"}
TRAILING_SILENCE_S = 3.0  # the recording is 1 s longer than the speech: the looped audio never repeats words
MAX_WER = 0.25


@dataclass
class Platform:
    cloud: LocalCloud
    api_url: str
    tap: BusTap
    developer: str
    owner_token: str
    owner_id: str
    speech: Path
    seconds: float

    def events(self, video_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        return self.tap.of_video(video_id, detail_type)

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        return call_api(self.api_url, method, path, token, body)

    def enable_only(self, *names: str) -> None:
        for name in (*PLUGINS, "word-count"):
            action = "enable" if name in names else "disable"
            status, body = self.api("POST", f"/plugins/{name}/{action}", self.developer)
            assert status == 200, body

    def broadcast(self, recording_id: str) -> str:
        """An IVS-style recording with the spoken clip in the recording bucket, then its `Recording.Ended`."""
        layout = make_ivs_recording(
            S3Storage(self.cloud.client("s3")), self.seconds, bucket=RECORDINGS, recording_id=recording_id,
            renditions=("360p30",), speech_wav=self.speech,
        )  # fmt: skip
        video_id = f"vid-genai-{uuid.uuid4().hex[:12]}"
        meta = {"version": "1", "correlation_id": str(uuid.uuid4()), "occurred_at": "2026-11-22T09:06:00Z"}
        playlist = f"{layout.prefix}/media/hls/360p30/playlist.m3u8"
        detail = {
            "meta": meta,
            "video_id": video_id,
            "channel_id": "ch-genai-e2e",
            "owner_id": self.owner_id,
            "stream_id": "st-genaie2e",
            "recording": {
                "bucket": RECORDINGS,
                "prefix": layout.prefix,
                "duration_ms": int(self.seconds * 1000),
                "renditions": [{"name": "360p30", "playlist_key": playlist}],
            },
        }  # fmt: skip
        ended = {"source": "svideo.channel", "detail-type": "Recording.Ended", "detail": detail}
        put_event(self.cloud, ended, STAGE)
        return video_id

    def video(self, video_id: str) -> dict[str, Any] | None:
        status, body = self.api("GET", f"/videos/{video_id}", self.owner_token)
        return body if status == 200 else None

    def published(self, video_id: str, timeout: float) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            video = self.video(video_id)
            if video and video.get("status") in ("failed", "invalid"):
                raise AssertionError(f"{video_id} ended {video['status']}: {video.get('reason')}")
            return video if video and video.get("status") == "published" else None

        try:
            return poll(reached, timeout=timeout, what=f"{video_id} published")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.story(video_id)}") from None

    def story(self, video_id: str) -> str:
        """What happened to the video (its events) and the last lines of every function's log."""
        lines = [f"{e['detail-type']} {e['source']} {_gist(e['detail'])}" for e in self.events(video_id)]
        for log in sorted((self.cloud.state_dir / "logs").glob("*.log")):
            lines += [f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-6:]]
        return "\n".join(line[:400] for line in lines)

    def results(self, video_id: str) -> dict[str, tuple[str, str | None]]:
        def ended() -> list[dict[str, Any]] | None:
            return self.events(video_id, "Lifecycle.Completed") or None

        [end] = poll(ended, timeout=30, what="its lifecycle's end")
        return {r["plugin"]: (r["status"], r.get("reason")) for r in end["detail"]["results"]}


def _gist(detail: dict[str, Any]) -> str:
    keys = ("plugin", "status", "error", "to", "reason", "verdict", "results")
    return json.dumps({k: detail[k] for k in keys if k in detail})


def _ssm(cloud: LocalCloud, key: str) -> str:
    return read_parameter(cloud.client("ssm"), STAGE, key)


def _sign_in(cloud: LocalCloud, email: str, group: str) -> tuple[str, str]:
    """A new user in `group`: its ID token and `sub`."""
    idp = cloud.client("cognito-idp")
    sub = create_user(idp, _ssm(cloud, IdentityParameter.USER_POOL_ID), email, PASSWORD, [group])
    return sign_in(idp, _ssm(cloud, IdentityParameter.USER_POOL_CLIENT_ID), email, PASSWORD), sub


def _speech(directory: Path) -> tuple[Path, float]:
    """The spoken text as a WAV ending in silence, and how long the recording of it should last."""
    spoken = speak(TEXT, directory / "spoken.wav")
    padded = directory / "beekeeping.wav"
    subprocess.run(["sox", str(spoken), str(padded), "pad", "0", str(TRAILING_SILENCE_S)], check=True)
    probe = subprocess.run(["soxi", "-D", str(spoken)], check=True, capture_output=True, text=True)
    length = float(probe.stdout)
    return padded, round(length + 1.0, 1)


@pytest.fixture(scope="module")
def platform(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> Platform:
    outdir = tmp_path_factory.mktemp("genai.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=str(outdir), context={**context, ASSET_METADATA: True, "genai_mode": "local"})
    core = CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    stacks: list[cdk.Stack] = [
        IdentityStack(app, "IdentityStack", stage=STAGE),
        VideoStack(app, "VideoStack", stage=STAGE),
        PluginsStack(app, "PluginsStack", stage=STAGE),
        TranscriptPluginStack(app, "TranscriptPluginStack", stage=STAGE),
        TitlesPluginStack(app, "TitlesPluginStack", stage=STAGE),
        AvatarsPluginStack(app, "AvatarsPluginStack", stage=STAGE),
        WordCountPluginStack(app, "WordCountPluginStack", stage=STAGE),
        PostprocessStack(app, "PostprocessStack", stage=STAGE),
    ]
    for stack in stacks:
        stack.add_dependency(core)
    app.synth()

    # The channel stack is stood in for by its recording bucket and the SSM parameter naming it.
    local_cloud.client("s3").create_bucket(Bucket=RECORDINGS)
    local_cloud.client("ssm").put_parameter(
        Name=parameter_name(STAGE, ChannelParameter.RECORDING_BUCKET), Value=RECORDINGS, Type="String",
        Overwrite=True,
    )  # fmt: skip
    results = deploy_assembly(outdir)
    failed = [(r.name, r.status) for r in results if r.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE")]
    assert not failed, failed

    tap = BusTap(local_cloud, "genai-e2e", STAGE)
    developer, _ = _sign_in(local_cloud, "genai-dev@example.com", "plugin-developer")
    owner_token, owner_id = _sign_in(local_cloud, "genai-owner@example.com", "broadcaster")
    speech, seconds = _speech(tmp_path_factory.mktemp("speech"))
    platform = Platform(
        cloud=local_cloud, api_url=_ssm(local_cloud, VideoParameter.API_URL).rstrip("/"), tap=tap,
        developer=developer, owner_token=owner_token, owner_id=owner_id, speech=speech,
        seconds=seconds,
    )  # fmt: skip
    for path in [REPO_ROOT / "plugins" / name / "manifest.yaml" for name in PLUGINS] + [TEMPLATE]:
        manifest = load_manifest(path)
        status, body = platform.api("POST", "/plugins", developer, manifest.model_dump(mode="json"))
        assert status == 201, body
    return platform


@pytest.fixture(scope="module")
def spoken(platform: Platform) -> dict[str, Any]:
    """The spoken clip's video, published with every generative plugin and the template enabled."""
    platform.enable_only(*PLUGINS, "word-count")
    started = time.monotonic()
    video_id = platform.broadcast("genaiSpoken1")
    video = platform.published(video_id, timeout=240)
    print(f"\n{video_id} published {time.monotonic() - started:.1f} s after Recording.Ended")
    return video


def _get(url: str) -> requests.Response:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response


def test_given_a_spoken_clip_when_its_recording_ends_then_the_published_transcript_matches_the_speech(
    platform: Platform, spoken: dict[str, Any]
) -> None:
    fields = spoken["fields"]
    assert {p: s for p, (s, _) in platform.results(spoken["video_id"]).items()} == dict.fromkeys(
        (*PLUGINS, "word-count"), "succeeded"
    )
    transcript = _get(fields["transcript_url"]).text
    wer = word_error_rate(TEXT, transcript)
    print(f"transcript WER {wer:.3f}: {transcript!r}")
    assert wer <= MAX_WER, transcript
    assert fields["language"] == "en"
    captions = _get(fields["captions_url"])
    assert captions.text.startswith("WEBVTT") and "-->" in captions.text
    assert "honey" in captions.text.lower()
    [completed] = platform.events(spoken["video_id"], "Transcript.Completed")
    assert completed["detail"]["generation"]["model_id"]


def test_given_a_spoken_how_to_when_titles_are_written_then_the_first_is_how_to_and_all_name_the_topic(
    platform: Platform, spoken: dict[str, Any]
) -> None:
    fields = spoken["fields"]
    titles = [c["title"] for c in fields["title_candidates"]]
    print(f"titles {titles}; description {fields['description']!r}; tags {fields['tags']}")
    assert len(titles) >= 3 and titles[0].startswith("How to "), titles
    assert set(normalise(titles[0])) & TOPIC and sum(bool(set(normalise(t)) & TOPIC) for t in titles) >= 2
    assert spoken["title"] == fields["provisional_title"] == titles[0] and spoken["title_provisional"]
    assert fields["description"] and set(normalise(fields["description"])) & TOPIC
    assert fields["tags"] and len(fields["tags"]) == len({t.lower() for t in fields["tags"]})
    [generated] = platform.events(spoken["video_id"], "Titles.Generated")
    assert generated["detail"]["round"] == 1 and generated["detail"]["generation"]["prompt_version"]


def test_given_the_template_plugin_after_titles_then_it_counts_their_words_under_enforced_iam(
    platform: Platform, spoken: dict[str, Any]
) -> None:
    """The guide's template, deployed as it is: its role may read the media, write only its own prefix and
    publish only as itself, and the local cloud enforces that (a denial would fail the invocation)."""
    fields = spoken["fields"]
    words = sum(len(c["title"].split()) for c in fields["title_candidates"])
    assert words > 0 and fields["word_count"] == words
    bucket = _ssm(platform.cloud, VideoParameter.MEDIA_BUCKET)
    key = f"videos/{spoken['video_id']}/plugins/word-count/report.json"
    report = platform.cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert json.loads(report) == {"words": words}
    [invoked] = [e for e in platform.events(spoken["video_id"], "Plugin.Invoked")
                 if e["detail"]["plugin"] == "word-count"]  # fmt: skip
    assert invoked["detail"]["inputs"]["titles"]["candidates"] == fields["title_candidates"]


def test_given_the_transcript_when_avatars_are_painted_then_each_png_is_reachable_through_the_api(
    spoken: dict[str, Any],
) -> None:
    avatars = spoken["fields"]["avatars"]
    assert 1 <= len(avatars) <= 4
    for avatar in avatars:
        image = _get(avatar["image_url"])
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n"), avatar
        assert avatar["name"] and avatar["description"]


def test_given_candidates_when_the_owner_picks_one_and_asks_for_more_then_the_title_and_rounds_follow(
    platform: Platform, spoken: dict[str, Any]
) -> None:
    video_id = spoken["video_id"]
    status, book = platform.api("GET", f"/videos/{video_id}/titles", platform.owner_token)
    assert status == 200, book
    assert book["round"] == 1 and book["max_rounds"] >= 2
    chosen = book["candidates"][1]
    status, body = platform.api("POST", f"/videos/{video_id}/title", platform.owner_token,
                                {"candidate_id": chosen["candidate_id"]})  # fmt: skip
    assert status == 200, body

    def titled() -> dict[str, Any] | None:
        video = platform.video(video_id)
        return video if video and video.get("title") == chosen["title"] else None

    video = poll(titled, timeout=30, what="the selected title on the video")
    assert video["title_provisional"] is False

    feedbacks = {2: "Shorter please.", 3: "Mention the queen bee."}
    first_titles = [book["candidates"][0]["title"]]
    for expected in range(2, book["max_rounds"] + 1):
        feedback = feedbacks.get(expected, "more formal")
        status, body = platform.api("POST", f"/videos/{video_id}/titles/regenerate", platform.owner_token,
                                    {"feedback": feedback})  # fmt: skip
        assert (status, body["round"]) == (202, expected), body

        def arrived(round_number: int = expected) -> dict[str, Any] | None:
            status, book = platform.api("GET", f"/videos/{video_id}/titles", platform.owner_token)
            done = status == 200 and book["round"] == round_number and book["regenerating_round"] is None
            return book if done else None

        book = poll(arrived, timeout=60, what=f"round {expected} of titles")
        assert len(book["candidates"]) >= 3
        assert all(c["candidate_id"].startswith(f"r{expected}") for c in book["candidates"])
        first_titles.append(book["candidates"][0]["title"])
    print(f"first titles by round: {first_titles}")
    assert len(first_titles[1]) < len(first_titles[0]), first_titles  # "shorter" gave a shorter title
    assert first_titles[1].startswith("How to "), first_titles
    if len(first_titles) > 2:
        assert "queen bee" in first_titles[2].lower(), first_titles

    def announced() -> list[int] | None:  # the tap's copy of the last round may trail the consumer's
        rounds = [e["detail"]["round"] for e in platform.events(video_id, "Titles.Generated")]
        return rounds if len(rounds) >= book["max_rounds"] else None

    rounds = poll(announced, timeout=10, what="every round's Titles.Generated")
    assert rounds == list(range(1, book["max_rounds"] + 1))
    status, body = platform.api("POST", f"/videos/{video_id}/titles/regenerate", platform.owner_token,
                                {"feedback": "shorter"})  # fmt: skip
    assert status == 409, body  # bounded: no round past the configured attempts
    assert platform.video(video_id)["title"] == chosen["title"]  # type: ignore[index]  # a new round keeps the pick


def test_given_no_transcript_when_titles_and_avatars_fail_then_the_video_is_published_with_their_reasons(
    platform: Platform, spoken: dict[str, Any]
) -> None:
    platform.enable_only("titles", "avatars")
    video_id = platform.broadcast("genaiNoTranscript1")
    video = platform.published(video_id, timeout=120)

    results = platform.results(video_id)
    assert set(results) == {"titles", "avatars"}
    for plugin in ("titles", "avatars"):
        outcome, reason = results[plugin]
        assert outcome == "failed" and reason and "no transcript" in reason, results
    assert not {"title_candidates", "avatars", "transcript_key"} & set(video["fields"]), video["fields"]
    status, history = platform.api("GET", f"/videos/{video_id}/history", platform.owner_token)
    assert status == 200, history
    entries = [e for e in history["history"] if e["type"] == "Lifecycle.Completed"]
    assert entries, history
    platform.enable_only(*PLUGINS)
