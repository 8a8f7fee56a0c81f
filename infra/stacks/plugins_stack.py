"""The plugin platform: registry table and `/plugins` routes, the lifecycle (table, queue, schedules, key)."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.http_routes import attach_http_routes
from infra.constructs.publishing import publish_statement
from infra.constructs.service_function import ServiceFunction, must_not_starve
from infra.nag import acknowledge, acknowledge_resource
from infra.naming import bus_name, parameter_name, resource_name
from infra.retries import retries
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription, video_deleted_subscription
from services.plugins.invocation_log import PLUGIN_ATTRIBUTE, PLUGIN_INDEX, TIME_ATTRIBUTE
from shared import deadlines
from shared.events.plugins import PLUGIN_SOURCE_PREFIX, PLUGINS_SOURCE, PluginCompleted
from shared.events.postprocess import POSTPROCESS_SOURCE, VideoProcessed

QUEUE_RETENTION = cdk.Duration.days(14)
LIFECYCLE_TIMEOUT = cdk.Duration.seconds(30)
LIFECYCLE_RESERVED_CONCURRENCY = 5  # one video's hooks never wait for capacity behind another burst
# Registry routes; every one needs a signed-in caller (the domain checks plugin-developer / admin).
ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/plugins"),
    ("GET", "/plugins"),
    ("GET", "/plugins/{name}"),
    ("PUT", "/plugins/{name}"),
    ("DELETE", "/plugins/{name}"),
    ("POST", "/plugins/{name}/enable"),
    ("POST", "/plugins/{name}/disable"),
    ("GET", "/plugins/{name}/invocations"),
)
REGISTRY_TABLE_KEY = "plugins/registry-table-name"


def lifecycle_subscriptions(stage: str) -> list[Subscription]:
    return [
        Subscription(
            name=resource_name(stage, "plugins", "video-processed"),
            description="Processed videos start their plugin lifecycle",
            event_pattern={"source": [POSTPROCESS_SOURCE], "detail-type": [VideoProcessed.detail_type]},
        ),
        Subscription(
            name=resource_name(stage, "plugins", "plugin-completed"),
            description="Plugins' completions (checked against the invocation's token in the lifecycle)",
            event_pattern={
                "source": [{"prefix": PLUGIN_SOURCE_PREFIX}],
                "detail-type": [PluginCompleted.detail_type],
            },
        ),
        # A deleted video's lifecycle state and invocation log rows go (outputs and previews with them).
        video_deleted_subscription(stage, "plugins"),
    ]


class PluginsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="svideo plugins: registry and lifecycle", **kwargs)
        self.stage = stage
        self.bus = import_bus(self, stage)
        self.registry = self._table("Registry", "name")
        self.lifecycles = self._table("Lifecycles", "video_id", time_to_live_attribute="expires_at")
        # The invocation log's rows, per plugin newest first (a sparse index: only log rows carry its keys).
        self.lifecycles.add_global_secondary_index(
            index_name=PLUGIN_INDEX,
            partition_key=dynamodb.Attribute(name=PLUGIN_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=TIME_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
        )
        self.token_key = secretsmanager.Secret(
            self,
            "TokenKey",
            description="HMAC key of plugin invocation tokens (never leaves the lifecycle function)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
        )
        acknowledge(
            self.token_key,
            "AwsSolutions-SMG4",
            "Rotating the key invalidates in-flight tokens; it is rotated between lifecycles, by hand.",
        )
        # The lifecycle queue also takes the deadline schedules' messages; its DLQ, their dead letters.
        self.inbox = QueueConsumer(
            self,
            "LifecycleInbox",
            bus=self.bus,
            subscriptions=lifecycle_subscriptions(stage),
            function_timeout=LIFECYCLE_TIMEOUT,
            # Every redelivery of a transition still lands before the videos' enriching deadline.
            retries=retries(
                int(LIFECYCLE_TIMEOUT.to_seconds()),
                receives=5,
                deadline_s=deadlines.ENRICHING_S,
                keep_s=int(QUEUE_RETENTION.to_seconds()),
            ),
            rule_dead_letter_queue=import_events_dead_letter_queue(self, stage),
        )
        self.queue, self.dead_letters = self.inbox.queue, self.inbox.dead_letter_queue
        self.schedule_group = scheduler.CfnScheduleGroup(
            self, "Deadlines", name=resource_name(stage, "plugin-deadlines")
        )
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
        )
        self.queue.grant_send_messages(self.scheduler_role)
        self.dead_letters.grant_send_messages(self.scheduler_role)
        self.lifecycle_function = self._lifecycle_function()
        self.api_function = self._api_function()
        self._routes()
        ssm.StringParameter(
            self,
            "Parameter-registry-table",
            parameter_name=parameter_name(stage, REGISTRY_TABLE_KEY),
            string_value=self.registry.table_name,
            description=f"svideo {stage}: plugin registry table",
        )

    def _table(self, construct_id: str, key: str, **options: Any) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
            **options,
        )

    def _lifecycle_function(self) -> ServiceFunction:
        schedule_arn = self.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.schedule_group.name}/*"
        )
        function = ServiceFunction(
            self,
            "Lifecycle",
            service="plugins",
            handler="services.plugins.handlers.lifecycle.handler",
            description="svideo plugins: the lifecycle (Video.Processed, Plugin.Completed, deadlines)",
            timeout=LIFECYCLE_TIMEOUT,
            reserved_concurrency=must_not_starve(self, LIFECYCLE_RESERVED_CONCURRENCY),
            environment={
                "BUS_NAME": bus_name(self.stage),
                "REGISTRY_TABLE": self.registry.table_name,
                "LIFECYCLE_TABLE": self.lifecycles.table_name,
                "TOKEN_SECRET_ARN": self.token_key.secret_arn,
                "SCHEDULE_GROUP": str(self.schedule_group.name),
                "DEADLINE_QUEUE_ARN": self.queue.queue_arn,
                "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
                "SCHEDULE_DEAD_LETTER_ARN": self.dead_letters.queue_arn,
            },
        )
        for statement in (
            iam.PolicyStatement(
                # PutItem: a plugin's timeouts in a row (and its disabling) go on its registry record.
                actions=["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem"],
                resources=[self.registry.table_arn],
            ),
            iam.PolicyStatement(
                # DeleteItem, BatchWriteItem: a deleted video's state and log rows go.
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                ],
                resources=[self.lifecycles.table_arn],
            ),
            publish_statement(self.bus.event_bus_arn, PLUGINS_SOURCE),
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[self.token_key.secret_arn]
            ),
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"], resources=[schedule_arn]
            ),
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn]),
        ):
            function.role.add_to_policy(statement)
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            schedule_arn,
            "Deadline schedules are created per invocation at run time, only inside the plugins' own group.",
        )
        self.inbox.consume(function.function)
        return function

    def _allow_deployment_checks(self, role: iam.IRole) -> None:
        """Registration reads whether a plugin is deployed (services/plugins/deployments.py): its rule on the
        bus and that rule's targets; read-only, and only plugins' rules."""
        rules = self.format_arn(
            service="events",
            resource="rule",
            resource_name=f"{bus_name(self.stage)}/{self.stage}-svideo-plugin-*",
        )
        targets = {
            "events:DescribeApiDestination": self.format_arn(
                service="events", resource="api-destination", resource_name="*"
            ),
            "sqs:GetQueueUrl": self.format_arn(service="sqs", resource="*"),
            "lambda:GetFunctionConfiguration": self.format_arn(
                service="lambda",
                resource="function",
                resource_name="*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            ),
        }
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:DescribeRule", "events:ListTargetsByRule"], resources=[rules]
            )
        )
        acknowledge_resource(role, "AwsSolutions-IAM5", rules, "Every plugin's invocation rule, read only.")
        for action, resource in targets.items():
            role.add_to_principal_policy(iam.PolicyStatement(actions=[action], resources=[resource]))
            acknowledge_resource(
                role, "AwsSolutions-IAM5", resource,
                "A plugin's target is named by its rule, in the plugin's own stack; read only (exists?).",
            )  # fmt: skip

    def _api_function(self) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "Api",
            service="plugins",
            handler="services.plugins.handlers.api.handler",
            description="svideo plugins: the /plugins routes of the HTTP API",
            environment={
                "REGISTRY_TABLE": self.registry.table_name,
                "LIFECYCLE_TABLE": self.lifecycles.table_name,
                "BUS_NAME": bus_name(self.stage),
                "STAGE": self.stage,
            },
        )
        self._allow_deployment_checks(function.role)
        function.role.add_to_policy(
            iam.PolicyStatement(
                actions=[f"dynamodb:{a}" for a in ("GetItem", "PutItem", "DeleteItem", "Scan")],
                resources=[self.registry.table_arn],
            )
        )
        function.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"], resources=[f"{self.lifecycles.table_arn}/index/{PLUGIN_INDEX}"]
            )
        )
        return function

    def _routes(self) -> None:
        routes = [(method, path, True) for method, path in ROUTES]
        api_id = attach_http_routes(
            self, stage=self.stage, function=self.api_function.function, routes=routes
        )
        cdk.Annotations.of(self.api_function.function).acknowledge_warning(
            "@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias",
            "The HTTP API integration invokes the unqualified function ARN that this permission covers.",
        )
        self.api_function.function.add_permission(
            "InvokedByHttpApi",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.format_arn(service="execute-api", resource=api_id, resource_name="*/*/plugins*"),
        )
