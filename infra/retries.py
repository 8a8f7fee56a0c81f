"""Every queue's retry timing, derived in one place from its consumer's timeout and the deadline it serves.

A queue's visibility timeout is how long a crashed attempt holds a message before the next one; its receive
count, how many attempts there are; its retention, how long a message may wait. Chosen apart, they outran
the deadlines: 3 attempts 5,400 s apart against a 2 h processing deadline (the sweeper failed the video
before the retry), and plugin queues that dropped messages before their last attempt could reach the
dead-letter queue.
`retries()` makes them consistent: every attempt starts and ends before the deadline (when there is one), and
a message is kept until its last attempt is over, so what fails reaches the dead-letter queue for redrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_lambda as lambda_

# AWS's advice for an SQS event source: a visibility timeout of six times the function's timeout (room for
# throttled retries inside one receive); used when no deadline asks for less.
VISIBILITY_PER_TIMEOUT = 6
# Time the video's sweeper (every 5 minutes) and the last attempt's result need after the last attempt.
MARGIN_S = 300
SQS_MAX_RETENTION_S = 14 * 24 * 3600


@dataclass(frozen=True)
class Retries:
    consumer_timeout_s: int
    visibility_timeout_s: int
    max_receive_count: int
    retention_s: int
    deadline_s: int | None = None

    @property
    def last_attempt_ends_s(self) -> int:
        """When the last attempt is over at the latest, counted from the first receive."""
        return (self.max_receive_count - 1) * self.visibility_timeout_s + self.consumer_timeout_s


def retries(
    consumer_timeout_s: int,
    *,
    receives: int = 3,
    deadline_s: int | None = None,
    keep_s: int = 0,
) -> Retries:
    """The queue settings for a consumer that runs up to `consumer_timeout_s` per attempt.

    `deadline_s`: the attempts must all end this long after the first (less MARGIN_S), e.g. the video's
    processing deadline; the visibility timeout shrinks from six timeouts to fit, never below the timeout
    (a message must not be received again while an attempt may still run). `keep_s`: keep messages at least
    this long (an outage's worth), whatever the attempts need."""
    if receives < 1:
        raise ValueError("a queue needs at least one receive")
    floor = consumer_timeout_s + 1
    visibility = max(VISIBILITY_PER_TIMEOUT * consumer_timeout_s, floor)
    if deadline_s is not None and receives > 1:
        room = deadline_s - MARGIN_S - consumer_timeout_s
        visibility = min(visibility, room // (receives - 1))
        if visibility < floor:
            raise ValueError(
                f"{receives} attempts of {consumer_timeout_s} s cannot end within "
                f"{deadline_s} s less {MARGIN_S} s: fewer receives or a shorter timeout"
            )
    retention = min(max(visibility * receives + MARGIN_S, keep_s), SQS_MAX_RETENTION_S)
    if retention < visibility * receives + MARGIN_S:
        raise ValueError(f"{receives} receives of {visibility} s outlast SQS's longest retention")
    return Retries(consumer_timeout_s, visibility, receives, retention, deadline_s)


def function_retries(function: lambda_.Function, **options: int) -> Retries:
    """`retries()` for a queue that feeds `function`, from the function's own timeout."""
    if function.timeout is None:
        raise ValueError(f"{function.node.path}: a consumer function needs a timeout")
    return retries(int(function.timeout.to_seconds()), **options)
