"""Schedule expressions (`at`, `rate`, AWS's six-field `cron`) give the firing times AWS documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.scheduler import InvalidExpression, parse_expression

START = datetime(2026, 3, 4, 10, 17, 30, tzinfo=UTC)  # a Wednesday


def fire(expression: str, after: datetime = START, timezone: str | None = None) -> datetime | None:
    return parse_expression(expression, timezone).next_after(after)


def test_given_at_in_a_timezone_when_evaluated_then_it_is_converted_to_utc():
    assert fire("at(2026-03-04T12:00:00)", timezone="Europe/Paris") == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
    assert fire("at(2026-03-04T09:00:00)") is None  # already past


def test_given_rate_when_evaluated_then_periods_count_from_the_anchor():
    expression = parse_expression("rate(5 minutes)")
    assert expression.next_after(START, anchor=START) == START + timedelta(minutes=5)
    assert expression.next_after(START + timedelta(minutes=7), anchor=START) == START + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 12 * * ? *)", datetime(2026, 3, 4, 12, 0, tzinfo=UTC)),
        ("cron(15 10 ? * 6L 2026)", datetime(2026, 3, 27, 10, 15, tzinfo=UTC)),  # last Friday of March
        ("cron(0/15 * * * ? *)", datetime(2026, 3, 4, 10, 30, tzinfo=UTC)),
        ("cron(0 8 ? * MON-FRI *)", datetime(2026, 3, 5, 8, 0, tzinfo=UTC)),
        ("cron(0 0 L * ? *)", datetime(2026, 3, 31, 0, 0, tzinfo=UTC)),
        ("cron(0 9 ? * 2#1 *)", datetime(2026, 4, 6, 9, 0, tzinfo=UTC)),  # first Monday of April
        ("cron(0 9 1W * ? *)", datetime(2026, 4, 1, 9, 0, tzinfo=UTC)),
        ("cron(0 18 ? * WED *)", datetime(2026, 3, 4, 18, 0, tzinfo=UTC)),
    ],
)
def test_given_aws_cron_examples_when_evaluated_then_next_firing_matches(expression, expected):
    assert fire(expression) == expected


def test_given_cron_in_a_timezone_when_evaluated_then_local_wall_time_is_used():
    assert fire("cron(0 3 * * ? *)", timezone="Europe/Paris") == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(2 hour)",
        "cron(0 12 * * * *)",
        "cron(0 12 * *)",
        "every day",
        "cron(61 * * * ? *)",
        "at(2026-13-01T00:00:00)",
    ],
)
def test_given_an_invalid_expression_when_parsed_then_it_is_rejected(expression):
    with pytest.raises(InvalidExpression):
        parse_expression(expression)
