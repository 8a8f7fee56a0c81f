"""Chaos on the local cloud: no valid video is lost. The platform stacks (core, identity, video, plugins,
post-processing) and two misbehaving plugins are deployed from synthesized templates; real IVS-style
recordings are post-processed by the real Lambda function and enriched by the real lifecycle.

1. A plugin that crashes (`crasher`) and one that never answers (`silent`, 3 s timeout) run on every video:
   their failure and timeout are recorded, the video is still published.
2. The post-processing function's runtime is killed (SIGKILL, found in the process list as the parent of the
   ffmpeg stitching the video) in the middle of the stitch: SQS delivers the job again after its visibility
   timeout, the second attempt stitches it and the video is published well before its processing deadline.
   The stage is deployed with a 10 s post-processing timeout (CDK context), so the jobs queue's visibility
   timeout is 60 s instead of the 3,000 s that follow from the 900 s default.
3. The catalog goes down (its event source mapping is disabled, as an operator would stop it) while videos are
   recorded, processed and enriched; its retries run out, leaving its events in its dead-letter queue in no
   particular order and some twice (the test moves the inbox's messages there shuffled, with duplicates: eight
   real receives at the queue's visibility timeout would take the better part of an hour). One video's
   `Recording.Ended` is lost altogether: the catalog knows it only from later events.
4. The catalog comes back and the operator runs `svideo dlq redrive`: every video reaches a terminal status,
   every valid one is published with its media, and no dead-letter queue holds anything.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cli.main import main as cli_main
from infra.constructs.plugin import PluginStack
from infra.lambda_runtime import REPO_ROOT
from infra.naming import ChannelParameter, IdentityParameter, VideoParameter, parameter_name
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import IdentityStack
from infra.stacks.plugins_stack import PluginsStack
from infra.stacks.postprocess_stack import PostprocessStack
from infra.stacks.video_stack import VideoStack
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, poll, read_parameter, sign_in
from services.plugins.manifest import load_manifest
from services.postprocess import config as postprocess_config
from services.postprocess.storage import S3Storage
from shared import deadlines
from tests.conftest import DeployAssembly
from tests.e2e.conftest import BusTap, put_event
from tests.e2e.test_plugins import FIXTURES, fixture_code
from tests.media import make_ivs_recording

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
STAGE = "dev"
PASSWORD = "Chaos-e2e-Passw0rd!"
RECORDINGS = "chaos-recordings"
PLUGINS = ("crasher", "silent")  # both deployed: crasher fails, silent answers nothing and times out
CATALOG_TYPES = {"Recording.Ended", "Video.Processed", "Video.ProcessingFailed", "Lifecycle.Completed"}
# The stage's post-processing timeout: the jobs queue's visibility timeout follows (six times 10 s).
PROCESSING_TIMEOUT_S = 10


@dataclass
class Chaos:
    cloud: LocalCloud
    api_url: str
    tap: BusTap
    owner_token: str
    owner_id: str
    inbox_url: str
    inbox_arn: str
    dead_letters_url: str
    processor: str  # the post-processing function's name
    ledger: str  # its ledger table

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        return call_api(self.api_url, method, path, token, body)

    def video(self, video_id: str) -> dict[str, Any] | None:
        status, body = self.api("GET", f"/videos/{video_id}", self.owner_token)
        return body if status == 200 else None

    def settled(self, video_id: str, status: str, timeout: float = 90) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            video = self.video(video_id)
            return video if video and video.get("status") == status else None

        return poll(reached, timeout=timeout, what=f"{video_id} {status} in the video API")

    def record(self, seconds: float, *, spoil: bool = False) -> str:
        """A recording in the recording bucket and its Recording.Ended on the bus, as the channel emits it."""
        video_id = f"vid-chaos-{uuid.uuid4().hex[:12]}"
        s3 = self.cloud.client("s3")
        layout = make_ivs_recording(
            S3Storage(s3), seconds, bucket=RECORDINGS, recording_id=video_id[-12:], renditions=("360p30",)
        )
        if spoil:  # the master playlist is gone: a permanent media error
            s3.delete_object(Bucket=RECORDINGS, Key=f"{layout.prefix}/media/hls/master.m3u8")
        detail = {
            "meta": {
                "version": "1",
                "correlation_id": str(uuid.uuid4()),
                "occurred_at": "2026-12-04T01:00:00Z",
            },
            "video_id": video_id,
            "channel_id": "ch-chaos",
            "owner_id": self.owner_id,
            "stream_id": "st-chaos1",
            "recording": {
                "bucket": RECORDINGS,
                "prefix": layout.prefix,
                "duration_ms": int(seconds * 1000),
                "renditions": [
                    {"name": "360p30", "playlist_key": f"{layout.prefix}/media/hls/360p30/playlist.m3u8"}
                ],
            },
        }
        put_event(
            self.cloud, {"source": "svideo.channel", "detail-type": "Recording.Ended", "detail": detail}
        )
        return video_id

    def ended(self, video_id: str) -> str:
        """The detail-type that ends the video's pipeline upstream of the catalog (once seen on the bus)."""

        def seen() -> str | None:
            types = {e["detail-type"] for e in self.tap.of_video(video_id)}
            return next((t for t in ("Lifecycle.Completed", "Video.ProcessingFailed") if t in types), None)

        return poll(seen, timeout=120, what=f"the end of {video_id}'s pipeline")

    def catalog_mapping(self) -> str:
        mappings = self.cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        return str(next(m["UUID"] for m in mappings if m["EventSourceArn"] == self.inbox_arn))

    def set_catalog(self, *, enabled: bool) -> None:
        self.cloud.client("lambda").update_event_source_mapping(UUID=self.catalog_mapping(), Enabled=enabled)

    def depth(self, url: str) -> int:
        attributes = self.cloud.client("sqs").get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_letter_depths(self) -> dict[str, int]:
        urls = [url for url in self.cloud.client("sqs").list_queues()["QueueUrls"] if "DeadLetter" in url]
        return {url: self.depth(url) for url in urls}

    def cli(self, *args: str) -> int:
        state = self.cloud.state_dir
        (state / "cloud.json").write_text(json.dumps({"endpoint": self.cloud.endpoint, "state": "ready"}))
        return cli_main(["--state-dir", str(state), *args])


