"""What the platform alarms on: one `AlarmKind` per runbook entry in docs/operations.md; custom metrics.

Thresholds, periods and missing-data treatment live here, not in the stacks, so every stack (and any stack
added later) gets the same alarms, and the local cloud evaluates exactly these definitions.
"""

from dataclasses import dataclass
from typing import Literal

from infra.naming import METRICS_NAMESPACE

RUNBOOK = "docs/operations.md"
Comparison = Literal["GreaterThanThreshold", "GreaterThanOrEqualToThreshold"]
MissingData = Literal["missing", "notBreaching", "breaching", "ignore"]


@dataclass(frozen=True)
class AlarmKind:
    """One kind of alarm: the metric statistic and CloudWatch's evaluation settings; `anchor` is its runbook
    entry (`docs/operations.md#<anchor>`)."""

    anchor: str
    summary: str
    statistic: str  # "Maximum", "Sum", "Average" or a percentile "p99"
    threshold: float
    period_s: int = 60
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    comparison: Comparison = "GreaterThanThreshold"
    missing: MissingData = "notBreaching"

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK}#{self.anchor}"


DLQ_DEPTH = AlarmKind("dlq-depth", "messages are waiting in a dead-letter queue", "Maximum", 0)
FUNCTION_ERRORS = AlarmKind("function-errors", "a function's invocations fail", "Sum", 0, period_s=300)
FUNCTION_THROTTLES = AlarmKind("function-throttles", "a function is throttled", "Sum", 0, period_s=300)
PIPE_FAILURES = AlarmKind("pipe-failures", "a Pipe's executions fail", "Sum", 0, period_s=300)
RULE_TARGET_FAILURES = AlarmKind(
    "rule-target-failures", "a rule could not deliver to its target", "Sum", 0, period_s=300
)
API_5XX = AlarmKind("api-5xx", "more than 5 % of API requests end in 5xx", "Average", 0.05, period_s=300)
API_LATENCY = AlarmKind(
    "api-latency",
    "the API's p99 latency is above 3 s",
    "p99",
    3000,
    period_s=300,
    evaluation_periods=3,
    datapoints_to_alarm=2,
    missing="missing",
)
STATE_MACHINE_FAILURES = AlarmKind(
    "state-machine-failures", "state machine executions fail or time out", "Sum", 0, period_s=300
)


@dataclass(frozen=True)
class CustomAlarm:
    """An alarm on a metric a handler emits (Powertools EMF, namespace `svideo`, dimension `service`); it
    lands in the stack that deploys the handler."""

    kind: AlarmKind
    metric: str
    service: str
    handler: str  # the function's handler, e.g. services.video.handlers.sweeper.handler
    namespace: str = METRICS_NAMESPACE


CUSTOM_ALARMS: tuple[CustomAlarm, ...] = (
    CustomAlarm(
        AlarmKind("videos-overdue", "videos passed their status's deadline", "Sum", 0, period_s=900),
        metric="VideosPastDeadline",
        service="video",
        handler="services.video.handlers.sweeper.handler",
    ),
    CustomAlarm(
        AlarmKind(
            "plugin-timeouts",
            "plugins miss their invocation deadline",
            "Sum",
            3,
            period_s=900,
            comparison="GreaterThanOrEqualToThreshold",
        ),
        metric="DeadlinesFired",
        service="plugins",
        handler="services.plugins.handlers.lifecycle.handler",
    ),
    CustomAlarm(
        AlarmKind("plugin-rejections", "plugin completions or events refused", "Sum", 0, period_s=300),
        metric="EventsRefused",
        service="plugins",
        handler="services.plugins.handlers.lifecycle.handler",
    ),
    CustomAlarm(
        AlarmKind("fargate-task-failures", "Fargate post-processing tasks died", "Sum", 0, period_s=300),
        metric="FargateTasksFailed",
        service="postprocess",
        handler="services.postprocess.handlers.task_stopped.handler",
    ),
)

KINDS: tuple[AlarmKind, ...] = (
    DLQ_DEPTH,
    FUNCTION_ERRORS,
    FUNCTION_THROTTLES,
    PIPE_FAILURES,
    RULE_TARGET_FAILURES,
    API_5XX,
    API_LATENCY,
    STATE_MACHINE_FAILURES,
    *(custom.kind for custom in CUSTOM_ALARMS),
)
