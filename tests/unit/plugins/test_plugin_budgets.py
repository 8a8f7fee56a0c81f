"""No plugin developer can fail everyone's videos: registrations that would outlast the enriching deadline
are refused, and a plugin that keeps timing out is disabled, with the reason on its record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.plugins.budget import LIFECYCLE_SLACK, lifecycle_budget, longest_chains
from services.plugins.registry import TIMEOUT_STRIKES, InvalidRegistration, Registry, after_outcome
from shared import deadlines
from shared.auth import Principal
from tests.unit.plugins.fakes import Harness, manifest, video_processed
from tests.unit.plugins.test_manifest_registry import MemoryRegistryStore

DEV = Principal(sub="dev-1", groups=frozenset({"plugin-developer"}))
NOW = datetime(2026, 12, 4, tzinfo=UTC)


def test_given_plugins_then_each_hook_costs_its_longest_after_chain_and_hooks_add_up() -> None:
    plugins = [
        manifest("a", timeout_seconds=100),
        manifest("b", timeout_seconds=200, after=["a"]),
        manifest("c", timeout_seconds=250),  # parallel with a → b
        manifest("v", "preValidate", timeout_seconds=30),
    ]
    chains = {c.hook: (c.plugins, c.seconds) for c in longest_chains(plugins)}
    assert chains == {"preValidate": (("v",), 30), "preMetadata": (("a", "b"), 300)}
    assert lifecycle_budget(plugins) == timedelta(seconds=330) + LIFECYCLE_SLACK


def test_given_a_chain_that_would_outlast_the_enriching_deadline_then_registration_is_refused_naming_it() -> (
    None
):
    registry = Registry(MemoryRegistryStore())
    for name, after in (("one", []), ("two", ["one"]), ("three", ["two"])):
        registry.register(DEV, manifest(name, timeout_seconds=900, after=after))
    with pytest.raises(InvalidRegistration) as refused:
        registry.register(DEV, manifest("four", timeout_seconds=900, after=["three"]))
    message = str(refused.value)
    assert message.startswith("/timeout_seconds:")
    assert "preMetadata: one → two → three → four 3600 s" in message
    assert f"enriching deadline of {deadlines.ENRICHING_S} s" in message
    registry.register(DEV, manifest("parallel", timeout_seconds=900))  # beside the chain: costs nothing more


def test_given_hooks_one_after_another_then_their_chains_add_up_against_the_deadline() -> None:
    registry = Registry(MemoryRegistryStore(), enriching_deadline=timedelta(seconds=1000))
    registry.register(DEV, manifest("first", "preValidate", timeout_seconds=500))
    with pytest.raises(InvalidRegistration, match="preValidate: first 500 s; postMetadata: last 500 s"):
        registry.register(DEV, manifest("last", "postMetadata", timeout_seconds=500))
    registry.register(DEV, manifest("last", "postMetadata", timeout_seconds=400))
    with pytest.raises(InvalidRegistration):
        registry.update(DEV, "last", manifest("last", "postMetadata", timeout_seconds=600))


def test_given_a_disabled_plugin_when_enabling_it_would_break_the_budget_then_it_is_refused() -> None:
    registry = Registry(MemoryRegistryStore(), enriching_deadline=timedelta(seconds=1000))
    registry.register(DEV, manifest("slow", timeout_seconds=800))
    registry.set_enabled(DEV, "slow", False)
    registry.register(DEV, manifest("other", "postMetadata", timeout_seconds=800))
    with pytest.raises(InvalidRegistration, match="enriching deadline"):
        registry.set_enabled(DEV, "slow", True)


def test_given_timeouts_on_videos_in_a_row_then_the_plugin_is_disabled_with_the_reason() -> None:
    store = MemoryRegistryStore()
    plugin = Registry(store).register(DEV, manifest("sleepy"))
    for n in range(TIMEOUT_STRIKES - 1):
        plugin = after_outcome(plugin, f"vid-{n}", "timed_out", NOW)
    assert plugin.enabled and plugin.timeouts_in_a_row == TIMEOUT_STRIKES - 1
    assert after_outcome(plugin, "vid-x", "succeeded", NOW).timeouts_in_a_row == 0  # an answer in time clears
    plugin = after_outcome(plugin, "vid-last", "timed_out", NOW)
    assert not plugin.enabled
    assert plugin.disabled_reason is not None and "timed out on 3 videos in a row (the last vid-last)" in (
        plugin.disabled_reason
    )
    store.put(plugin)
    enabled = Registry(store).set_enabled(DEV, "sleepy", True)  # the owner fixed it
    assert enabled.enabled and enabled.disabled_reason is None and enabled.timeouts_in_a_row == 0


def test_given_a_lifecycle_then_it_reports_each_invocation_outcome_to_the_registry() -> None:
    harness = Harness(manifest("silent", timeout_seconds=5), manifest("quick", "postMetadata"))
    harness.service.start(video_processed())
    harness.pass_time(6)
    harness.answer("quick")
    catalog = harness.service.catalog
    assert catalog.outcomes == [  # type: ignore[attr-defined]
        ("silent", "vid-plugins-1", "timed_out"),
        ("quick", "vid-plugins-1", "succeeded"),
    ]


def test_given_chained_plugins_then_the_lifecycle_backstop_is_the_longest_chains_not_the_sum() -> None:
    harness = Harness(manifest("a", timeout_seconds=100), manifest("b", timeout_seconds=100))
    harness.service.start(video_processed())
    state = harness.state()
    assert state.deadline - state.started_at <= timedelta(seconds=100) + LIFECYCLE_SLACK + timedelta(
        seconds=1
    )
