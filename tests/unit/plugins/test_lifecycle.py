"""The lifecycle state machine on fakes: ordering, `after`, deadlines, tokens, schemas, verdicts."""

from __future__ import annotations

from shared.events import LifecycleCompleted, PluginCompleted
from shared.events.base import Meta
from tests.unit.plugins.fakes import Harness, manifest, video_processed

FOUR_HOOKS = (
    manifest("checker", "preValidate"),
    manifest("approver", "postValidate"),
    manifest("tagger", "preMetadata"),
    manifest("notifier", "postMetadata"),
)


def completed(harness: Harness) -> list[LifecycleCompleted]:
    return harness.publisher.of_type(LifecycleCompleted)


def test_given_a_plugin_per_hook_when_each_answers_then_hooks_run_in_order_and_outputs_project() -> None:
    harness = Harness(*FOUR_HOOKS)
    harness.service.start(video_processed())
    for plugin, output in [("checker", {"valid": True}), ("approver", {"valid": True}), ("tagger", None)]:
        assert [i.plugin for i in harness.invoked()][-1] == plugin
        harness.answer(plugin, output)
    assert harness.invocation("notifier").inputs["tagger"] == {"value": "tagger"}
    harness.answer("notifier")

    [end] = completed(harness)
    assert [i.plugin for i in harness.invoked()] == ["checker", "approver", "tagger", "notifier"]
    assert end.verdict == "valid"
    assert end.video_fields == {"tagger_value": "tagger", "notifier_value": "notifier"}
    assert [r.plugin for r in end.results] == ["checker", "approver", "tagger", "notifier"]
    assert {r.status for r in end.results} == {"succeeded"}


def test_given_two_plugins_in_a_hook_when_started_then_both_are_invoked_at_once() -> None:
    harness = Harness(manifest("one"), manifest("two"))
    harness.service.start(video_processed())
    assert sorted(i.plugin for i in harness.invoked()) == ["one", "two"]
    assert len(completed(harness)) == 0


def test_given_after_when_the_first_answers_then_the_second_is_invoked_with_its_output() -> None:
    harness = Harness(manifest("first"), manifest("second", after=["first"]))
    harness.service.start(video_processed())
    assert [i.plugin for i in harness.invoked()] == ["first"]
    harness.answer("first")
    assert harness.invocation("second").inputs == {"first": {"value": "first"}}


def test_given_a_silent_plugin_when_its_deadline_passes_then_timeout_is_recorded_and_video_goes_on() -> None:
    harness = Harness(manifest("silent", timeout_seconds=5), manifest("later", "postMetadata"))
    harness.service.start(video_processed())
    harness.pass_time(6)
    harness.answer("later")
    [end] = completed(harness)
    assert end.verdict == "valid"
    assert {r.plugin: r.status for r in end.results} == {"silent": "timed_out", "later": "succeeded"}
    assert "no completion within 5s" in (end.results[0].reason or "")


def test_given_a_failing_plugin_when_it_reports_failure_then_failure_is_recorded_with_its_reason() -> None:
    harness = Harness(manifest("broken"))
    harness.service.start(video_processed())
    harness.answer("broken", error=("ModelUnavailable", "the model did not load"))
    [end] = completed(harness)
    assert (end.verdict, end.results[0].status) == ("valid", "failed")
    assert end.results[0].reason == "ModelUnavailable: the model did not load"


