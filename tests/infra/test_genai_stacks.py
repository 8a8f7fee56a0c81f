"""The generative plugin stacks with the local adapters (the app's default) and with `genai_mode=aws`: each
synthesized once per module through the cdk-nag gate, then linted with cfn-lint."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.nag import add_nag_gate
from plugins.avatars.stack import AvatarsPluginStack
from plugins.titles.stack import FEEDBACK_ROUTES, TitlesPluginStack, regenerate_subscription
from plugins.transcript.stack import TranscriptPluginStack, transcribe_subscription
from shared.patterns import matches

EVENTS = Path(__file__).parents[1] / "events"
STACKS = (TranscriptPluginStack, TitlesPluginStack, AvatarsPluginStack)


def _synth(outdir: Path, mode: str) -> dict[str, Template]:
    app = cdk.App(outdir=str(outdir), context={"genai_mode": mode})
    stacks = [factory(app, factory.__name__, stage="dev") for factory in STACKS]
    add_nag_gate(app)
    app.synth()  # raises on any unacknowledged cdk-nag finding
    return {s.stack_name: Template.from_stack(s) for s in stacks}


@pytest.fixture(scope="module")
def synth_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {mode: tmp_path_factory.mktemp(f"genai-{mode}") for mode in ("local", "aws")}


@pytest.fixture(scope="module")
def aws_templates(synth_dirs: dict[str, Path]) -> Iterator[dict[str, Template]]:
    yield _synth(synth_dirs["aws"], "aws")


@pytest.fixture(scope="module")
def local_templates(synth_dirs: dict[str, Path]) -> Iterator[dict[str, Template]]:
    yield _synth(synth_dirs["local"], "local")


def test_given_both_modes_when_linted_then_cfn_lint_reports_nothing(
    synth_dirs: dict[str, Path], aws_templates: dict[str, Template], local_templates: dict[str, Template]
) -> None:
    templates = [str(p) for d in synth_dirs.values() for p in sorted(d.glob("*PluginStack.template.json"))]
    assert len(templates) == 6
    cfn_lint = shutil.which("cfn-lint")
    assert cfn_lint
    result = subprocess.run(
        [cfn_lint, "--append-rules", "cfn_lint_serverless.rules", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_given_local_mode_then_functions_select_local_adapters_and_no_bedrock_is_granted(
    local_templates: dict[str, Template], synth_dirs: dict[str, Path]
) -> None:
    for template in local_templates.values():
        template.has_resource_properties(
            "AWS::Lambda::Function",
            {"Environment": {"Variables": Match.object_like({"GENAI_MODE": "local"})}},
        )
        assert not [s for s in _statements(template) if str(s["Action"]).startswith("bedrock:")]
    assert not local_templates["TitlesPluginStack"].find_resources("AWS::Bedrock::Guardrail")
    # The plugin functions' code assets carry services/genai beside the plugin package.
    staged = list(synth_dirs["local"].glob("asset.*/services/genai/tasks.py"))
    assert len(staged) >= 3


def test_given_aws_mode_then_bedrock_is_scoped_to_the_configured_model_arns(
    aws_templates: dict[str, Template],
) -> None:
    for stack in ("TitlesPluginStack", "AvatarsPluginStack"):
        bedrock = [s for s in _statements(aws_templates[stack]) if s["Action"] == "bedrock:InvokeModel"]
        assert bedrock
        for statement in bedrock:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            text = str(resources)
            assert "foundation-model/" in text and "*" not in text.replace("Fn::", "")


def test_given_aws_mode_then_titles_has_a_guardrail_with_topics_filters_and_prompt_attack(
    aws_templates: dict[str, Template],
) -> None:
    guardrail = next(
        iter(aws_templates["TitlesPluginStack"].find_resources("AWS::Bedrock::Guardrail").values())
    )
    props = guardrail["Properties"]
    assert {t["Type"] for t in props["TopicPolicyConfig"]["TopicsConfig"]} == {"DENY"}
    kinds = {f["Type"]: f for f in props["ContentPolicyConfig"]["FiltersConfig"]}
    assert (
        kinds["PROMPT_ATTACK"]["InputStrength"] == "HIGH"
        and kinds["PROMPT_ATTACK"]["OutputStrength"] == "NONE"
    )
    assert {"HATE", "VIOLENCE", "SEXUAL", "INSULTS", "MISCONDUCT"} <= set(kinds)
    pii = {e["Type"]: e for e in props["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"]}
    assert {"EMAIL", "PHONE", "URL", "NAME", "ADDRESS"} <= set(pii)
    assert all(e["OutputAction"] == "BLOCK" and e["InputAction"] == "ANONYMIZE" for e in pii.values())
    assert props["WordPolicyConfig"]["ManagedWordListsConfig"] == [{"Type": "PROFANITY"}]


def test_given_aws_mode_then_heavy_functions_use_snapstart_behind_an_alias(
    aws_templates: dict[str, Template],
) -> None:
    for stack in ("TitlesPluginStack", "AvatarsPluginStack"):
        template = aws_templates[stack]
        template.has_resource_properties(
            "AWS::Lambda::Function", {"SnapStart": {"ApplyOn": "PublishedVersions"}}
        )
        template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
        mapping = next(iter(template.find_resources("AWS::Lambda::EventSourceMapping").values()))
        assert "Ref" in str(mapping["Properties"]["FunctionName"]) or "Alias" in str(
            mapping["Properties"]["FunctionName"]
        )


def test_given_aws_mode_then_transcribe_rule_is_on_the_default_bus_and_jobs_are_scoped(
    aws_templates: dict[str, Template],
) -> None:
    template = aws_templates["TranscriptPluginStack"]
    rule = template.find_resources("AWS::Events::Rule", {"Properties": {"EventBusName": "default"}})
    assert len(rule) == 1
    starts = [s for s in _statements(template) if s["Action"] == "transcribe:StartTranscriptionJob"]
    assert starts and "transcription-job/svideo-*" in str(starts[0]["Resource"])
    writes = [s for s in _statements(template) if s["Action"] == "s3:PutObject"]
    assert writes and all("plugins/transcript/*" in str(s["Resource"]) for s in writes)


def test_given_the_canonical_events_then_the_subscriptions_match_them() -> None:
    raw = json.loads((EVENTS / "aws.transcribe" / "TranscribeJobStateChange.json").read_text())
    assert matches(dict(transcribe_subscription("dev").event_pattern), raw)
    regenerate = json.loads((EVENTS / "svideo.video" / "Titles.RegenerateRequested.json").read_text())
    assert matches(dict(regenerate_subscription("dev").event_pattern), regenerate)
    assert not matches(dict(regenerate_subscription("dev").event_pattern), raw)


def test_given_the_titles_stack_then_the_feedback_routes_sit_behind_the_jwt_authorizer(
    local_templates: dict[str, Template],
) -> None:
    template = local_templates["TitlesPluginStack"]
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    assert {r["Properties"]["RouteKey"] for r in routes.values()} == {f"{m} {p}" for m, p in FEEDBACK_ROUTES}
    assert {r["Properties"]["AuthorizationType"] for r in routes.values()} == {"JWT"}
