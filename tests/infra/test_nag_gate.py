"""cdk-nag AwsSolutions is a real gate: the app passes, a bad stack does not, acknowledgements say why."""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

import infra.app
from infra.nag import acknowledge, add_nag_gate, nag_rendering
from tests.infra.conftest import Synthesized


def _failed_rules(outdir: Path) -> set[str]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        violation["ruleName"]
        for plugin in report["pluginReports"]
        if plugin["conclusion"] == "failure"
        for violation in plugin["violations"]
    }


def _unencrypted_queue_stack(scope: cdk.App, stack_id: str, **_: object) -> cdk.Stack:
    stack = cdk.Stack(scope, stack_id)
    sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    return stack


def test_given_the_app_when_synthesized_with_the_gate_then_no_finding_is_left(
    app_synth: Synthesized, constructs_synth: Synthesized
) -> None:
    for synthesized in (app_synth, constructs_synth):
        assert _failed_rules(synthesized.outdir) == set()


def test_given_an_unencrypted_queue_when_the_app_synthesizes_then_the_gate_fails_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(infra.app, "STACKS", [("BadStack", _unencrypted_queue_stack)])
    app = infra.app.build_app(outdir=str(tmp_path))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert {"AwsSolutions-SQS2", "AwsSolutions-SQS4"} <= _failed_rules(tmp_path)


def test_given_an_acknowledged_finding_when_synthesized_then_the_gate_lets_only_that_one_pass(
    tmp_path: Path,
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = _unencrypted_queue_stack(app, "Acknowledged")
    acknowledge(stack, "AwsSolutions-SQS2", "A deliberately plain queue: this test checks acknowledgements.")
    add_nag_gate(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    failed = _failed_rules(tmp_path)
    assert "AwsSolutions-SQS2" not in failed
    assert "AwsSolutions-SQS4" in failed


def test_given_every_acknowledgement_in_the_code_then_each_carries_a_reason(
    app_synth: Synthesized, constructs_synth: Synthesized
) -> None:
    acknowledged = app_synth.metadata("aws:cdk:acknowledged-rules") + constructs_synth.metadata(
        "aws:cdk:acknowledged-rules"
    )
    assert acknowledged, "the core DLQ and every function role acknowledge findings"
    for entry in acknowledged:
        for rule, reason in entry["data"].items():
            assert len(reason) >= 20, (entry["path"], rule, reason)


def test_given_a_short_reason_when_acknowledging_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="real reason"):
        acknowledge(cdk.Stack(cdk.App()), "AwsSolutions-SQS2", "ok")


def test_given_the_infra_code_then_acknowledgements_go_through_the_one_helper() -> None:
    infra_dir = Path(infra.app.__file__).parent
    offenders = [
        path.name
        for path in infra_dir.rglob("*.py")
        if "Acknowledgment(" in path.read_text() and path.name != "nag.py"
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (None, "arn:<AWS::Partition>:ivs:<AWS::Region>:<AWS::AccountId>:channel/*"),
        (
            cdk.Environment(account="111122223333", region="eu-west-1"),
            "arn:aws:ivs:eu-west-1:111122223333:channel/*",
        ),
    ],
)
def test_given_an_arn_with_tokens_when_rendered_for_nag_then_it_reads_as_the_finding_does(
    env: cdk.Environment | None, expected: str, cdk_context: dict[str, Any]
) -> None:
    # cdk.json's target partitions make the partition a literal once the region is known.
    stack = cdk.Stack(cdk.App(context=cdk_context), "Rendered", env=env)
    assert (
        nag_rendering(stack, stack.format_arn(service="ivs", resource="channel", resource_name="*"))
        == expected
    )


def test_given_a_resource_attribute_when_rendered_for_nag_then_it_reads_as_logical_id_and_attribute() -> None:
    stack = cdk.Stack(cdk.App(), "Attributes")
    queue = sqs.Queue(stack, "Plain")
    logical_id = stack.resolve(queue.node.default_child.logical_id)  # type: ignore[union-attr]
    assert nag_rendering(stack, f"{queue.queue_arn}/*") == f"<{logical_id}.Arn>/*"
    assert nag_rendering(stack, f"x/{queue.queue_url}") == f"x/<{logical_id}>"
