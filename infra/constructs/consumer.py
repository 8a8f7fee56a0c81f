"""A function fed by EventBridge rules through its own queue: the one shape every svideo consumer takes.

Rules (from `Subscription`s) → queue (SSE-SQS, TLS only, redrive to its dead-letter queue) → the function by
an SQS event source reporting batch item failures, with the cdk-nag and cfn-lint acknowledgements it needs.
"""

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge, ignore_lint
from infra.retries import Retries
from infra.subscriptions import Subscription, subscribe_queue

DEAD_LETTER_RETENTION = cdk.Duration.days(14)
# AWS's advice for SQS event sources: a visibility timeout of six times the function's timeout.
VISIBILITY_PER_FUNCTION_TIMEOUT = 6


class QueueConsumer(Construct):
    """`.queue` and `.dead_letter_queue` (children of this construct) and `.rules` (created in `scope`, so a
    rule keeps its logical id beside its stack's other rules); `consume(function)` attaches the function.

    `rule_dead_letter_queue` is where the rules' targets dead-letter (the core events DLQ for the svideo bus);
    by default this consumer's own dead-letter queue (for rules on the default bus, outside the core policy).
    Pass `function` to attach it now, or call `consume` later (a function that dead-letters its own async
    invocations to `.dead_letter_queue` needs the queue first); `function_timeout` then sets the visibility.
    `retries` (from `infra.retries.retries`) sets visibility, receive count and retention together, in step
    with the consumer's timeout and the deadline it serves.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        subscriptions: Sequence[Subscription],
        function: lambda_.Function | None = None,
        function_timeout: cdk.Duration | None = None,
        visibility_timeout: cdk.Duration | None = None,
        batch_size: int = 10,
        max_receive_count: int = 3,
        retention_period: cdk.Duration | None = None,
        rule_dead_letter_queue: sqs.IQueue | None = None,
        retries: Retries | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if retries is not None:
            visibility_timeout = cdk.Duration.seconds(retries.visibility_timeout_s)
            max_receive_count = retries.max_receive_count
            retention_period = cdk.Duration.seconds(retries.retention_s)
        timeout = function_timeout or (function.timeout if function else None)
        if visibility_timeout is None:
            if timeout is None:
                raise ValueError(f"{construct_id}: give function, function_timeout or visibility_timeout")
            visibility_timeout = cdk.Duration.seconds(VISIBILITY_PER_FUNCTION_TIMEOUT * timeout.to_seconds())
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        ignore_lint(
            self.dead_letter_queue, "ES6000", "A dead-letter queue has no dead-letter queue of its own."
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "A dead-letter queue itself: of the consumer's queue, and maybe of rules or a function.",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=retention_period,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
        )
        rule_dlq = rule_dead_letter_queue or self.dead_letter_queue
        self.rules = [
            subscribe_queue(scope, subscription, bus=bus, queue=self.queue, dead_letter_queue=rule_dlq)
            for subscription in subscriptions
        ]
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        if function is not None:
            self.consume(function)

    def consume(self, function: lambda_.Function) -> None:
        """The queue feeds `function`; a failed record alone returns to the queue (batch item failures)."""
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=self.batch_size,
                report_batch_item_failures=True,
                max_concurrency=self.max_concurrency,
            )
        )
        mapping = function.node.find_child(f"SqsEventSource:{cdk.Names.node_unique_id(self.queue.node)}")
        ignore_lint(
            mapping, "ES1001", "SQS mappings take no OnFailure destination; the queue's redrive does."
        )