def _process_args(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # it ended meanwhile
        return []


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan nobody reaped is dead all the same)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def stitching(video_id: str, timeout: float = 90) -> tuple[int, int]:
    """(ffmpeg's pid, its parent's) for the ffmpeg stitching `video_id`, as an operator finds it with `ps`:
    the process writing an MP4 (`-movflags`) from the video's scratch directory (`pp-<video_id>-…`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            args = _process_args(int(entry.name))
            if "-movflags" in args and any(f"/pp-{video_id}-" in arg for arg in args):
                return int(entry.name), _parent(int(entry.name))
        time.sleep(0.005)
    raise AssertionError(f"no ffmpeg stitched {video_id} within {timeout} s")


def _physical(results: list[Any], stack: str, kind: str, *fragments: str) -> str:
    result = next(r for r in results if r.name == stack)
    return str(
        next(
            r.physical_id
            for r in result.resources
            if r.type == kind
            and all(f in r.logical_id for f in fragments)
            and "DeadLetters" not in r.logical_id
        )
    )


@pytest.fixture(scope="module")
def chaos(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> Chaos:
    local_cloud.client("s3").create_bucket(Bucket=RECORDINGS)
    local_cloud.client("ssm").put_parameter(
        Name=parameter_name(STAGE, ChannelParameter.RECORDING_BUCKET),
        Value=RECORDINGS,
        Type="String",
        Overwrite=True,
    )
    outdir = tmp_path_factory.mktemp("chaos.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    context = {
        **context,
        "aws:cdk:enable-asset-metadata": True,
        postprocess_config.TIMEOUT_CONTEXT_KEY: {STAGE: PROCESSING_TIMEOUT_S},
    }
    app = cdk.App(outdir=str(outdir), context=context)
    core = CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    identity = IdentityStack(app, "IdentityStack", stage=STAGE)
    video = VideoStack(app, "VideoStack", stage=STAGE)
    video.add_dependency(identity)
    postprocess = PostprocessStack(app, "PostprocessStack", stage=STAGE)
    postprocess.add_dependency(video)  # reads the media bucket's parameter
    # Both plugins are deployed (registration refuses a plugin whose stack is not); silent answers nothing.
    plugins = [
        PluginStack(
            app,
            f"Chaos{name.title()}PluginStack",
            stage=STAGE,
            manifest_path=FIXTURES / f"{name}.yaml",
            handler=f"tests.e2e.plugin_fixtures.handlers.{name}",
            code=fixture_code(),
        )
        for name in ("crasher", "silent")
    ]
    for plugin in plugins:
        plugin.add_dependency(video)  # reads the media bucket's parameter
    for stack in (identity, video, postprocess, PluginsStack(app, "PluginsStack", stage=STAGE), *plugins):
        stack.add_dependency(core)
    app.synth()
    results = deploy_assembly(outdir)
    sqs = local_cloud.client("sqs")
    inbox_url = _physical(
        results, "VideoStack", "AWS::SQS::Queue", "CatalogEventsInbox"
    )  # a queue's Ref: its URL
    attributes = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn", "RedrivePolicy"])
    inbox_arn = attributes["Attributes"]["QueueArn"]
    dlq_name = json.loads(attributes["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"].split(":")[-1]
    ssm = local_cloud.client("ssm")
    idp = local_cloud.client("cognito-idp")
    pool = read_parameter(ssm, STAGE, IdentityParameter.USER_POOL_ID)
    client_id = read_parameter(ssm, STAGE, IdentityParameter.USER_POOL_CLIENT_ID)
    tokens = {}
    for email, group in (("dev@chaos.example", "plugin-developer"), ("owner@chaos.example", "broadcaster")):
        sub = create_user(idp, pool, email, PASSWORD, [group])
        tokens[group] = (sign_in(idp, client_id, email, PASSWORD), sub)
    chaos = Chaos(
        cloud=local_cloud,
        api_url=read_parameter(ssm, STAGE, VideoParameter.API_URL).rstrip("/"),
        tap=BusTap(local_cloud, "chaos-e2e", STAGE),
        owner_token=tokens["broadcaster"][0],
        owner_id=tokens["broadcaster"][1],
        inbox_url=inbox_url,
        inbox_arn=inbox_arn,
        dead_letters_url=sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"],
        processor=_physical(results, "PostprocessStack", "AWS::Lambda::Function", "Processor"),
        ledger=_physical(results, "PostprocessStack", "AWS::DynamoDB::Table", "Ledger"),
    )
    for name in PLUGINS:  # the plugin developer registers them through the API, as `svideo plugins register`
        manifest = load_manifest(FIXTURES / f"{name}.yaml").model_dump(mode="json")
        status, body = chaos.api("POST", "/plugins", tokens["plugin-developer"][0], manifest)
        assert status == 201, body
    return chaos


def test_given_a_crashing_and_a_silent_plugin_then_the_video_is_still_published(chaos: Chaos) -> None:
    video_id = chaos.record(6)
    published = chaos.settled(video_id, "published")
    assert published["media"]["mp4_url"]
    [end] = chaos.tap.of_video(video_id, "Lifecycle.Completed")
    outcomes = {r["plugin"]: r["status"] for r in end["detail"]["results"]}
    assert outcomes == {"crasher": "failed", "silent": "timed_out"}


def test_given_a_worker_killed_mid_stitch_then_the_video_is_retried_and_published_before_its_deadline(
    chaos: Chaos,
) -> None:
    recorded_at = datetime.now(UTC)
    video_id = chaos.record(36)
    ffmpeg, worker = stitching(video_id)
    environment = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    assert f"AWS_LAMBDA_FUNCTION_NAME={chaos.processor}".encode() in environment  # the function's runtime
    os.kill(worker, signal.SIGKILL)
    poll(lambda: not _running(ffmpeg) or None, timeout=10, what="the killed runtime's ffmpeg ending with it")

    video = chaos.settled(video_id, "published", timeout=PROCESSING_TIMEOUT_S * 6 + 90)
    assert video["media"]["mp4_url"] and video["duration_ms"]
    item = chaos.cloud.client("dynamodb").get_item(TableName=chaos.ledger, Key={"video_id": {"S": video_id}})
    assert item["Item"]["attempts"] == {"N": "2"} and item["Item"]["outcome"] == {"S": "processed"}
    pages = (
        chaos.cloud.client("logs")
        .get_paginator("filter_log_events")
        .paginate(logGroupName=f"/aws/lambda/{chaos.processor}", filterPattern='"signal: killed"')
    )  # what `aws logs filter-log-events` shows the operator: the attempt that died
    messages = [event["message"] for page in pages for event in page["events"]]
    assert any("Runtime exited with error: signal: killed" in m for m in messages), messages
    assert len(chaos.tap.of_video(video_id, "Video.Processed")) == 1
    history = chaos.api("GET", f"/videos/{video_id}/history", chaos.owner_token)[1]["history"]
    [processed] = [e for e in history if e["type"] == "Video.Processed"]
    took = datetime.fromisoformat(processed["at"]) - recorded_at
    assert took.total_seconds() < deadlines.PROCESSING_S - 300  # before the sweeper would fail it
    assert chaos.dead_letter_depths() == dict.fromkeys(chaos.dead_letter_depths(), 0)


def test_given_a_catalog_outage_and_a_shuffled_redrive_with_duplicates_then_every_video_ends_right(
    chaos: Chaos,
) -> None:
    chaos.set_catalog(enabled=False)  # the outage
    valid = [chaos.record(6) for _ in range(2)]
    broken = chaos.record(6, spoil=True)
    lost_start = chaos.record(6)  # its Recording.Ended never reaches the catalog
    ends = {video_id: chaos.ended(video_id) for video_id in [*valid, broken, lost_start]}
    assert ends == {
        **dict.fromkeys([*valid, lost_start], "Lifecycle.Completed"),
        broken: "Video.ProcessingFailed",
    }
    expected = [
        e for v in ends for e in chaos.tap.of_video(v) if e["detail-type"] in CATALOG_TYPES
    ]  # what the catalog's rules delivered to its inbox while it was down
    poll(lambda: chaos.depth(chaos.inbox_url) >= len(expected) or None, timeout=60, what="the inbox filling")

    # The retries run out: the inbox's messages land in its dead-letter queue, shuffled, some twice.
    sqs = chaos.cloud.client("sqs")
    bodies: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=chaos.inbox_url, MaxNumberOfMessages=10, VisibilityTimeout=300
    ).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=chaos.inbox_url, ReceiptHandle=message["ReceiptHandle"])
    kept = [
        b
        for b in bodies
        if not (
            json.loads(b)["detail"]["video_id"] == lost_start
            and json.loads(b)["detail-type"] == "Recording.Ended"
        )
    ]
    shuffled = random.Random(19).sample(kept, len(kept)) + random.Random(4).sample(kept, len(kept) // 2)
    random.Random(7).shuffle(shuffled)
    for body in shuffled:
        sqs.send_message(QueueUrl=chaos.dead_letters_url, MessageBody=body)
    assert len(bodies) == len(expected) and chaos.depth(chaos.inbox_url) == 0

    chaos.set_catalog(enabled=True)  # the catalog is back; the operator redrives its dead letters
    assert chaos.cli("dlq", "redrive", chaos.dead_letters_url) == 0

    for video_id in [*valid, lost_start]:
        video = chaos.settled(video_id, "published")
        assert video["media"]["mp4_url"] and video["duration_ms"]
    failed = chaos.settled(broken, "failed")
    assert failed["reason"].startswith("master_playlist_missing"), failed["reason"]
    history = chaos.api("GET", f"/videos/{lost_start}/history", chaos.owner_token)[1]["history"]
    assert history[0]["type"] != "Recording.Ended" and {"Video.Processed", "Lifecycle.Completed"} <= {
        e["type"] for e in history
    }

    # Nothing is left in any dead-letter queue that a redrive could not clear.
    depths = chaos.dead_letter_depths()
    assert chaos.dead_letters_url in depths
    assert depths == dict.fromkeys(depths, 0)
