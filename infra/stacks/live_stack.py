"""The live stack: a WebSocket API for viewers, its connections table, and the notifier that pushes events.

Only the backend publishes: the routes accept subscribe/unsubscribe/ping, and only the notifier may post to
connections (`execute-api:ManageConnections` on this API's stage).
"""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.service_function import ServiceFunction
from infra.nag import acknowledge, acknowledge_resource
from infra.naming import IdentityParameter, parameter_name, resource_name
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription

# Published here for the web app; the user pool keys are the identity stack's, read at run time.
WEBSOCKET_URL_KEY = "live/websocket-url"
USER_POOL_ISSUER_KEY = IdentityParameter.USER_POOL_ISSUER.value
USER_POOL_CLIENT_ID_KEY = IdentityParameter.USER_POOL_CLIENT_ID.value
TOPIC_INDEX = "by-topic"
THROTTLE_RATE_PER_S = 100
THROTTLE_BURST = 200
NOTIFIER_TIMEOUT = cdk.Duration.seconds(30)
MAX_RECEIVE_COUNT = 3


def live_subscriptions(stage: str) -> list[Subscription]:
    """The svideo events viewers hear about: live state, new videos, status changes, publication, titles."""
    return [
        Subscription(
            name=resource_name(stage, "live", "channel-events"),
            description="Channels going live or offline, pushed to WebSocket viewers",
            event_pattern={
                "source": ["svideo.channel"],
                "detail-type": ["Broadcast.Started", "Broadcast.Ended"],
            },
        ),
        Subscription(
            name=resource_name(stage, "live", "video-events"),
            description="New videos, status changes, publication and title selection, pushed to viewers",
            event_pattern={
                "source": ["svideo.video"],
                "detail-type": ["Video.StatusChanged", "Video.Published", "Title.Selected"],
            },
        ),
        Subscription(
            name=resource_name(stage, "live", "progress-events"),
            description="Plugin progress per hook and new title rounds, pushed to the video's owner",
            event_pattern={
                "source": ["svideo.plugins"],
                "detail-type": ["Plugin.Invoked"],
            },
        ),
        Subscription(
            name=resource_name(stage, "live", "plugin-events"),
            description="Plugins' completions and the titles plugin's rounds, pushed to the video's owner",
            event_pattern={
                "source": [{"prefix": "svideo.plugin."}],
                "detail-type": ["Plugin.Completed", "Titles.Generated"],
            },
        ),
    ]


class LiveStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="svideo live: WebSocket updates to viewers", **kwargs
        )
        self.stage = stage
        self.table = self._connections_table()
        self.socket = self._socket_function()
        self.api = apigw.WebSocketApi(
            self,
            "Api",
            api_name=resource_name(stage, "live"),
            description="svideo live updates: viewers subscribe to topics; only the backend pushes",
            route_selection_expression="$request.body.action",
            connect_route_options=apigw.WebSocketRouteOptions(integration=self._integration("Connect")),
            disconnect_route_options=apigw.WebSocketRouteOptions(integration=self._integration("Disconnect")),
            default_route_options=apigw.WebSocketRouteOptions(
                integration=self._integration("Default"), return_response=True
            ),
        )
        self.api.add_route(
            "subscribe",
            integration=self._integration("Subscribe"),
            return_response=True,
        )
        self.api_stage = self._stage()
        self.notifier = self._notifier()
        # The same value as the stage's URL in AWS; derived from ApiEndpoint so a local deployer relocates it.
        self.websocket_url = cdk.Fn.join("", [self.api.api_endpoint, "/", self.api_stage.stage_name])
        ssm.StringParameter(
            self,
            "WebSocketUrlParameter",
            parameter_name=parameter_name(stage, WEBSOCKET_URL_KEY),
            string_value=self.websocket_url,
            description=f"svideo {stage}: the live-updates WebSocket URL for the web app",
        )
        cdk.CfnOutput(self, "WebSocketUrl", value=self.websocket_url)
        self._acknowledge_routes()

    def _connections_table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "Connections",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,  # connections are ephemeral: nothing to keep
        )
        # Sparse: only subscription items carry `topic`, so the index holds exactly the fan-out lists.
        table.add_global_secondary_index(
            index_name=TOPIC_INDEX,
            partition_key=dynamodb.Attribute(name="topic", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="connection_id", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["principal"],
        )
        return table

    def _socket_function(self) -> ServiceFunction:
        issuer, client_id = (
            parameter_name(self.stage, key) for key in (USER_POOL_ISSUER_KEY, USER_POOL_CLIENT_ID_KEY)
        )
        function = ServiceFunction(
            self,
            "Socket",
            service="live",
            handler="services.live.handlers.socket.handler",
            description="svideo live: $connect (optional ID token), $disconnect, subscribe and $default",
            timeout=cdk.Duration.seconds(10),
            environment={
                "CONNECTIONS_TABLE": self.table.table_name,
                "USER_POOL_ISSUER_PARAMETER": issuer,
                "USER_POOL_CLIENT_ID_PARAMETER": client_id,
            },
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:Query"],
                resources=[self.table.table_arn],
            )
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParameters"],
                resources=[
                    self.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))
                    for name in (issuer, client_id)
                ],
            )
        )
        return function

    def _integration(self, route: str) -> integrations.WebSocketLambdaIntegration:
        return integrations.WebSocketLambdaIntegration(f"{route}Integration", self.socket.function)

    def _stage(self) -> apigw.WebSocketStage:
        stage = apigw.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=self.stage,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE_PER_S, burst_limit=THROTTLE_BURST),
        )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=(
                '{"requestId":"$context.requestId","connectionId":"$context.connectionId",'
                '"routeKey":"$context.routeKey","eventType":"$context.eventType","status":"$context.status",'
                '"ip":"$context.identity.sourceIp","error":"$context.error.message"}'
            ),
        )
        return stage

    def _notifier(self) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "Notifier",
            service="live",
            handler="services.live.handlers.notifier.handler",
            description="svideo live: pushes channel and video events to subscribed WebSocket connections",
            timeout=NOTIFIER_TIMEOUT,
            environment={
                "CONNECTIONS_TABLE": self.table.table_name,
                # The callback URL (https://<api>.execute-api.<region>.<suffix>/<stage>) from ApiEndpoint.
                "CONNECTIONS_URL": cdk.Fn.join(
                    "",
                    [
                        cdk.Fn.join("https://", cdk.Fn.split("wss://", self.api.api_endpoint)),
                        "/",
                        self.api_stage.stage_name,
                    ],
                ),
            },
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                # DeleteItem: a deleted video's owner and publication markers go with it.
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:Query",
                ],
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/{TOPIC_INDEX}"],
            )
        )
        connections = self.format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{self.api_stage.stage_name}/POST/@connections/*",
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=[connections])
        )
        acknowledge_resource(
            function.role,
            "AwsSolutions-IAM5",
            connections,
            "Connection ids are created per client at run time; the grant is this API's stage and POST only.",
        )
        QueueConsumer(
            self,
            "Inbox",
            bus=import_bus(self, self.stage),
            subscriptions=live_subscriptions(self.stage),
            function=function.function,
            # Three notifier timeouts (the stack's setting so far), not the construct's default six.
            visibility_timeout=NOTIFIER_TIMEOUT.plus(NOTIFIER_TIMEOUT).plus(NOTIFIER_TIMEOUT),
            max_receive_count=MAX_RECEIVE_COUNT,
            rule_dead_letter_queue=import_events_dead_letter_queue(self, self.stage),
        )
        return function

    def _acknowledge_routes(self) -> None:
        for route in self.api.node.find_all():
            if isinstance(route, apigw.CfnRoute):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "Viewers connect anonymously; an optional ID token is verified by the $connect function.",
                )
