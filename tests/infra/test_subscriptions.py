"""A declared subscription becomes exactly that rule; the project's pattern engine checks its intent."""

import json
from pathlib import Path

import pytest

from infra.subscriptions import Subscription
from shared.patterns import InvalidPatternError, matches
from tests.infra.conftest import RECORDING_ENDED, Synthesized

EVENTS = Path(__file__).resolve().parent.parent / "events"


def _recording_ended(duration_ms: int) -> dict:
    event = json.loads((EVENTS / "svideo.channel" / "Recording.Ended.json").read_text())
    event["detail"]["recording"]["duration_ms"] = duration_ms
    return event


def test_given_a_subscription_when_built_then_the_rule_carries_its_exact_pattern_on_the_bus(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template("ConstructsFixtureStack")
    (rule,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert rule["Name"] == RECORDING_ENDED.name
    assert rule["EventPattern"] == RECORDING_ENDED.event_pattern
    assert rule["EventBusName"] == "dev-svideo"


def test_given_a_subscription_when_built_then_its_sqs_target_retries_and_dead_letters(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template("ConstructsFixtureStack")
    (rule,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 7200}
    assert "dev-svideo-events-dlq" in json.dumps(target["DeadLetterConfig"])
    assert target["Arn"]["Fn::GetAtt"][0].startswith("Inbox")


def test_given_the_pattern_then_short_recordings_match_and_long_ones_do_not() -> None:
    assert matches(dict(RECORDING_ENDED.event_pattern), _recording_ended(754_200))
    assert not matches(dict(RECORDING_ENDED.event_pattern), _recording_ended(3_600_000))


def test_given_an_invalid_pattern_when_declared_then_it_fails_before_any_deploy() -> None:
    with pytest.raises(InvalidPatternError):
        Subscription(name="bad", description="bad", event_pattern={"source": "svideo.channel"})


def test_given_a_top_level_or_when_declared_then_it_is_refused_as_not_expressible() -> None:
    with pytest.raises(ValueError, match="not expressible"):
        Subscription(
            name="either",
            description="either source",
            event_pattern={"$or": [{"source": ["svideo.channel"]}, {"source": ["svideo.video"]}]},
        )


def test_given_a_top_level_prefix_when_built_then_the_rule_carries_the_same_prefix_matcher() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_events as events
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Template

    from infra.subscriptions import subscribe_queue

    pattern = {"source": [{"prefix": "svideo.plugin."}], "detail-type": ["Plugin.Completed"]}
    stack = cdk.Stack(cdk.App())
    subscribe_queue(
        stack,
        Subscription(name="prefixed", description="d", event_pattern=pattern),
        bus=events.EventBus.from_event_bus_name(stack, "Bus", "dev-svideo"),
        queue=sqs.Queue(stack, "Inbox"),
        dead_letter_queue=sqs.Queue(stack, "Dead"),
    )
    (rule,) = Template.from_stack(stack).find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == pattern
    assert matches(
        rule["Properties"]["EventPattern"], {"source": "svideo.plugin.x", "detail-type": "Plugin.Completed"}
    )


def test_given_a_top_level_matcher_a_cdk_rule_cannot_carry_when_declared_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="source"):
        Subscription(name="n", description="d", event_pattern={"source": [{"anything-but": "svideo.x"}]})
