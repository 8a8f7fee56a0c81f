"""The plugin platform end to end on the local cloud: the platform stacks (core, identity, video, plugins),
the duration plugin's stack and one tiny SDK plugin per hook are deployed from synthesized templates;
plugins are registered through the API; a `Video.Processed` on the bus runs the hooks and the video service
publishes the video with the plugins' outputs.
Each failure case has its own video and its own set of enabled plugins.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cli.main import main as cli_main
from infra.constructs.packaging import code_files, code_from_files
from infra.constructs.plugin import PluginStack
from infra.lambda_runtime import REPO_ROOT
from infra.naming import IdentityParameter, VideoParameter
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import IdentityStack
from infra.stacks.plugins_stack import PluginsStack
from infra.stacks.video_stack import VideoStack
from local.cloud import LocalCloud
from local.platform_client import call_api, create_user, poll, read_parameter, sign_in
from plugins.duration.stack import DurationPluginStack
from services.plugins.manifest import load_manifest
from tests.conftest import DeployAssembly
from tests.e2e.conftest import BusTap, put_event

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

STAGE = "dev"
PASSWORD = "Plugins-e2e-Passw0rd!"
FIXTURES = Path(__file__).resolve().parent / "plugin_fixtures"
# Each with its stack (registration refuses a plugin whose stack is not deployed); silent and manual answer
# nothing (the test answers manual's invocations itself).
DEPLOYED = ("approver", "tagger", "notifier", "crasher", "sloppy", "silent", "manual")
REGISTERED = ("duration", *DEPLOYED)
EVENTS = REPO_ROOT / "tests" / "events"


def fixture_code() -> Any:
    """`shared/` plus the fixture handlers (code_files skips tests/, so the list is built here)."""
    shared = [f for f in code_files(Path("plugins", "duration")) if f.parts[0] == "shared"]
    markers = [Path("tests/__init__.py"), Path("tests/e2e/__init__.py")]
    fixtures = [Path("tests/e2e/plugin_fixtures/__init__.py"), Path("tests/e2e/plugin_fixtures/handlers.py")]
    return code_from_files(Path("tests/e2e/plugin_fixtures"), [*shared, *markers, *fixtures])


@dataclass
class Platform:
    cloud: LocalCloud
    api_url: str
    tap: BusTap
    developer: str
    owner_token: str
    owner_id: str
    lifecycle_table: str
    schedule_group: str

    def events(self, video_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        return self.tap.of_video(video_id, detail_type)

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        return call_api(self.api_url, method, path, token, body)

    def enable_only(self, *names: str) -> None:
        for name in REGISTERED:
            action = "enable" if name in names else "disable"
            status, body = self.api("POST", f"/plugins/{name}/{action}", self.developer)
            assert status == 200, body

    def put(self, event: dict[str, Any]) -> None:
        put_event(self.cloud, event, STAGE)

    def process(self, duration_ms: int, *, twice: bool = False) -> str:
        """A recorded video of the broadcaster, then its Video.Processed (twice for the duplicate case)."""
        video_id = f"vid-e2e-{uuid.uuid4().hex[:12]}"
        ended = json.loads((EVENTS / "svideo.channel" / "Recording.Ended.json").read_text())
        ended["detail"].update(video_id=video_id, owner_id=self.owner_id)
        ended["detail"]["recording"]["duration_ms"] = duration_ms
        self.put(ended)
        poll(lambda: self.video(video_id), timeout=30, what=f"{video_id} in the catalog")
        processed = json.loads((EVENTS / "svideo.postprocess" / "Video.Processed.json").read_text())
        processed["detail"]["video_id"] = video_id
        processed["detail"]["media"]["duration_ms"] = duration_ms
        processed["detail"]["media"] = {
            k: v.replace("vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C", video_id) if isinstance(v, str) else v
            for k, v in processed["detail"]["media"].items()
        }
        self.put(processed)
        if twice:
            self.put(processed)
        return video_id

    def video(self, video_id: str) -> dict[str, Any] | None:
        status, body = self.api("GET", f"/videos/{video_id}", self.owner_token)
        return body if status == 200 else None

    def concluded(self, video_id: str, timeout: float = 60) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            ends = self.events(video_id, "Lifecycle.Completed")
            return ends[0]["detail"] if ends else None

        return poll(done, timeout=timeout, what=f"Lifecycle.Completed of {video_id}")

    def settled(self, video_id: str, status: str) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            video = self.video(video_id)
            return video if video and video.get("status") == status else None

        return poll(reached, timeout=30, what=f"{video_id} {status} in the video API")

    def lifecycle(self, video_id: str) -> dict[str, Any]:
        item = self.cloud.client("dynamodb").get_item(
            TableName=self.lifecycle_table, Key={"video_id": {"S": video_id}}, ConsistentRead=True
        )["Item"]
        return dict(json.loads(item["state"]["S"]))


def _ssm(cloud: LocalCloud, key: str) -> str:
    return read_parameter(cloud.client("ssm"), STAGE, key)


def _sign_in(cloud: LocalCloud, email: str, group: str) -> tuple[str, str]:
    """A new user in `group`: its ID token and `sub`."""
    idp = cloud.client("cognito-idp")
    sub = create_user(idp, _ssm(cloud, IdentityParameter.USER_POOL_ID), email, PASSWORD, [group])
    return sign_in(idp, _ssm(cloud, IdentityParameter.USER_POOL_CLIENT_ID), email, PASSWORD), sub


@pytest.fixture(scope="module")
def platform(
    local_cloud: LocalCloud, deploy_assembly: DeployAssembly, tmp_path_factory: pytest.TempPathFactory
) -> Platform:
    outdir = tmp_path_factory.mktemp("plugins.out")
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=str(outdir), context={**context, "aws:cdk:enable-asset-metadata": True})
    core = CoreStack(app, "CoreStack", stage=STAGE, schemas={})
    stacks: list[cdk.Stack] = [
        IdentityStack(app, "IdentityStack", stage=STAGE),
        VideoStack(app, "VideoStack", stage=STAGE),
        PluginsStack(app, "PluginsStack", stage=STAGE),
        DurationPluginStack(app, "DurationPluginStack", stage=STAGE),
    ]
    for name in (*DEPLOYED, "regex-trap"):
        stacks.append(
            PluginStack(
                app,
                f"E2e{name.title()}PluginStack",
                stage=STAGE,
                manifest_path=FIXTURES / f"{name}.yaml",
                handler=f"tests.e2e.plugin_fixtures.handlers.{name.replace('-', '_')}",
                code=fixture_code(),
            )
        )
    for stack in stacks:
        stack.add_dependency(core)
        if isinstance(stack, PluginStack):
            stack.add_dependency(stacks[1])  # the media bucket's parameter, from the video stack
    app.synth()
    results = deploy_assembly(outdir)
    plugins = next(r for r in results if r.name == "PluginsStack")
    by_type = {(r.type, r.logical_id): r.physical_id for r in plugins.resources}
    lifecycle_table = next(
        v for (t, lid), v in by_type.items() if t == "AWS::DynamoDB::Table" and "Lifecycles" in lid
    )
    group = next(v for (t, _), v in by_type.items() if t == "AWS::Scheduler::ScheduleGroup")

    tap = BusTap(local_cloud, "plugins-e2e", STAGE)
    developer, _ = _sign_in(local_cloud, "dev@example.com", "plugin-developer")
    owner_token, owner_id = _sign_in(local_cloud, "owner@example.com", "broadcaster")
    platform = Platform(
        cloud=local_cloud, api_url=_ssm(local_cloud, VideoParameter.API_URL).rstrip("/"), tap=tap,
        developer=developer, owner_token=owner_token, owner_id=owner_id, lifecycle_table=str(lifecycle_table),
        schedule_group=str(group),
    )  # fmt: skip
    for name in REGISTERED:
        path = (
            REPO_ROOT / "plugins" / "duration" / "manifest.yaml"
            if name == "duration"
            else FIXTURES / f"{name}.yaml"
        )
        status, body = platform.api(
            "POST", "/plugins", developer, load_manifest(path).model_dump(mode="json")
        )
        assert status == 201, body
    return platform


def _results(end: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {r["plugin"]: (r["status"], r.get("reason")) for r in end["results"]}


def test_given_one_plugin_per_hook_when_a_video_is_processed_then_it_is_published_with_their_outputs(
    platform: Platform,
) -> None:
    platform.enable_only("duration", "approver", "tagger", "notifier")
    video_id = platform.process(duration_ms=20_000)
    end = platform.concluded(video_id)
    assert end["verdict"] == "valid"
    assert {p: s for p, (s, _) in _results(end).items()} == dict.fromkeys(
        ("duration", "approver", "tagger", "notifier"), "succeeded"
    )
    invoked = platform.events(video_id, "Plugin.Invoked")
    assert [e["detail"]["hook"] for e in invoked] == [
        "preValidate",
        "postValidate",
        "preMetadata",
        "postMetadata",
    ]
    assert set(invoked[-1]["detail"]["inputs"]) == {
        "duration",
        "approver",
        "tagger",
    }  # earlier outputs flow on
    video = platform.settled(video_id, "published")
    fields = {"duration_checked_ms": 20_000, "approved": True, "e2e_tags": ["e2e", "ch-4f7d2a9e"],
              "e2e_note": "3 earlier outputs"}  # fmt: skip
    projected = video.get("fields", video)
    assert {k: projected.get(k) for k in fields} == fields
    status, history = platform.api("GET", f"/videos/{video_id}/history", platform.owner_token)
    assert status == 200, history
    assert "Lifecycle.Completed" in [entry["type"] for entry in history["history"]]
    assert {e["plugin"]: (e["hook"], e["outcome"]) for e in history["history"] if e["plugin"]} == {
        "duration": ("preValidate", "succeeded"), "approver": ("postValidate", "succeeded"),
        "tagger": ("preMetadata", "succeeded"), "notifier": ("postMetadata", "succeeded"),
    }  # fmt: skip
    schedules = platform.cloud.client("scheduler").list_schedules(GroupName=platform.schedule_group)
    assert [s["Name"] for s in schedules["Schedules"] if video_id in json.dumps(s)] == []
    status, log = platform.api("GET", "/plugins/tagger/invocations?limit=5", platform.developer)
    assert status == 200, log
    [row] = [row for row in log["invocations"] if row["video_id"] == video_id]
    assert (row["status"], row["hook"], row["duration_ms"] is not None) == ("succeeded", "preMetadata", True)
    # The SDK's info line, in the function's log, carries the lifecycle's correlation id (from `meta`).
    [tagging] = [e["detail"] for e in invoked if e["detail"]["plugin"] == "tagger"]
    written = [json.loads(line)["message"] for log in (platform.cloud.state_dir / "logs").glob("*.log")
               for line in log.read_text(errors="replace").splitlines()]  # fmt: skip
    lines = [json.loads(m) for m in written if m.startswith('{"level"')]
    assert {"message": "invocation completed", "level": "INFO", "plugin": "tagger", "video_id": video_id,
            "correlation_id": tagging["meta"]["correlation_id"]}.items() <= next(
        line for line in lines if line.get("plugin") == "tagger" and line.get("video_id") == video_id
        and line.get("message") == "invocation completed").items()  # fmt: skip


def test_given_a_plugin_that_never_answers_then_its_timeout_is_recorded_and_the_video_still_ends(
    platform: Platform,
) -> None:
    platform.enable_only("duration", "silent", "notifier")
    started = datetime.now(UTC)
    video_id = platform.process(duration_ms=20_000)
    end = platform.concluded(video_id, timeout=40)
    results = _results(end)
    assert results["silent"] == ("timed_out", "no completion within 3s")
    assert results["notifier"][0] == "succeeded"  # the hooks after the silent one still ran
    deadline = datetime.fromisoformat(platform.lifecycle(video_id)["deadline"])
    assert datetime.fromisoformat(end["meta"]["occurred_at"]) < deadline
    assert (datetime.now(UTC) - started).total_seconds() < 40
    platform.settled(video_id, "published")


def test_given_a_plugin_that_fails_then_its_failure_is_recorded_and_the_video_is_published(
    platform: Platform,
) -> None:
    platform.enable_only("crasher", "notifier")
    video_id = platform.process(duration_ms=20_000)
    results = _results(platform.concluded(video_id))
    assert results["crasher"][0] == "failed"
    assert results["crasher"][1] == f"BrokenOnPurpose: cannot handle {video_id}"
    platform.settled(video_id, "published")


def test_given_forged_and_reused_tokens_when_completing_then_only_the_genuine_first_answer_counts(
    platform: Platform,
) -> None:
    platform.enable_only("manual")
    video_id = platform.process(duration_ms=20_000)
    [invoked] = poll(
        lambda: platform.events(video_id, "Plugin.Invoked") or None, timeout=30, what="invocation"
    )
    invocation = invoked["detail"]["invocation"]

    def answer(token: str, said: str) -> None:
        meta = {
            "version": "1",
            "correlation_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        detail = {"meta": meta, "video_id": video_id, "plugin": "manual", "invocation_id": invocation["id"],
                  "token": token, "status": "succeeded", "output": {"valid": True, "said": said}}  # fmt: skip
        platform.put({"source": "svideo.plugin.manual", "detail-type": "Plugin.Completed", "detail": detail})

    answer("v1." + "A" * 43, "forged")
    poll(
        lambda: platform.lifecycle(video_id)["rejections"] or None,
        timeout=20,
        what="the forged answer's rejection",
    )
    assert platform.lifecycle(video_id)["invocations"]["manual"]["status"] == "pending"
    answer(invocation["token"], "genuine")
    end = platform.concluded(video_id)
    answer(invocation["token"], "reused")

    def rejections() -> list[str] | None:
        found = [rejection["reason"] for rejection in platform.lifecycle(video_id)["rejections"]]
        return found if len(found) == 2 else None

    reasons = poll(rejections, timeout=20, what="the reused answer's rejection")
    assert reasons == [
        "the token does not match the invocation",
        "already succeeded: a token is accepted once",
    ]
    assert _results(end)["manual"] == ("succeeded", None)
    assert end["video_fields"] == {"manual_said": "genuine"}
    assert len(platform.events(video_id, "Lifecycle.Completed")) == 1


def test_given_an_output_that_breaks_its_schema_then_it_is_rejected_and_recorded(platform: Platform) -> None:
    platform.enable_only("sloppy")
    video_id = platform.process(duration_ms=20_000)
    end = platform.concluded(video_id)
    status, reason = _results(end)["sloppy"]
    assert status == "rejected"
    assert "/score" in (reason or "")
    assert "sloppy_score" not in end["video_fields"]
    platform.settled(video_id, "published")


def test_given_a_duplicate_video_processed_then_one_lifecycle_runs(platform: Platform) -> None:
    platform.enable_only("approver")
    video_id = platform.process(duration_ms=20_000, twice=True)
    platform.concluded(video_id)
    time.sleep(2)  # room for a second lifecycle to show itself, were there one
    assert len(platform.events(video_id, "Plugin.Invoked")) == 1
    assert len(platform.events(video_id, "Lifecycle.Completed")) == 1
    platform.settled(video_id, "published")


def test_given_a_validation_plugin_saying_invalid_then_the_video_is_invalid_and_later_hooks_skip(
    platform: Platform,
) -> None:
    platform.enable_only("duration", "approver", "tagger")
    video_id = platform.process(duration_ms=3_000)
    end = platform.concluded(video_id)
    assert end["verdict"] == "invalid"
    assert end["reason"].startswith("duration: the video lasts 3.0 s")
    assert {p: s for p, (s, _) in _results(end).items()} == {
        "duration": "succeeded", "approver": "skipped", "tagger": "skipped"
    }  # fmt: skip
    assert [e["detail"]["plugin"] for e in platform.events(video_id, "Plugin.Invoked")] == ["duration"]
    platform.settled(video_id, "invalid")


def _tester(platform: Platform, manifest: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`svideo plugins test <manifest>` against this cloud, as `svideo up` leaves it (cloud.json names it)."""
    state = platform.cloud.state_dir
    (state / "cloud.json").write_text(json.dumps({"endpoint": platform.cloud.endpoint, "state": "ready"}))
    code = cli_main(["--state-dir", str(state), "plugins", "test", str(manifest), "--stage", STAGE])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_given_the_duration_plugin_when_the_tester_invokes_it_then_every_check_passes(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    platform.enable_only()
    code, out = _tester(platform, REPO_ROOT / "plugins" / "duration" / "manifest.yaml", capsys)
    assert code == 0, out
    assert "✓ source, token, schema and deadline all accepted" in out
    assert '"duration_ms": 754200' in out


def test_given_a_plugin_breaking_its_schema_when_tested_then_the_tester_names_the_field(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _tester(platform, FIXTURES / "sloppy.yaml", capsys)
    assert code == 1, out
    assert "✗ output/score" in out


def test_given_a_plugin_that_never_answers_when_tested_then_the_tester_reports_the_timeout(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _tester(platform, FIXTURES / "silent.yaml", capsys)
    assert code == 1, out
    assert "no Plugin.Completed within 3s" in out


CATASTROPHIC_PATTERNS = {"nested": r"^(a+)+$", "alternation": r"^(a|aa)+$", "overlap": r"^(x+x+)+y$"}
ADVERSARIAL = {"nested": "a" * 40 + "!", "alternation": "a" * 4000 + "!", "overlap": "x" * 4000}


def test_given_catastrophic_patterns_in_a_registered_schema_when_a_genuine_answer_attacks_them_then_it_is_rejected_at_once(  # noqa: E501
    platform: Platform,
) -> None:
    manifest = load_manifest(FIXTURES / "regex-trap.yaml").model_dump(mode="json")
    assert {
        k: v["pattern"] for k, v in manifest["output_schema"]["properties"].items()
    } == CATASTROPHIC_PATTERNS
    status, body = platform.api("POST", "/plugins", platform.developer, manifest)
    assert status == 201, body
    try:
        platform.enable_only()
        video_id = platform.process(duration_ms=20_000)
        [invoked] = poll(
            lambda: platform.events(video_id, "Plugin.Invoked") or None, timeout=30, what="invocation"
        )
        invocation = invoked["detail"]["invocation"]
        meta = {"version": "1", "correlation_id": str(uuid.uuid4()),
                "occurred_at": datetime.now(UTC).isoformat()}  # fmt: skip
        detail = {"meta": meta, "video_id": video_id, "plugin": "regex-trap",
                  "invocation_id": invocation["id"], "token": invocation["token"], "status": "succeeded",
                  "output": ADVERSARIAL}  # fmt: skip
        answered = time.monotonic()
        platform.put({"source": "svideo.plugin.regex-trap", "detail-type": "Plugin.Completed",
                      "detail": detail})  # fmt: skip
        end = platform.concluded(video_id, timeout=30)
        print(f"adversarial answer to Lifecycle.Completed: {time.monotonic() - answered:.2f} s")

        status_, reason = _results(end)["regex-trap"]
        assert status_ == "rejected"
        for name in CATASTROPHIC_PATTERNS:
            assert f"/{name}: " in (reason or "")
        assert platform.lifecycle(video_id)["invocations"]["regex-trap"]["status"] == "rejected"
        platform.settled(video_id, "published")
    finally:
        assert platform.api("DELETE", "/plugins/regex-trap", platform.developer)[0] == 204


def _cli(platform: Platform, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`svideo plugins --api-url ... --token ... <args>`, as a plugin developer runs it."""
    options = ["--api-url", platform.api_url, "--token", platform.developer]
    code = cli_main(["plugins", *options, *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_given_a_manifest_whose_stack_is_not_deployed_when_registering_then_it_is_refused_naming_the_rule(
    platform: Platform, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text((FIXTURES / "silent.yaml").read_text().replace("name: silent", "name: ghost")
                     .replace("silent_said", "ghost_said"))  # fmt: skip
    code, out = _cli(platform, capsys, "register", str(ghost))
    assert code == 1, out
    assert out.strip().splitlines() == [
        "svideo: 422 registration refused",
        "  /delivery: not deployed: no rule dev-svideo-plugin-ghost-invoked on the bus dev-svideo; "
        "deploy the plugin's stack first",
    ]
    assert platform.api("GET", "/plugins/ghost", platform.developer)[0] == 404
    # Its rule there but its queue gone (a stack half torn down): the missing target is named.
    sqs = platform.cloud.client("sqs")
    queue = sqs.create_queue(QueueName="ghost-invocations")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = platform.cloud.client("events")
    pattern = {
        "source": ["svideo.plugins"],
        "detail-type": ["Plugin.Invoked"],
        "detail": {"plugin": ["ghost"]},
    }
    rules.put_rule(Name="dev-svideo-plugin-ghost-invoked", EventBusName="dev-svideo",
                   EventPattern=json.dumps(pattern))  # fmt: skip
    rules.put_targets(Rule="dev-svideo-plugin-ghost-invoked", EventBusName="dev-svideo",
                      Targets=[{"Id": "inbox", "Arn": arn}])  # fmt: skip
    sqs.delete_queue(QueueUrl=queue)
    try:
        code, out = _cli(platform, capsys, "register", str(ghost))
        assert code == 1, out
        assert f"/delivery: not deployed: the rule's target, the queue {arn}, does not exist" in out
    finally:
        rules.remove_targets(Rule="dev-svideo-plugin-ghost-invoked", EventBusName="dev-svideo", Ids=["inbox"])
        rules.delete_rule(Name="dev-svideo-plugin-ghost-invoked", EventBusName="dev-svideo")


def test_given_a_manifest_with_several_problems_when_registering_then_each_is_named_by_its_pointer(
    platform: Platform, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    text = (FIXTURES / "tagger.yaml").read_text()
    broken.write_text(text.replace("version: 1.0.0", "version: one") + "after: [tagger, nobody]\n")
    code, out = _cli(platform, capsys, "register", str(broken))
    assert code == 1, out
    assert out.splitlines()[0] == f"svideo: invalid manifest {broken}:"
    assert "  /version: " in out and "  /after/0: `after` names the plugin itself" in out
    # Valid alone, wrong beside the registered plugins: `after` and the projection, each with its pointer.
    clash = tmp_path / "clash.yaml"
    clash.write_text(text.replace("name: tagger", "name: approver") + "after: [nobody]\n")
    code, out = _cli(platform, capsys, "register", "--update", str(clash))
    assert code == 1, out
    assert "  /after/0: no registered plugin 'nobody'" in out
    assert "  /projection/e2e_tags: already projected by plugin 'tagger'" in out


def test_given_a_manifest_file_that_does_not_exist_when_registering_then_one_line_says_so(
    platform: Platform, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = _cli(platform, capsys, "register", str(tmp_path / "nowhere.yaml"))
    assert (code, out) == (1, f"svideo: no manifest file {tmp_path / 'nowhere.yaml'}\n")
