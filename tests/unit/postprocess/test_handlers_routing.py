"""Routing by configuration: the two rules partition every duration; the threshold follows from the limits."""

from __future__ import annotations

from typing import Any

import pytest

from infra.stacks.postprocess_stack import routing_subscriptions, task_stopped_subscription
from services.postprocess import config
from shared.patterns import matches
from tests.unit.postprocess.handler_support import ecs_stopped, recording_ended

DEFAULT = config.default_lambda_max_duration_ms()


def _event(duration_ms: int) -> dict[str, Any]:
    return recording_ended("svideo-dev-recordings", "ivs/v1/1/c/2026/11/22/9/5/r", duration_ms=duration_ms)


@pytest.mark.parametrize("threshold", [DEFAULT, 60_000])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_given_a_duration_around_the_threshold_then_exactly_one_rule_matches(
    threshold: int, offset: int
) -> None:
    to_lambda, to_fargate = routing_subscriptions("dev", threshold)
    event = _event(threshold + offset)

    routed = [matches(dict(s.event_pattern), event) for s in (to_lambda, to_fargate)]

    assert routed == ([True, False] if offset <= 0 else [False, True])


@pytest.mark.parametrize("duration_ms", [0, 1, 10 * 3_600_000])
def test_given_any_valid_duration_then_the_rules_partition_it(duration_ms: int) -> None:
    to_lambda, to_fargate = routing_subscriptions("dev", DEFAULT)
    event = _event(duration_ms)
    assert matches(dict(to_lambda.event_pattern), event) != matches(dict(to_fargate.event_pattern), event)
    assert matches(dict(to_lambda.event_pattern), event) == (duration_ms <= DEFAULT)


def test_given_another_event_type_then_neither_rule_matches() -> None:
    event = _event(1_000) | {"detail-type": "Broadcast.Ended"}
    assert not any(matches(dict(s.event_pattern), event) for s in routing_subscriptions("dev", DEFAULT))


def test_given_ecs_state_changes_then_only_stops_of_the_postprocess_family_reach_the_watcher() -> None:
    pattern = dict(task_stopped_subscription("dev").event_pattern)
    stopped = ecs_stopped(None, exit_code=1)
    running = ecs_stopped(None, exit_code=None)
    running["detail"]["lastStatus"] = "RUNNING"
    other = ecs_stopped(None, exit_code=1)
    other["detail"]["group"] = "family:someone-else"
    assert [matches(pattern, e) for e in (stopped, running, other)] == [True, False, False]


def test_given_lambdas_limits_then_the_default_threshold_is_the_tighter_limit_in_whole_minutes() -> None:
    space, time = config.lambda_space_limit_ms(), config.lambda_time_limit_ms()
    assert min(space, time) - min(space, time) % 60_000 == DEFAULT
    assert DEFAULT % 60_000 == 0 and 15 * 60_000 < DEFAULT < 120 * 60_000  # 78 min with today's figures


def test_given_a_recording_at_the_threshold_then_its_scratch_fits_10_gb_and_its_work_half_the_timeout() -> (
    None
):
    recording_bytes = DEFAULT / 1000 * config.PLANNING_BITRATE_BPS / 8
    scratch = recording_bytes * config.SCRATCH_FACTOR + config.SCRATCH_RESERVE_BYTES
    assert scratch <= config.LAMBDA_MAX_EPHEMERAL_MIB * 1024**2
    seconds = recording_bytes * (2 / config.ASSUMED_S3_BYTES_PER_S + 1 / config.MEASURED_STITCH_BYTES_PER_S)
    assert seconds <= config.LAMBDA_MAX_TIMEOUT_S / 2
