"""The video service: the catalog table (whose outbox EventBridge Pipes carry to the bus), the media bucket,
the public HTTP API (with its JWT authorizer, which other stacks add routes to), the events consumer and the
deadline sweeper."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.buckets import versioned_bucket_rules
from infra.constructs.consumer import QueueConsumer
from infra.constructs.parameters import publish_parameters, read_parameter
from infra.constructs.publishing import publish_statement
from infra.constructs.service_function import ServiceFunction, must_not_starve
from infra.nag import acknowledge, acknowledge_resource, ignore_lint
from infra.naming import IdentityParameter, VideoParameter, resource_name
from infra.retries import function_retries
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription
from services.video.changes import subscribed_types
from services.video.domain import OUTBOX_EVENTS
from services.video.routes import API_ROUTES
from shared.events.video import VIDEO_SOURCE

QUEUE_RETENTION = cdk.Duration.days(14)
SWEEP_RATE = cdk.Duration.minutes(5)
MEDIA_NONCURRENT_RETENTION = cdk.Duration.days(30)
CATALOG_RESERVED_CONCURRENCY = 5  # status changes keep flowing while other functions burst
DEFAULT_WEB_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
OUTBOX_RETRIES = 10  # then the batch's coordinates go to the outbox DLQ (records stay in the stream 24 h)
OUTBOX_TEMPLATE = "<$.dynamodb.NewImage.detail.S>"  # the item's `detail` is the event detail as JSON text
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","routeKey":"$context.routeKey",'
    '"status":"$context.status","latency":"$context.responseLatency","sub":"$context.authorizer.claims.sub",'
    '"error":"$context.error.message","authorizerError":"$context.authorizer.error"}'
)
# Partition and sort key of each GSI (see services/video/repository.py).
INDEXES: Mapping[str, tuple[str, str]] = {
    "by-channel": ("channel_id", "created_key"),
    "by-owner": ("owner_id", "created_key"),
    "by-status": ("status", "status_key"),
    "published": ("published_partition", "published_key"),
    "published-by-channel": ("published_channel", "published_key"),
}


def video_events_subscriptions(stage: str) -> list[Subscription]:
    """One rule per source, each with only that source's detail-types (a single rule would accept any pairing
    of the sources and types, e.g. a `Recording.Ended` from `svideo.video`)."""
    return [
        Subscription(
            name=resource_name(stage, "video", "catalog-" + source.removeprefix("svideo.").replace(".", "-")),
            description=f"Events from {source} that create, move or enrich videos in the catalog",
            event_pattern={"source": [source], "detail-type": sorted(types)},
        )
        for source, types in sorted(subscribed_types().items())
    ]


class VideoStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="svideo video: catalog, media bucket, public HTTP API", **kwargs
        )
        self.stage = stage
        self.web_origins: list[str] = list(self.node.try_get_context("webOrigins") or DEFAULT_WEB_ORIGINS)
        self.bus = import_bus(self, stage)
        self.table = self._table()
        self.search_table = self._search_table()
        self.bucket = self._media_bucket()
        environment = {"TABLE_NAME": self.table.table_name, "SEARCH_TABLE_NAME": self.search_table.table_name}
        self.api_function = self._api_function(environment)
        self.events_function = self._events_function(environment)
        self.sweeper = self._sweeper(environment)
        self.outbox_dead_letters, self.outbox_pipes = self._outbox()
        self.api, self.authorizer = self._http_api()
        publish_parameters(
            self,
            stage,
            {
                VideoParameter.TABLE_NAME: self.table.table_name,
                VideoParameter.MEDIA_BUCKET: self.bucket.bucket_name,
                VideoParameter.MEDIA_BUCKET_ARN: self.bucket.bucket_arn,
                VideoParameter.API_ID: self.api.api_id,
                VideoParameter.API_URL: self.api.api_endpoint,
                VideoParameter.API_AUTHORIZER_ID: self.authorizer.ref,
            },
        )

    # -- data ----------------------------------------------------------------------------------------
    def _table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Catalog",
            table_name=resource_name(self.stage, "videos"),
            partition_key=dynamodb.Attribute(name="PK", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="SK", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # The outbox Pipes (and audits) read the catalog's changes from its stream.
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            time_to_live_attribute="expires_at",  # outbox items, once the Pipes have carried them
            removal_policy=cdk.RemovalPolicy.RETAIN if self.stage == "prod" else cdk.RemovalPolicy.DESTROY,
        )
        for name, (partition, sort) in INDEXES.items():
            table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _search_table(self) -> dynamodb.Table:
        """The search index (services/video/search.py): postings `TERM#<word>` by publication key, newest
        last, and one document item per video listing its words. Derived from the catalog, so no backups."""
        table = dynamodb.Table(
            self,
            "SearchIndex",
            table_name=resource_name(self.stage, "video-search"),
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        return table

    def _search_access(self, *, write: bool) -> iam.PolicyStatement:
        actions = ["GetItem", "Query", "BatchGetItem"]
        if write:
            actions += ["PutItem", "DeleteItem", "BatchWriteItem"]
        return iam.PolicyStatement(
            actions=[f"dynamodb:{a}" for a in actions], resources=[self.search_table.table_arn]
        )

    def _media_bucket(self) -> s3.Bucket:
        logs_bucket = s3.Bucket(
            self,
            "MediaAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        acknowledge(
            logs_bucket,
            "AwsSolutions-S1",
            "This bucket receives the media bucket's access logs; logging it too would recurse.",
        )
        ignore_lint(logs_bucket, "W3045", "Server access logs are delivered with the bucket-owner ACL.")
        return s3.Bucket(
            self,
            "Media",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_bucket=logs_bucket,
            server_access_logs_prefix="media/",
            # An overwritten or deleted object stays recoverable for a while, then its old versions expire.
            versioned=True,
            lifecycle_rules=versioned_bucket_rules(MEDIA_NONCURRENT_RETENTION),
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_origins=self.web_origins,
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN if self.stage == "prod" else cdk.RemovalPolicy.DESTROY,
        )

    # -- functions -----------------------------------------------------------------------------------
    def _table_access(self, actions: Sequence[str], indexes: Sequence[str] = ()) -> iam.PolicyStatement:
        resources = [self.table.table_arn, *(f"{self.table.table_arn}/index/{name}" for name in indexes)]
        return iam.PolicyStatement(actions=[f"dynamodb:{a}" for a in actions], resources=resources)

    def _media_cleanup(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=["s3:DeleteObject"], resources=[self.bucket.arn_for_objects("videos/*")]
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": ["videos/*"]}},
            ),
        ]

    def _api_function(self, environment: Mapping[str, str]) -> ServiceFunction:
        issuer = self._ssm(IdentityParameter.USER_POOL_ISSUER)
        client_id = self._ssm(IdentityParameter.USER_POOL_CLIENT_ID)
        function = ServiceFunction(
            self,
            "Api",
            service="video",
            handler="services.video.handlers.api.handler",
            description="svideo video: the /videos and /me routes of the HTTP API",
            environment={
                **environment,
                "MEDIA_BUCKET": self.bucket.bucket_name,
                "MEDIA_BASE_URL": str(self.node.try_get_context("mediaBaseUrl") or ""),
                "USER_POOL_ISSUER": issuer,
                "USER_POOL_CLIENT_ID": client_id,
                # Empty: the function serves Swagger UI's assets itself at /swagger-ui/<asset>.
                "SWAGGER_BASE_URL": str(self.node.try_get_context("swaggerBaseUrl") or ""),
            },
        )
        videos = self.bucket.arn_for_objects("videos/*")
        for statement in (
            self._table_access(
                # DeleteItem, BatchWriteItem: a deletion removes the video's history and outbox items.
                [
                    "GetItem",
                    "Query",
                    "PutItem",
                    "ConditionCheckItem",
                    "BatchGetItem",
                    "DeleteItem",
                    "BatchWriteItem",
                ],
                list(INDEXES),
            ),
            # Searches read the index; a deletion takes the video out of it.
            self._search_access(write=True),
            # Presigned GETs are signed with this role, so it needs the read it hands out.
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[videos]),
            *self._media_cleanup(),
        ):
            function.role.add_to_policy(statement)
        self._acknowledge_media_prefix(function)
        return function

    def _acknowledge_media_prefix(self, function: ServiceFunction) -> None:
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            self.bucket.arn_for_objects("videos/*"),
            "Every video's media lives under videos/<video_id>/; the API reads and deletes any one video's.",
        )

    def _events_function(self, environment: Mapping[str, str]) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "CatalogEvents",
            service="video",
            handler="services.video.handlers.events.handler",
            description="svideo video: applies recording, processing and lifecycle events to the catalog",
            environment={**environment, "MEDIA_BUCKET": self.bucket.bucket_name},
            reserved_concurrency=must_not_starve(self, CATALOG_RESERVED_CONCURRENCY),
        )
        # Query and DeleteItem: the facts kept for a video until its status accepts them (PARKED# items).
        writes = ["GetItem", "PutItem", "UpdateItem", "ConditionCheckItem", "Query", "DeleteItem"]
        function.role.add_to_policy(self._table_access(writes))
        # After each change the search index follows the video; a published one's transcript is read for it.
        function.role.add_to_policy(self._search_access(write=True))
        function.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects("videos/*")])
        )
        # Late events for a deleted video: what they announce under its prefix is removed.
        for statement in self._media_cleanup():
            function.role.add_to_policy(statement)
        self._acknowledge_media_prefix(function)
        QueueConsumer(
            self,
            "CatalogEventsInbox",
            bus=self.bus,
            subscriptions=video_events_subscriptions(self.stage),
            function=function.function,
            # A fact ahead of its video is kept in the table, not redelivered; the receives cover outages.
            retries=function_retries(
                function.function,
                receives=8,
                keep_s=int(QUEUE_RETENTION.to_seconds()),
            ),
            rule_dead_letter_queue=import_events_dead_letter_queue(self, self.stage),
        )
        return function

    def _sweeper(self, environment: Mapping[str, str]) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "DeadlineSweeper",
            service="video",
            handler="services.video.handlers.sweeper.handler",
            description="svideo video: fails videos that overstay a status's deadline",
            environment=dict(environment),
            timeout=cdk.Duration.minutes(2),
            reserved_concurrency=1,  # one sweep at a time; overlapping sweeps would only race each other
        )
        function.role.add_to_policy(
            self._table_access(
                ["GetItem", "PutItem", "Query", "ConditionCheckItem", "DeleteItem"], ["by-status"]
            )
        )
        schedule = events.Rule(
            self,
            "SweepSchedule",
            description="Runs the video deadline sweeper",
            schedule=events.Schedule.rate(SWEEP_RATE),
            targets=[
                targets.LambdaFunction(
                    function.function, retry_attempts=2, dead_letter_queue=function.dead_letter_queue
                )
            ],
        )
        # A missed sweep is harmless (the next one catches up), so asynchronous retries stay few and short.
        function.function.configure_async_invoke(retry_attempts=1, max_event_age=SWEEP_RATE)
        for child in schedule.node.children:
            if isinstance(child, lambda_.CfnPermission):
                ignore_lint(
                    child,
                    "ES1007",
                    "Failed sweeps dead-letter through the function's DeadLetterConfig and the target's DLQ.",
                )
        return function

    # -- outbox -------------------------------------------------------------------------------------------
    def _outbox(self) -> tuple[sqs.Queue, list[pipes.CfnPipe]]:
        """Table stream → one Pipe per published detail-type (filter: INSERTs of that type's outbox items) →
        the bus, the item's `detail` as the event's detail; retries, then a DLQ."""
        dead_letters = sqs.Queue(
            self,
            "OutboxDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=QUEUE_RETENTION,
        )
        acknowledge(
            dead_letters, "AwsSolutions-SQS3", "This queue is the dead-letter queue of the outbox Pipes."
        )
        ignore_lint(dead_letters, "ES6000", "A dead-letter queue has no dead-letter queue of its own.")
        role = iam.Role(self, "OutboxPipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
        stream_arn = self.table.table_stream_arn
        assert stream_arn is not None, "the catalog table has a stream"
        for statement in (
            iam.PolicyStatement(
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                resources=[stream_arn],
            ),
            publish_statement(self.bus.event_bus_arn, VIDEO_SOURCE),
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]),
        ):
            role.add_to_policy(statement)
        built = []
        for model in OUTBOX_EVENTS:
            pipe = pipes.CfnPipe(
                self,
                f"Outbox-{model.detail_type.replace('.', '')}",
                name=resource_name(
                    self.stage, "video", f"outbox-{model.detail_type.lower().replace('.', '-')}"
                ),
                description=f"Catalog outbox → bus: {model.detail_type}",
                role_arn=role.role_arn,
                source=stream_arn,
                source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                    dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                        starting_position="TRIM_HORIZON",  # an item written before the Pipe ran is still sent
                        batch_size=10,
                        maximum_retry_attempts=OUTBOX_RETRIES,
                        dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=dead_letters.queue_arn),
                    ),
                    filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                        filters=[
                            pipes.CfnPipe.FilterProperty(pattern=json.dumps(outbox_filter(model.detail_type)))
                        ]
                    ),
                ),
                target=self.bus.event_bus_arn,
                target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                    input_template=OUTBOX_TEMPLATE,
                    event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                        source=model.source, detail_type=model.detail_type
                    ),
                ),
            )
            pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))  # the Pipe starts with its grants
            built.append(pipe)
        return dead_letters, built

    # -- HTTP API ------------------------------------------------------------------------------------
    def _http_api(self) -> tuple[apigw.HttpApi, apigw.CfnAuthorizer]:
        api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=resource_name(self.stage, "api"),
            description="svideo public HTTP API (videos, channels, me)",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=self.web_origins,
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type"],
                max_age=cdk.Duration.hours(1),
            ),
        )
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=50, burst_limit=100),
            access_log_settings=AccessLogs(access_logs),
        )
        authorizer = apigw.CfnAuthorizer(
            self,
            "JwtAuthorizer",
            api_id=api.api_id,
            name="cognito",
            authorizer_type="JWT",
            identity_source=["$request.header.Authorization"],
            jwt_configuration=apigw.CfnAuthorizer.JWTConfigurationProperty(
                issuer=self._ssm(IdentityParameter.USER_POOL_ISSUER),
                audience=[self._ssm(IdentityParameter.USER_POOL_CLIENT_ID)],
            ),
        )
        integration = apigw.CfnIntegration(
            self,
            "ApiIntegration",
            api_id=api.api_id,
            integration_type="AWS_PROXY",
            integration_uri=self.api_function.function.function_arn,
            payload_format_version="2.0",
        )
        for route in API_ROUTES:
            cfn_route = apigw.CfnRoute(
                self,
                f"Route-{route.method}-{_slug(route.path)}",
                api_id=api.api_id,
                route_key=route.key,
                target=f"integrations/{integration.ref}",
                authorization_type="JWT" if route.signed_in else "NONE",
                authorizer_id=authorizer.ref if route.signed_in else None,
            )
            if not route.signed_in:
                acknowledge(
                    cfn_route,
                    "AwsSolutions-APIG4",
                    "Public by design: viewers read published videos and the API docs without signing in.",
                )
        lambda_.CfnPermission(
            self,
            "InvokedByHttpApi",
            action="lambda:InvokeFunction",
            function_name=self.api_function.function.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.format_arn(service="execute-api", resource=api.api_id, resource_name="*/*/*"),
        )
        return api, authorizer

    # -- sharing -------------------------------------------------------------------------------------
    def _ssm(self, key: str) -> str:
        return read_parameter(self, self.stage, key)


@jsii.implements(apigw.IAccessLogSettings)
class AccessLogs:
    """The HTTP API stage's access logs: one JSON line per request into `group`."""

    def __init__(self, group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT)


def outbox_filter(detail_type: str) -> dict[str, Any]:
    """The Pipe's filter: new outbox items of one detail-type (a TTL expiry is a REMOVE, never sent)."""
    return {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"outbox_type": {"S": [detail_type]}}},  # only outbox items carry it
    }


def _slug(path: str) -> str:
    """A construct id fragment for a route path: `/videos/{video_id}` → `videos-video_id`."""
    return path.strip("/").replace("/", "-").replace("{", "").replace("}", "") or "root"
