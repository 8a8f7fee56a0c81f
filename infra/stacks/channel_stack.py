"""The channel service: channels table, IVS recording configuration and bucket, the channel API routes on the
public HTTP API (owned by VideoStack), and the `aws.ivs` events consumer."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ivs as ivs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.buckets import versioned_bucket_rules
from infra.constructs.consumer import QueueConsumer
from infra.constructs.http_routes import attach_http_routes
from infra.constructs.parameters import publish_parameters, read_parameter
from infra.constructs.publishing import publish_statement
from infra.constructs.service_function import ServiceFunction
from infra.nag import acknowledge, acknowledge_resource, ignore_lint
from infra.naming import (
    ChannelParameter,
    IdentityParameter,
    bus_name,
    resource_name,
)
from infra.retries import function_retries
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription, video_deleted_subscription
from shared.events.channel import CHANNEL_SOURCE

DEFAULT_RECONNECT_WINDOW_SECONDS = 60
THUMBNAIL_INTERVAL_SECONDS = 10
RECORDING_RETENTION = cdk.Duration.days(90)
RECORDING_NONCURRENT_RETENTION = cdk.Duration.days(7)
QUEUE_RETENTION = cdk.Duration.days(14)
# Channel routes: (method, path, needs a signed-in caller). Public routes verify an optional token themselves.
ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("POST", "/channels", True),
    ("GET", "/channels", True),
    ("GET", "/channels/live", False),
    ("GET", "/channels/{id}", False),
    ("PATCH", "/channels/{id}", True),
    ("POST", "/channels/{id}/stream-key/rotate", True),
    ("DELETE", "/channels/{id}", True),
)


def ivs_channel_prefix(stage: str) -> str:
    """IVS channel names are `<stage>-svideo-ch-<id>`: the IVS events rule matches this stage's only."""
    return f"{resource_name(stage)}-ch-"


def ivs_events_subscription(stage: str) -> Subscription:
    return Subscription(
        name=resource_name(stage, "channel", "ivs-events"),
        description="IVS stream and recording state changes of this stage's channels",
        event_pattern={
            "source": ["aws.ivs"],
            "detail-type": ["IVS Stream State Change", "IVS Recording State Change"],
            "detail": {"channel_name": [{"prefix": ivs_channel_prefix(stage)}]},
        },
    )


class ChannelStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="svideo channel: channels, IVS recording, live", **kwargs
        )
        self.stage = stage
        window = int(
            self.node.try_get_context("channel:reconnectWindowSeconds") or DEFAULT_RECONNECT_WINDOW_SECONDS
        )
        self.bus_arn = self.format_arn(service="events", resource="event-bus", resource_name=bus_name(stage))
        self.table = self._table()
        self.bucket = self._recording_bucket()
        self.recording_configuration = ivs.CfnRecordingConfiguration(
            self,
            "RecordingConfiguration",
            name=resource_name(stage, "recordings"),
            destination_configuration=ivs.CfnRecordingConfiguration.DestinationConfigurationProperty(
                s3=ivs.CfnRecordingConfiguration.S3DestinationConfigurationProperty(
                    bucket_name=self.bucket.bucket_name
                )
            ),
            recording_reconnect_window_seconds=window,
            thumbnail_configuration=ivs.CfnRecordingConfiguration.ThumbnailConfigurationProperty(
                recording_mode="INTERVAL",
                target_interval_seconds=THUMBNAIL_INTERVAL_SECONDS,
                storage=["SEQUENTIAL", "LATEST"],
            ),
            rendition_configuration=ivs.CfnRecordingConfiguration.RenditionConfigurationProperty(
                rendition_selection="ALL"
            ),
        )
        self.api_function = self._api_function(window)
        self.events_function = self._events_function(window)
        self.deletion_function = self._deletion_function()
        self._routes()
        publish_parameters(
            self,
            stage,
            {
                ChannelParameter.TABLE_NAME: self.table.table_name,
                ChannelParameter.RECORDING_BUCKET: self.bucket.bucket_name,
                ChannelParameter.RECORDING_CONFIGURATION_ARN: self.recording_configuration.attr_arn,
            },
        )

    def _removal_policy(self) -> cdk.RemovalPolicy:
        return cdk.RemovalPolicy.RETAIN if self.stage == "prod" else cdk.RemovalPolicy.DESTROY

    # -- storage -------------------------------------------------------------------------------------------
    def _table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Channels",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            removal_policy=self._removal_policy(),
        )
        indexes = {
            "by-owner": ("owner_id", "created_at"),
            "by-ivs-channel": ("ivs_channel_arn", None),
            "live": ("live_key", "live_since"),
        }
        for name, (partition, sort) in indexes.items():
            table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING) if sort else None,
            )
        return table

    def _recording_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Recordings",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            removal_policy=self._removal_policy(),
            lifecycle_rules=[
                # Raw IVS recordings feed post-processing, which writes the on-demand media elsewhere.
                s3.LifecycleRule(id="expire-raw-recordings", expiration=RECORDING_RETENTION),
                *versioned_bucket_rules(RECORDING_NONCURRENT_RETENTION),
            ],
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "No access logs: only IVS writes and svideo's roles read (public access blocked, TLS only), raw "
            "recordings expire; the app creates no trail: an account that needs an object-level audit "
            "enables CloudTrail S3 data events itself (docs/operations.md).",
        )
        ignore_lint(bucket, "W3045", "Bucket policy is CDK's enforce_ssl statement; no ACLs are used.")
        return bucket

    # -- functions -----------------------------------------------------------------------------------------
    def _table_statements(self, actions: list[str]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=[f"dynamodb:{a}" for a in actions],
            resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
        )

    def _put_events(self) -> iam.PolicyStatement:
        return publish_statement(self.bus_arn, CHANNEL_SOURCE)

    def _ivs_arn(self, resource: str) -> str:
        return self.format_arn(service="ivs", resource=resource, resource_name="*")

    def _api_function(self, window: int) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "Api",
            service="channel",
            handler="services.channel.handlers.api.handler",
            description="svideo channel: the /channels routes of the HTTP API",
            environment={
                "TABLE_NAME": self.table.table_name,
                "BUS_NAME": bus_name(self.stage),
                "RECORDING_CONFIGURATION_ARN": self.recording_configuration.attr_arn,
                "IVS_CHANNEL_PREFIX": ivs_channel_prefix(self.stage),
                "STAGE": self.stage,
                "DEFAULT_RECONNECT_WINDOW_SECONDS": str(window),
                "USER_POOL_ISSUER": self._ssm(IdentityParameter.USER_POOL_ISSUER),
                "USER_POOL_CLIENT_IDS": self._ssm(IdentityParameter.USER_POOL_CLIENT_ID),
            },
        )
        stage_tag = {"aws:ResourceTag/stage": self.stage}
        request_tag = {"aws:RequestTag/stage": self.stage}
        for statement in (
            self._table_statements(["GetItem", "PutItem", "DeleteItem", "Query"]),
            self._put_events(),
            # Channels and keys get their ARNs at run time; tags confine the function to its own stage's.
            iam.PolicyStatement(
                actions=["ivs:CreateChannel", "ivs:CreateStreamKey", "ivs:TagResource"],
                resources=[self._ivs_arn("channel"), self._ivs_arn("stream-key")],
                conditions={"StringEquals": request_tag},
            ),
            iam.PolicyStatement(
                # GetStream: a channel's live viewer count on its public page.
                actions=["ivs:CreateStreamKey", "ivs:DeleteChannel", "ivs:StopStream", "ivs:GetStream"],
                resources=[self._ivs_arn("channel")],
                conditions={"StringEquals": stage_tag},
            ),
            iam.PolicyStatement(
                actions=["ivs:DeleteStreamKey"],
                resources=[self._ivs_arn("stream-key")],
                conditions={"StringEquals": stage_tag},
            ),
            iam.PolicyStatement(
                actions=["ivs:GetRecordingConfiguration"],
                resources=[self.recording_configuration.attr_arn],
            ),
            # A channel's own reconnect window lives in a recording configuration per distinct window,
            # created from the stack's on first use and tagged with the stage (docs/decisions.md).
            iam.PolicyStatement(
                actions=["ivs:CreateRecordingConfiguration", "ivs:TagResource"],
                resources=[self._ivs_arn("recording-configuration")],
                conditions={"StringEquals": request_tag},
            ),
            iam.PolicyStatement(
                actions=["ivs:GetRecordingConfiguration"],
                resources=[self._ivs_arn("recording-configuration")],
                conditions={"StringEquals": stage_tag},
            ),
            iam.PolicyStatement(
                actions=["ivs:UpdateChannel"],
                resources=[self._ivs_arn("channel")],
                conditions={"StringEquals": stage_tag},
            ),
        ):
            function.role.add_to_policy(statement)
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self._ivs_arn("channel"),
            "IVS channel ARNs exist only after CreateChannel at run time; tag conditions keep to this stage.",
        )
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self._ivs_arn("recording-configuration"),
            "Per-window recording configurations are created at run time; tag conditions keep to the stage.",
        )
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self._ivs_arn("stream-key"),
            "Stream key ARNs exist only after CreateStreamKey at run time; tag conditions keep to the stage.",
        )
        self._acknowledge_indexes(function)
        return function

    def _events_function(self, window: int) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "IvsEvents",
            service="channel",
            handler="services.channel.handlers.ivs_events.handler",
            description="svideo channel: aws.ivs stream and recording state changes",
            environment={
                "TABLE_NAME": self.table.table_name,
                "BUS_NAME": bus_name(self.stage),
                "RECONNECT_WINDOW_SECONDS": str(window),
            },
        )
        for statement in (
            self._table_statements(["GetItem", "PutItem", "UpdateItem", "Query"]),
            self._put_events(),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("ivs/*")]),
        ):
            function.role.add_to_policy(statement)
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self.bucket.arn_for_objects("ivs/*"),
            "IVS writes each recording under a new ivs/v1/... prefix; the function reads master playlists.",
        )
        self._acknowledge_indexes(function)
        # IVS sends its events to the account's default bus, whose rules dead-letter to this consumer's DLQ.
        QueueConsumer(
            self,
            "IvsEventsConsumer",
            bus=events.EventBus.from_event_bus_name(self, "DefaultBus", "default"),
            subscriptions=[ivs_events_subscription(self.stage)],
            function=function.function,
            retries=function_retries(
                function.function,
                receives=5,
                keep_s=int(QUEUE_RETENTION.to_seconds()),
            ),
        )
        return function

    def _deletion_function(self) -> ServiceFunction:
        """A deleted video's raw recording, applied IVS events and index item go (services/channel/forget)."""
        function = ServiceFunction(
            self,
            "VideoDeleted",
            service="channel",
            handler="services.channel.handlers.video_deleted.handler",
            description="svideo channel: removes a deleted video's raw recording and records",
            environment={"TABLE_NAME": self.table.table_name},
        )
        for statement in (
            self._table_statements(["GetItem", "PutItem", "DeleteItem", "BatchWriteItem"]),
            iam.PolicyStatement(
                actions=["s3:DeleteObject"], resources=[self.bucket.arn_for_objects("ivs/*")]
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": ["ivs/*"]}},
            ),
        ):
            function.role.add_to_policy(statement)
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self.bucket.arn_for_objects("ivs/*"),
            "A recording lies under its own ivs/v1/... prefix; the function deletes a deleted video's.",
        )
        self._acknowledge_indexes(function)
        QueueConsumer(
            self,
            "VideoDeletedInbox",
            bus=import_bus(self, self.stage),
            subscriptions=[video_deleted_subscription(self.stage, "channel")],
            function=function.function,
            retention_period=QUEUE_RETENTION,
            rule_dead_letter_queue=import_events_dead_letter_queue(self, self.stage),
        )
        return function

    def _acknowledge_indexes(self, function: ServiceFunction) -> None:
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            f"{self.table.table_arn}/index/*",
            "Queries go to the channels table's own indexes (by owner, by IVS channel, live).",
        )

    # -- API -----------------------------------------------------------------------------------------------
    def _ssm(self, key: str) -> str:
        return read_parameter(self, self.stage, key)

    def _routes(self) -> None:
        api_id = attach_http_routes(
            self,
            stage=self.stage,
            function=self.api_function.function,
            routes=ROUTES,
            public_reason="Viewers see live channels and public channel views without signing in (token "
            "optional).",
        )
        # The L1 permission targets the function itself ($LATEST), as the integration does, not its version.
        lambda_.CfnPermission(
            self,
            "InvokedByHttpApi",
            action="lambda:InvokeFunction",
            function_name=self.api_function.function.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.format_arn(service="execute-api", resource=api_id, resource_name="*/*/channels*"),
        )
