"""Retries inside deadlines: every queue keeps a message until its last attempt is over, and the queues that
serve a video's deadline (post-processing, the plugin lifecycle) end every attempt before that deadline."""

from __future__ import annotations

from typing import Any

import pytest

from infra.retries import MARGIN_S, VISIBILITY_PER_TIMEOUT, retries
from services.postprocess import config
from shared import deadlines
from tests.infra.conftest import Synthesized

SQS_DEFAULT_RETENTION_S = 4 * 24 * 3600
SQS_DEFAULT_VISIBILITY_S = 30


def _queues(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::SQS::Queue"}


def _feeding(template: dict[str, Any], queue_id: str) -> dict[str, Any]:
    """The function an event source mapping feeds from the queue."""
    resources = template["Resources"]
    for mapping in resources.values():
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        if mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}:
            function_id = mapping["Properties"]["FunctionName"]["Ref"]
            return dict(resources[function_id]["Properties"])
    raise AssertionError(f"no function reads {queue_id}")


def _queue(template: dict[str, Any], fragment: str) -> tuple[str, dict[str, Any]]:
    [(queue_id, props)] = [
        (k, p) for k, p in _queues(template).items() if fragment in k and "DeadLetters" not in k
    ]
    return queue_id, props


def test_given_every_queue_of_the_app_then_it_keeps_a_message_until_its_last_attempt_is_over(
    app_synth: Synthesized,
) -> None:
    checked = 0
    for path in app_synth.templates():
        template = app_synth.template(path.name.removesuffix(".template.json"))
        for queue_id, props in _queues(template).items():
            redrive = props.get("RedrivePolicy")
            if redrive is None:
                continue
            retention = props.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION_S)
            visibility = props.get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY_S)
            needed = visibility * redrive["maxReceiveCount"] + MARGIN_S
            assert retention >= needed, (
                f"{path.name} {queue_id}: keeps {retention} s, its retries need {needed}"
            )
            checked += 1
    assert checked >= 8  # catalog, lifecycle, jobs, task watcher, IVS events, live, every plugin's inbox


def test_given_the_jobs_queue_then_a_crashed_workers_retries_all_end_before_the_processing_deadline(
    app_synth: Synthesized,
) -> None:
    template = app_synth.template("PostprocessStack")
    queue_id, queue = _queue(template, "JobsQueue")
    timeout = _feeding(template, queue_id)["Timeout"]
    visibility, receives = queue["VisibilityTimeout"], queue["RedrivePolicy"]["maxReceiveCount"]
    assert receives == config.MAX_RECEIVE_COUNT  # the function's MAX_RECEIVE_COUNT names its last attempt
    assert visibility > timeout  # no message is received again while an attempt may still run
    assert (receives - 1) * visibility + timeout <= deadlines.PROCESSING_S - MARGIN_S


def test_given_the_lifecycle_queue_then_every_redelivery_ends_before_the_enriching_deadline(
    app_synth: Synthesized,
) -> None:
    template = app_synth.template("PluginsStack")
    queue_id, queue = _queue(template, "LifecycleInboxQueue")
    timeout = _feeding(template, queue_id)["Timeout"]
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert (receives - 1) * queue["VisibilityTimeout"] + timeout <= deadlines.ENRICHING_S - MARGIN_S


def test_given_a_plugin_inbox_then_it_keeps_invocations_through_every_attempt(app_synth: Synthesized) -> None:
    template = app_synth.template("TranscriptPluginStack")
    _, queue = _queue(template, "InvocationsQueue")
    visibility = queue["VisibilityTimeout"]
    assert (
        queue["MessageRetentionPeriod"] >= visibility * queue["RedrivePolicy"]["maxReceiveCount"] + MARGIN_S
    )


def test_given_no_deadline_then_visibility_is_six_timeouts_and_retention_covers_the_receives() -> None:
    settings = retries(600)
    assert settings.visibility_timeout_s == VISIBILITY_PER_TIMEOUT * 600
    assert settings.retention_s == 3 * 3600 + MARGIN_S


def test_given_a_deadline_then_the_visibility_shrinks_so_the_last_attempt_ends_inside_it() -> None:
    settings = retries(900, receives=3, deadline_s=7200)
    assert settings.visibility_timeout_s == (7200 - MARGIN_S - 900) // 2
    assert settings.last_attempt_ends_s <= 7200 - MARGIN_S


def test_given_attempts_that_cannot_fit_the_deadline_then_the_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot end within 1800 s"):
        retries(900, receives=3, deadline_s=1800)


@pytest.mark.parametrize("stack", ["TranscriptPluginStack", "TitlesPluginStack", "AvatarsPluginStack"])
def test_given_a_plugin_then_its_inbox_feeds_it_with_its_own_concurrency_ceiling(
    app_synth: Synthesized, stack: str
) -> None:
    from infra.constructs.plugin import PLUGIN_MAX_CONCURRENCY

    template = app_synth.template(stack)
    queue_id, _ = _queue(template, "InvocationsQueue")
    [mapping] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": PLUGIN_MAX_CONCURRENCY}