def test_given_a_forged_token_when_completing_then_it_is_rejected_and_the_real_answer_still_counts() -> None:
    harness = Harness(manifest("target"))
    harness.service.start(video_processed())
    harness.answer("target", {"value": "forged"}, token="v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert harness.state().invocations["target"].status == "pending"
    assert harness.state().rejections[-1].reason == "the token does not match the invocation"
    harness.answer("target")
    assert completed(harness)[0].video_fields == {"target_value": "target"}


def test_given_another_plugins_source_when_completing_with_the_right_token_then_it_is_rejected() -> None:
    harness = Harness(manifest("target"))
    harness.service.start(video_processed())
    harness.answer("target", source="svideo.plugin.intruder")
    assert harness.state().invocations["target"].status == "pending"
    assert "not 'svideo.plugin.target'" in harness.state().rejections[-1].reason


def test_given_an_accepted_completion_when_its_token_is_reused_then_the_second_is_rejected() -> None:
    harness = Harness(manifest("once"), manifest("after-it", "postMetadata", timeout_seconds=60))
    harness.service.start(video_processed())
    harness.answer("once", {"value": "first"})
    harness.answer("once", {"value": "second"})
    state = harness.state()
    assert state.invocations["once"].output == {"value": "first"}
    assert state.rejections[-1].reason == "already succeeded: a token is accepted once"


def test_given_an_output_breaking_its_schema_when_completing_then_it_is_rejected_and_recorded() -> None:
    harness = Harness(manifest("sloppy"))
    harness.service.start(video_processed())
    harness.answer("sloppy", {"value": 42})
    [end] = completed(harness)
    assert end.results[0].status == "rejected"
    assert "/value: 42 is not of type 'string'" in (end.results[0].reason or "")
    assert end.video_fields == {}


def test_given_a_duplicate_video_processed_when_handled_then_one_lifecycle_runs() -> None:
    harness = Harness(manifest("one"))
    assert harness.service.start(video_processed()) is True
    assert harness.service.start(video_processed()) is False
    assert len(harness.invoked()) == 1


def test_given_a_validator_saying_invalid_then_video_is_invalid_and_later_hooks_skip() -> None:
    harness = Harness(*FOUR_HOOKS)
    harness.service.start(video_processed())
    harness.answer("checker", {"valid": False, "reason": "shorter than 10 s"})
    [end] = completed(harness)
    assert (end.verdict, end.reason) == ("invalid", "checker: shorter than 10 s")
    assert [i.plugin for i in harness.invoked()] == ["checker"]
    assert {r.plugin: r.status for r in end.results} == {
        "checker": "succeeded", "approver": "skipped", "tagger": "skipped", "notifier": "skipped",
    }  # fmt: skip


def test_given_a_timed_out_plugin_when_it_answers_late_then_the_timeout_stands_and_is_noted() -> None:
    harness = Harness(manifest("slow", timeout_seconds=5), manifest("next", "postMetadata"))
    harness.service.start(video_processed())
    harness.pass_time(6)
    harness.answer("slow")
    state = harness.state()
    assert state.invocations["slow"].status == "timed_out"
    assert state.invocations["slow"].late is not None
    assert state.rejections[-1].reason == "late: the invocation had already timed out"


def test_given_an_answer_after_the_deadline_before_the_schedule_fires_then_it_counts_as_a_timeout() -> None:
    harness = Harness(manifest("slow", timeout_seconds=5))
    harness.service.start(video_processed())
    harness.clock.advance(7)
    harness.answer("slow")
    assert completed(harness)[0].results[0].status == "timed_out"


def test_given_a_stuck_lifecycle_when_the_backstop_fires_then_verdict_is_failed() -> None:
    harness = Harness(manifest("stuck", timeout_seconds=5))
    harness.service.start(video_processed())
    harness.scheduler.schedules = {k: v for k, v in harness.scheduler.schedules.items() if "-lc-" in k}
    harness.pass_time(3600)
    [end] = completed(harness)
    assert end.verdict == "failed"
    assert end.results[0].status == "timed_out"


def test_given_no_plugins_when_a_video_is_processed_then_the_lifecycle_completes_at_once() -> None:
    harness = Harness()
    harness.service.start(video_processed())
    [end] = completed(harness)
    assert (end.verdict, end.results) == ("valid", [])


def test_given_invocations_then_each_has_a_deadline_schedule_and_the_lifecycle_a_backstop() -> None:
    harness = Harness(manifest("one", timeout_seconds=5), manifest("two", timeout_seconds=9))
    harness.service.start(video_processed())
    deadlines = {m.invocation_id: at for at, m in harness.scheduler.schedules.values()}
    for invoked in harness.invoked():
        assert deadlines[invoked.invocation.id] == invoked.invocation.deadline
    backstop = deadlines[None]
    assert (backstop - harness.clock.now).total_seconds() >= 5 + 9


def test_given_a_completion_for_an_unknown_video_then_nothing_is_created() -> None:
    harness = Harness(manifest("one"))
    harness.service.start(video_processed("vid-a"))
    invoked = harness.invoked()[0]
    harness.service.complete(
        PluginCompleted(
            meta=Meta.now(), video_id="vid-b", plugin="one", invocation_id=invoked.invocation.id,
            token=invoked.invocation.token, status="succeeded", output={"value": "x"},
        ),
        "svideo.plugin.one",
    )  # fmt: skip
    assert harness.store.get("vid-b") is None


def test_given_an_answered_invocation_then_its_deadline_schedule_is_deleted_and_the_backstop_kept() -> None:
    harness = Harness(manifest("one", timeout_seconds=5), manifest("two", timeout_seconds=9))
    harness.service.start(video_processed())
    harness.answer("one")
    left = {m.invocation_id for _, m in harness.scheduler.schedules.values()}
    two = next(i.invocation.id for i in harness.invoked() if i.plugin == "two")
    assert left == {None, two}


def test_given_the_last_answer_when_the_lifecycle_ends_then_no_schedule_is_left() -> None:
    harness = Harness(manifest("one"), manifest("two", "postMetadata"))
    harness.service.start(video_processed())
    harness.answer("one")
    harness.answer("two")
    assert completed(harness)[0].verdict == "valid"
    assert harness.scheduler.schedules == {}


def test_given_a_schedule_that_cannot_be_deleted_then_the_answer_still_counts() -> None:
    harness = Harness(manifest("one"))
    harness.service.start(video_processed())

    def broken(name: str) -> None:
        raise RuntimeError("throttled")

    harness.scheduler.cancel = broken  # type: ignore[method-assign]
    harness.answer("one")
    assert completed(harness)[0].results[0].status == "succeeded"


def test_given_a_deleted_video_when_forgotten_then_its_state_and_invocation_log_are_gone() -> None:
    harness = Harness(manifest("checker", "preValidate"), manifest("tagger", "preMetadata"))
    video_id = video_processed().video_id
    harness.service.start(video_processed())
    harness.answer("checker", {"valid": True})
    store = harness.service.store
    assert store.get(video_id) is not None and store.log  # type: ignore[attr-defined]
    assert harness.service.forget(video_id) == 3  # the state and two invocations' log rows
    assert store.get(video_id) is None and store.log == {}  # type: ignore[attr-defined]
    assert harness.service.forget(video_id) == 0
