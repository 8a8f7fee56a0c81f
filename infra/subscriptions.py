"""The one place a subscription is declared: stacks build its rule from it, tests check its pattern."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.patterns import compile_pattern

TargetKind = Literal["sqs"]
DEFAULT_MAX_EVENT_AGE = cdk.Duration.hours(2)
# JSON pattern keys → aws_events.EventPattern fields (the struct renders them back unchanged).
_PATTERN_FIELDS = {
    "version": "version",
    "id": "id",
    "detail-type": "detail_type",
    "source": "source",
    "account": "account",
    "time": "time",
    "region": "region",
    "resources": "resources",
    "detail": "detail",
}


@dataclass(frozen=True)
class Subscription:
    """A rule on the svideo bus; `name` is its rule name (unique on the bus)."""

    name: str
    description: str
    event_pattern: Mapping[str, Any]
    target: TargetKind = "sqs"
    retry_attempts: int = 8
    max_event_age: cdk.Duration = DEFAULT_MAX_EVENT_AGE

    def __post_init__(self) -> None:
        compile_pattern(dict(self.event_pattern))  # an invalid pattern fails here, at synth, not at deploy
        unsupported = set(self.event_pattern) - set(_PATTERN_FIELDS)
        if unsupported:
            raise ValueError(
                f"{self.name}: top-level pattern keys not expressible in a CDK rule: {unsupported}"
            )
        for key, value in self.event_pattern.items():
            _field(key, value)  # raises on a top-level matcher a CDK rule cannot carry


def _field(key: str, value: Any) -> Any:
    """A top-level field for EventPattern, whose typed fields (all but `detail`) take strings only: a lone
    `{"prefix": ...}` becomes `Match.prefix`, which renders back to the same JSON."""
    if key == "detail" or not isinstance(value, list) or all(isinstance(item, str) for item in value):
        return value
    if len(value) == 1 and isinstance(value[0], Mapping) and set(value[0]) == {"prefix"}:
        return events.Match.prefix(str(value[0]["prefix"]))
    raise ValueError(
        f"top-level field {key!r}: only strings or one {{'prefix': ...}} fit a CDK rule: {value}"
    )


def event_pattern(subscription: Subscription) -> events.EventPattern:
    """The subscription's pattern as a CDK rule's, rendering back to exactly its JSON."""
    return events.EventPattern(
        **{_PATTERN_FIELDS[key]: _field(key, value) for key, value in subscription.event_pattern.items()}
    )


def subscribe(
    scope: Construct, subscription: Subscription, *, bus: events.IEventBus, target: events.IRuleTarget
) -> events.Rule:
    """The subscription's rule (id `Rule-<name>` in `scope`) with one target built by the caller."""
    return events.Rule(
        scope,
        f"Rule-{subscription.name}",
        rule_name=subscription.name,
        description=subscription.description,
        event_bus=bus,
        event_pattern=event_pattern(subscription),
        targets=[target],
    )


def subscribe_queue(
    scope: Construct,
    subscription: Subscription,
    *,
    bus: events.IEventBus,
    queue: sqs.IQueue,
    dead_letter_queue: sqs.IQueue,
) -> events.Rule:
    """The subscription's rule, delivering to `queue`; undeliverable events go to `dead_letter_queue`."""
    target = targets.SqsQueue(
        queue,
        dead_letter_queue=dead_letter_queue,
        retry_attempts=subscription.retry_attempts,
        max_event_age=subscription.max_event_age,
    )
    return subscribe(scope, subscription, bus=bus, target=target)


def video_deleted_subscription(stage: str, service: str) -> Subscription:
    """A service's rule for deleted videos (`Video.StatusChanged` to `deleted`): it removes what it holds."""
    from infra.naming import resource_name

    return Subscription(
        name=resource_name(stage, service, "video-deleted"),
        description=f"Deleted videos: the {service} service removes what it holds of them",
        event_pattern={
            "source": ["svideo.video"],
            "detail-type": ["Video.StatusChanged"],
            "detail": {"to": ["deleted"]},
        },
    )
