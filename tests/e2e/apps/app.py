"""The end-to-end test's CDK app: one small stack exercising each part of the local cloud.

Run by `svideo up --app "python tests/e2e/apps/app.py"` like any CDK app (CDK_OUTDIR, context from caller).
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct

HANDLERS = Path(__file__).parent / "handlers"
BUS_NAME = "e2e-bus"
# The ECS task's command: runs as a local process with the task definition's environment and overrides.
TASK_SCRIPT = (
    "import boto3, os; boto3.client('dynamodb').put_item(TableName=os.environ['TABLE_NAME'], "
    "Item={'pk': {'S': 'task#' + os.environ.get('VIDEO_ID', 'none')}})"
)


class E2eStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        bus = events.EventBus(self, "Bus", event_bus_name=BUS_NAME)
        code = lambda_.Code.from_asset(str(HANDLERS))
        env = {"TABLE_NAME": table.table_name}

        def function(name: str, handler: str, **options: object) -> lambda_.Function:
            options = {"timeout": cdk.Duration.seconds(10), **options}
            created = lambda_.Function(
                self,
                name,
                runtime=lambda_.Runtime.PYTHON_3_12,
                code=code,
                handler=handler,
                environment=env,
                **options,
            )  # type: ignore[arg-type]
            table.grant_read_write_data(created)
            return created

        # 1. A rule with a content filter delivering to a Lambda handler that writes to DynamoDB.
        writer = function("Writer", "writer.handler")
        events.Rule(
            self,
            "FilteredRule",
            event_bus=bus,
            event_pattern=events.EventPattern(
                source=["e2e.orders"], detail={"kind": ["keep"], "size": [{"numeric": [">", 10]}]}
            ),
            targets=[targets.LambdaFunction(writer)],
        )

        # 2. An SQS event source with partial batch failures and a DLQ after two receives.
        dlq = sqs.Queue(self, "BatchDlq")
        queue = sqs.Queue(
            self,
            "BatchQueue",
            visibility_timeout=cdk.Duration.seconds(2),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=2),
        )
        batch = function("Batch", "batch.handler", timeout=cdk.Duration.seconds(2))
        batch.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=10,
                report_batch_item_failures=True,
                max_batching_window=cdk.Duration.seconds(0),
            )
        )

        # 3. A pipe with a filter and an input template, SQS to SQS.
        pipe_source = sqs.Queue(self, "PipeSource")
        pipe_target = sqs.Queue(self, "PipeTarget")
        pipe_role = iam.Role(self, "PipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
        pipe_source.grant_consume_messages(pipe_role)
        pipe_target.grant_send_messages(pipe_role)
        pipes.CfnPipe(
            self,
            "Pipe",
            role_arn=pipe_role.role_arn,
            source=pipe_source.queue_arn,
            target=pipe_target.queue_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[
                        pipes.CfnPipe.FilterProperty(pattern=json.dumps({"body": {"kind": ["pipe-keep"]}}))
                    ]
                ),
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(batch_size=1),
            ),
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template='{"id": <$.body.id>, "via": "pipe"}'
            ),
        )

        # 4. An ECS task started by a rule, the event's id passed as a container override.
        cluster = ecs.CfnCluster(self, "Cluster")
        task = ecs.FargateTaskDefinition(self, "Task", cpu=256, memory_limit_mib=512)
        task.add_container(
            "app",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.12"),
            command=["python", "-c", TASK_SCRIPT],
            environment=env,
        )
        table.grant_read_write_data(task.task_role)
        events_role = iam.Role(self, "EventsRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
        task.grant_run(events_role)
        events.CfnRule(
            self,
            "TaskRule",
            event_bus_name=bus.event_bus_name,
            event_pattern={"source": ["e2e.tasks"]},
            targets=[
                events.CfnRule.TargetProperty(
                    id="task",
                    arn=cluster.attr_arn,
                    role_arn=events_role.role_arn,
                    ecs_parameters=events.CfnRule.EcsParametersProperty(
                        task_definition_arn=task.task_definition_arn,
                        launch_type="FARGATE",
                        task_count=1,
                        network_configuration=events.CfnRule.NetworkConfigurationProperty(
                            aws_vpc_configuration=events.CfnRule.AwsVpcConfigurationProperty(
                                subnets=["subnet-0a1b2c3d4e5f60718"], assign_public_ip="ENABLED"
                            )
                        ),
                    ),
                    input_transformer=events.CfnRule.InputTransformerProperty(
                        input_paths_map={"video": "$.detail.video_id"},
                        input_template='{"containerOverrides": [{"name": "app", "environment": '
                        '[{"name": "VIDEO_ID", "value": <video>}]}]}',
                    ),
                )
            ],
        )

        # 5. An HTTP route behind a JWT authorizer trusting the local Cognito user pool.
        pool = cognito.UserPool(self, "Users", removal_policy=cdk.RemovalPolicy.DESTROY)
        client = pool.add_client("Client", auth_flows=cognito.AuthFlow(user_password=True))
        api = apigwv2.HttpApi(self, "Api")
        api.add_routes(
            path="/me",
            methods=[apigwv2.HttpMethod.GET],
            integration=integrations.HttpLambdaIntegration("Me", function("Me", "api.handler")),
            authorizer=authorizers.HttpJwtAuthorizer(
                "Jwt",
                f"https://cognito-idp.{self.region}.amazonaws.com/{pool.user_pool_id}",
                jwt_audience=[client.user_pool_client_id],
            ),
        )

        # 6. Handlers that crash, hang past their timeout, or run out of memory, and one that works.
        crash = function("Crash", "faults.crash")
        hang = function("Hang", "faults.hang", timeout=cdk.Duration.seconds(2))
        hog = function("Hog", "faults.hog", memory_size=128)
        echo = function("Echo", "faults.echo")

        outputs = {
            "TableName": table.table_name,
            "BusName": bus.event_bus_name,
            "BatchQueueUrl": queue.queue_url,
            "BatchDlqUrl": dlq.queue_url,
            "PipeSourceUrl": pipe_source.queue_url,
            "PipeTargetUrl": pipe_target.queue_url,
            "ApiUrl": api.api_endpoint,
            "UserPoolId": pool.user_pool_id,
            "UserPoolClientId": client.user_pool_client_id,
            "CrashFunction": crash.function_name,
            "HangFunction": hang.function_name,
            "HogFunction": hog.function_name,
            "EchoFunction": echo.function_name,
            "BatchFunction": batch.function_name,
        }
        for key, value in outputs.items():
            cdk.CfnOutput(self, key, value=value)


def main() -> None:
    app = cdk.App()
    E2eStack(app, "E2eStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    app.synth()


if __name__ == "__main__":
    main()
