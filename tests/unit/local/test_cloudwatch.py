"""The local cloud's alarm evaluation follows CloudWatch's rules; EMF lines become metrics."""

import json
from typing import Any

import pytest

from local.cloudwatch import Datapoint, MetricStore, emf_datapoints, evaluate, statistic

PERIOD = 60
NOW = 1_000_000 * PERIOD + 30  # half-way through a period


def _alarm(**overrides: Any) -> dict[str, Any]:
    return {
        "AlarmName": "dlq-depth",
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Statistic": "Maximum",
        "Period": PERIOD,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "StateValue": "OK",
        **overrides,
    }


def _points(*values: tuple[int, float]) -> list[Datapoint]:
    """(periods ago, value): one datapoint in that period."""
    return [Datapoint("AWS/SQS", "m", (), NOW - ago * PERIOD, value) for ago, value in values]


def test_given_a_datapoint_above_the_threshold_in_the_current_period_when_evaluated_then_alarm() -> None:
    result = evaluate(_alarm(), _points((0, 3.0)), NOW)
    assert result.state == "ALARM"
    assert "1 out of the last 1 datapoints [3.0" in result.reason


def test_given_the_breach_left_the_evaluation_range_when_evaluated_then_ok_under_not_breaching() -> None:
    assert evaluate(_alarm(), _points((1, 3.0)), NOW).state == "OK"


@pytest.mark.parametrize(
    ("treatment", "state"),
    [("missing", "INSUFFICIENT_DATA"), ("breaching", "ALARM"), ("notBreaching", "OK"), ("ignore", "ALARM")],
)
def test_given_no_data_at_all_when_evaluated_then_the_missing_data_treatment_decides(
    treatment: str, state: str
) -> None:
    # `ignore` keeps the current state, here ALARM.
    assert evaluate(_alarm(TreatMissingData=treatment, StateValue="ALARM"), [], NOW).state == state


def test_given_m_of_n_when_fewer_than_m_periods_breach_then_ok_and_when_m_breach_then_alarm() -> None:
    alarm = _alarm(EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="missing")
    assert evaluate(alarm, _points((0, 1.0), (1, 0.0), (2, 0.0)), NOW).state == "OK"
    assert evaluate(alarm, _points((0, 1.0), (1, 0.0), (2, 1.0)), NOW).state == "ALARM"


def test_given_missing_periods_treated_as_breaching_when_one_real_breach_then_they_make_up_m() -> None:
    alarm = _alarm(EvaluationPeriods=3, DatapointsToAlarm=3, TreatMissingData="breaching")
    assert evaluate(alarm, _points((0, 1.0)), NOW).state == "ALARM"
    assert evaluate(alarm, _points((0, 1.0), (1, 0.0)), NOW).state == "OK"


def test_given_a_percentile_statistic_when_evaluated_then_nearest_rank_over_the_period() -> None:
    values = [float(v) for v in range(1, 101)]
    assert statistic(values, "p99") == 99.0
    assert statistic(values, "p50") == 50.0
    alarm = _alarm(Statistic=None, ExtendedStatistic="p99", Threshold=98.0)
    points = [Datapoint("n", "m", (), NOW, v) for v in values]
    assert evaluate(alarm, points, NOW).state == "ALARM"


def test_given_a_powertools_emf_line_when_parsed_then_one_datapoint_per_value_with_its_dimensions() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "svideo",
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": "VideosPastDeadline", "Unit": "Count"}],
                    }
                ],
            },
            "service": "video",
            "VideosPastDeadline": [2, 1],
        }
    )
    points = emf_datapoints(line)
    assert [(p.namespace, p.name, p.dimensions, p.value) for p in points] == [
        ("svideo", "VideosPastDeadline", (("service", "video"),), 2.0),
        ("svideo", "VideosPastDeadline", (("service", "video"),), 1.0),
    ]
    assert points[0].timestamp == 1_700_000_000
    assert emf_datapoints('{"level": "INFO", "message": "not a metric"}') == []


def test_given_datapoints_with_other_dimensions_when_a_series_is_read_then_only_the_exact_set() -> None:
    store = MetricStore()
    store.put("AWS/Lambda", "Errors", {"FunctionName": "a"}, 1)
    store.put("AWS/Lambda", "Errors", {"FunctionName": "a", "Resource": "a:1"}, 5)
    assert [p.value for p in store.series("AWS/Lambda", "Errors", {"FunctionName": "a"})] == [1.0]
