"""The core stack: the event bus every service publishes to, its archive, schemas and shared DLQ."""

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.parameters import publish_parameters
from infra.nag import acknowledge, ignore_lint
from infra.naming import CoreParameter, bus_name, resource_name, schema_registry_name
from infra.operations.alarms import mark_dead_letter_queue

ARCHIVE_RETENTION = cdk.Duration.days(90)
DLQ_RETENTION = cdk.Duration.days(14)


class CoreStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        schemas: Mapping[str, Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, construct_id, description="svideo core: event bus, archive, schemas, DLQ", **kwargs
        )
        self.stage = stage
        self.bus = self._bus()
        self.dlq = self._dead_letter_queue()
        registry = self._schema_registry(self._registry_schemas() if schemas is None else schemas)
        publish_parameters(
            self,
            stage,
            {
                CoreParameter.BUS_NAME: self.bus.event_bus_name,
                CoreParameter.BUS_ARN: self.bus.event_bus_arn,
                CoreParameter.DLQ_ARN: self.dlq.queue_arn,
                CoreParameter.DLQ_URL: self.dlq.queue_url,
                CoreParameter.SCHEMA_REGISTRY_NAME: registry.attr_registry_name,
                CoreParameter.ARCHIVE_NAME: resource_name(stage, "archive"),
            },
        )

    def _bus(self) -> events.EventBus:
        bus = events.EventBus(self, "Bus", event_bus_name=bus_name(self.stage))
        bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyThisAccountPutsEvents",
                principals=[iam.AccountRootPrincipal()],
                actions=["events:PutEvents"],
                resources=[bus.event_bus_arn],
            )
        )
        # Everything on the bus (svideo.* and forwarded aws.ivs events) is kept for replay.
        bus.archive(
            "Archive",
            archive_name=resource_name(self.stage, "archive"),
            description="Every event on the svideo bus, for replay",
            event_pattern=events.EventPattern(account=[self.account]),
            retention=ARCHIVE_RETENTION,
        )
        return bus

    def _dead_letter_queue(self) -> sqs.Queue:
        # SSE-SQS, not the AWS-managed KMS key: EventBridge cannot send to a queue encrypted with aws/sqs.
        dlq = sqs.Queue(
            self,
            "EventsDeadLetterQueue",
            queue_name=resource_name(self.stage, "events", "dlq"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        mark_dead_letter_queue(dlq, "the svideo bus's rule targets, in whichever stack owns the rule")
        # Rules of this bus, in whichever stack owns them, may dead-letter here.
        dlq.add_to_resource_policy(
            iam.PolicyStatement(
                sid="RulesOfTheBusDeadLetterHere",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[dlq.queue_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": self.format_arn(
                            service="events", resource="rule", resource_name=f"{self.bus.event_bus_name}/*"
                        )
                    }
                },
            )
        )
        acknowledge(
            dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of EventBridge rule targets that other stacks own.",
        )
        ignore_lint(dlq, "ES6000", "A dead-letter queue has no dead-letter queue of its own.")
        return dlq

    def _registry_schemas(self) -> Mapping[str, Mapping[str, Any]]:
        from shared.events.schemas import registry_schemas

        return registry_schemas()

    def _schema_registry(self, schemas: Mapping[str, Mapping[str, Any]]) -> eventschemas.CfnRegistry:
        registry = eventschemas.CfnRegistry(
            self,
            "SchemaRegistry",
            registry_name=schema_registry_name(self.stage),
            description="svideo event schemas (OpenAPI 3), generated from the pydantic models in shared/",
        )
        for name, document in sorted(schemas.items()):
            eventschemas.CfnSchema(
                self,
                f"Schema-{name}",
                registry_name=registry.attr_registry_name,
                schema_name=name,
                type="OpenApi3",
                content=json.dumps(document, sort_keys=True),
            )
        return registry


def import_bus(scope: Construct, stage: str) -> events.IEventBus:
    """The core bus, by its well-known name, for a stack that deploys on its own."""
    return events.EventBus.from_event_bus_name(scope, "CoreBus", bus_name(stage))


def import_events_dead_letter_queue(scope: Construct, stage: str) -> sqs.IQueue:
    """The shared DLQ for rule targets, by its well-known name (its policy already admits the bus's rules)."""
    name = resource_name(stage, "events", "dlq")
    return sqs.Queue.from_queue_attributes(
        scope,
        "CoreEventsDeadLetterQueue",
        queue_arn=cdk.Stack.of(scope).format_arn(
            service="sqs", resource=name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
        ),
        queue_name=name,
    )
