"""Post-processing: `Recording.Ended` routed by duration to a Lambda function (short) or Fargate (long).

One setting decides the route: CDK context `postprocess.lambda_max_duration_ms` (default derived in
services/postprocess/config.py). Both rules read the same field, so every duration goes exactly one way.
The function's timeout is CDK context `postprocess.lambda_timeout_s` (per stage; Lambda's 900 s if unset).
"""

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.images import prebuilt_or_built
from infra.constructs.packaging import ffmpeg_layer
from infra.constructs.publishing import publish_statement
from infra.constructs.service_function import ServiceFunction
from infra.lambda_runtime import REPO_ROOT
from infra.nag import acknowledge, acknowledge_resource
from infra.naming import ChannelParameter, VideoParameter, bus_name, parameter_name, resource_name
from infra.retries import Retries, function_retries, retries
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription, subscribe
from services.postprocess import config
from shared import deadlines
from shared.events.postprocess import POSTPROCESS_SOURCE


def job_retries(timeout_s: int) -> Retries:
    """The Lambda jobs queue: attempts of the function's timeout, all ending within the processing deadline.
    A redelivered message keeps its lease (the owner is its message id): it need not wait for it to expire."""
    return retries(timeout_s, receives=config.MAX_RECEIVE_COUNT, deadline_s=deadlines.PROCESSING_S)


# The image's build context is the repository root: only these paths are staged (the rest is excluded).
_IMAGE_EXCLUDE = [
    "*",
    "!requirements-lambda.txt",
    "!shared",
    "!shared/**",
    "!services",
    "!services/__init__.py",
    "!services/postprocess",
    "!services/postprocess/**",
    "**/__pycache__",
    "**/*.pyc",
]
S3 = "arn:aws:s3:::"  # the buckets' names come from SSM at deploy time; svideo runs in the aws partition
_JOB_FIELDS = {
    "VIDEO_ID": "$.detail.video_id",
    "CHANNEL_ID": "$.detail.channel_id",
    "RECORDING_BUCKET": "$.detail.recording.bucket",
    "RECORDING_PREFIX": "$.detail.recording.prefix",
    "RECORDING_DURATION_MS": "$.detail.recording.duration_ms",
    "CORRELATION_ID": "$.detail.meta.correlation_id",
}


def task_family(stage: str) -> str:
    return resource_name(stage, "postprocess")


def routing_subscriptions(stage: str, threshold_ms: int) -> tuple[Subscription, Subscription]:
    """(to Lambda: duration ≤ threshold, to Fargate: duration > threshold) on the same event."""

    def on_duration(name: str, description: str, condition: list[Any]) -> Subscription:
        return Subscription(
            name=resource_name(stage, "postprocess", name),
            description=description,
            event_pattern={
                "source": ["svideo.channel"],
                "detail-type": ["Recording.Ended"],
                "detail": {"recording": {"duration_ms": [{"numeric": condition}]}},
            },
        )

    return (
        on_duration("lambda", f"Recordings up to {threshold_ms} ms: Lambda", [">=", 0, "<=", threshold_ms]),
        on_duration("fargate", f"Recordings over {threshold_ms} ms: Fargate", [">", threshold_ms]),
    )


def task_stopped_subscription(stage: str) -> Subscription:
    """Every stop of a post-processing task (the default bus); the function ignores clean exits."""
    return Subscription(
        name=resource_name(stage, "postprocess", "task-stopped"),
        description="Post-processing Fargate task stopped",
        event_pattern={
            "source": ["aws.ecs"],
            "detail-type": ["ECS Task State Change"],
            "detail": {"lastStatus": ["STOPPED"], "group": [f"family:{task_family(stage)}"]},
        },
    )


def _job_in_container_env(rule: events.Rule) -> None:
    """The event's job fields as container environment strings (quoted: a bare number is not a string)."""
    overrides = {
        "containerOverrides": [
            {
                "name": config.FARGATE_CONTAINER_NAME,
                "environment": [{"name": name, "value": f"<{name}>"} for name in _JOB_FIELDS],
            }
        ]
    }
    cfn_rule = rule.node.default_child
    assert isinstance(cfn_rule, events.CfnRule)
    cfn_rule.add_property_deletion_override("Targets.0.Input")  # the ECS target's default input
    cfn_rule.add_property_override("Targets.0.InputTransformer.InputPathsMap", _JOB_FIELDS)
    cfn_rule.add_property_override("Targets.0.InputTransformer.InputTemplate", json.dumps(overrides))


class PostprocessStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="svideo post-processing (Lambda | Fargate)", **kwargs
        )
        self.stage = stage
        # The function's timeout (per stage): the jobs queue's retry timing and the lease follow from it.
        self.timeout_s = config.lambda_timeout_s(self.node.try_get_context(config.TIMEOUT_CONTEXT_KEY), stage)
        self.job_retries = job_retries(self.timeout_s)
        self.threshold_ms = int(
            self.node.try_get_context(config.THRESHOLD_CONTEXT_KEY)
            or config.default_lambda_max_duration_ms(self.timeout_s)
        )
        # The buckets belong to the channel stack (recordings) and the video stack (media under videos/).
        recording_bucket = self._ssm_value("RecordingBucketName", ChannelParameter.RECORDING_BUCKET)
        media_bucket = self._ssm_value("MediaBucketName", VideoParameter.MEDIA_BUCKET)
        self.recording_bucket, self.media_bucket = recording_bucket, media_bucket
        self.bus = import_bus(self, stage)
        self.ledger = dynamodb.Table(
            self,
            "Ledger",
            partition_key=dynamodb.Attribute(name="video_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        env = {
            "BUS_NAME": bus_name(stage),
            "MEDIA_BUCKET": media_bucket,
            "LEDGER_TABLE": self.ledger.table_name,
        }
        job_access = self._job_policy(recording_bucket, media_bucket)
        self._fargate(env, job_access)
        self._function(env, job_access)
        self._watcher(env, job_access)

    def _ssm_value(self, logical_id: str, key: str) -> str:
        """A deploy-time SSM value, as a parameter with a stable logical id (cdk-nag findings name it)."""
        parameter = cdk.CfnParameter(
            self,
            logical_id,
            type="AWS::SSM::Parameter::Value<String>",
            default=parameter_name(self.stage, key),
            description=f"SSM parameter holding the {key} value",
        )
        parameter.override_logical_id(logical_id)
        return parameter.value_as_string

    def _acknowledge_object_keys(self, role: iam.IRole) -> None:
        for resource in (f"{S3}{self.recording_bucket}/*", f"{S3}{self.media_bucket}/videos/*"):
            acknowledge_resource(
                role,
                "AwsSolutions-IAM5",
                resource,
                "Object keys are per recording and per video: read every recording, write only videos/*.",
            )

    def _job_policy(self, recording_bucket: str, media_bucket: str) -> list[iam.PolicyStatement]:
        """What one job touches: read the recording, write `videos/*`, its ledger item, PutEvents."""
        return [
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{S3}{recording_bucket}/*"]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[f"{S3}{recording_bucket}"]),
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"], resources=[f"{S3}{media_bucket}/videos/*"]
            ),
            # Lets a missing marker read as 404 (not 403), and nothing outside videos/.
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[f"{S3}{media_bucket}"],
                conditions={"StringLike": {"s3:prefix": ["videos/*"]}},
            ),
            publish_statement(self.bus.event_bus_arn, POSTPROCESS_SOURCE),
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[self.ledger.table_arn]
            ),
        ]

    def _fargate(self, env: dict[str, str], job_access: list[iam.PolicyStatement]) -> None:
        # Public subnets and no NAT gateway: the task reaches ECR, S3 and EventBridge with a public IP.
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            # Tasks use their own egress-only group; locking the unused default one needs a custom resource.
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
            ],
        )
        self.vpc.add_flow_log("FlowLog")
        self.security_group = ec2.SecurityGroup(
            self, "TaskSecurityGroup", vpc=self.vpc, description="Post-processing tasks: egress only"
        )
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.task_role = iam.Role(
            self, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        for statement in job_access:
            self.task_role.add_to_policy(statement)
        self._acknowledge_object_keys(self.task_role)
        # ARM64: Graviton Fargate costs ~20 % less per vCPU-hour and Debian ships ffmpeg for arm64.
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=task_family(self.stage),
            cpu=config.FARGATE_CPU,
            memory_limit_mib=config.FARGATE_MEMORY_MIB,
            ephemeral_storage_gib=config.FARGATE_EPHEMERAL_GIB,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=self.task_role,
        )
        self.task_definition.add_container(
            config.FARGATE_CONTAINER_NAME,
            image=prebuilt_or_built(
                self,
                lambda: ecs.ContainerImage.from_asset(
                    str(REPO_ROOT),
                    file="services/postprocess/Dockerfile",
                    platform=ecr_assets.Platform.LINUX_ARM64,
                    exclude=_IMAGE_EXCLUDE,
                    ignore_mode=cdk.IgnoreMode.DOCKER,
                ),
            ),
            # Also in the image; stated here because the local cloud runs the command, not the image.
            command=["python", "-m", "services.postprocess.task"],
            environment={**env, "POWERTOOLS_SERVICE_NAME": "postprocess"},  # WORKDIR=/scratch: the image
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="postprocess",
                log_group=logs.LogGroup(
                    self,
                    "TaskLogs",
                    retention=logs.RetentionDays.ONE_MONTH,
                    removal_policy=cdk.RemovalPolicy.DESTROY,
                ),
            ),
        )
        acknowledge(
            self.task_definition.obtain_execution_role(),
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken takes no resource (the execution role pulls the task image).",
        )
        # The ARN the EcsTask target's role tags (aws-events-targets builds it this way).
        cluster = self.cluster
        tasks = f"arn:{cluster.stack.partition}:ecs:{cluster.env.region}:*:task/{cluster.cluster_name}/*"
        acknowledge_resource(
            self.task_definition,
            "AwsSolutions-IAM5",
            tasks,
            "The rule's role tags the tasks it starts; task ids are not known before RunTask.",
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds resource names (bus, bucket, table), no secrets.",
        )

    def _function(self, env: dict[str, str], job_access: list[iam.PolicyStatement]) -> None:
        subnets = cdk.Fn.join(",", [s.subnet_id for s in self.vpc.public_subnets])
        self.processor = ServiceFunction(
            self,
            "Processor",
            service="postprocess",
            handler="services.postprocess.handlers.process_recording.handler",
            memory_size=config.LAMBDA_MEMORY_MIB,
            timeout=cdk.Duration.seconds(self.timeout_s),
            environment={
                **env,
                "SCRATCH_MIB": str(config.LAMBDA_EPHEMERAL_MIB),
                "MAX_RECEIVE_COUNT": str(config.MAX_RECEIVE_COUNT),
                "LEASE_S": str(self.timeout_s + config.LEASE_MARGIN_S),
                "TASK_CLUSTER_ARN": self.cluster.cluster_arn,
                "TASK_DEFINITION_ARN": self.task_definition.task_definition_arn,
                "TASK_CONTAINER_NAME": config.FARGATE_CONTAINER_NAME,
                "TASK_SUBNETS": subnets,
                "TASK_SECURITY_GROUPS": self.security_group.security_group_id,
            },
            description="svideo postprocess: recordings up to the threshold",
        )
        function = self.processor.function
        function.add_layers(ffmpeg_layer(self))
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.ephemeral_storage = lambda_.CfnFunction.EphemeralStorageProperty(
            size=config.LAMBDA_EPHEMERAL_MIB
        )
        for statement in job_access:
            self.processor.role.add_to_policy(statement)
        self._acknowledge_object_keys(self.processor.role)
        self.processor.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:RunTask"],
                resources=[self.task_definition.task_definition_arn],
                conditions={"ArnEquals": {"ecs:cluster": self.cluster.cluster_arn}},
            )
        )
        roles = [self.task_role.role_arn, self.task_definition.obtain_execution_role().role_arn]
        self.processor.role.add_to_policy(iam.PolicyStatement(actions=["iam:PassRole"], resources=roles))
        to_lambda, to_fargate = routing_subscriptions(self.stage, self.threshold_ms)
        core_dlq = import_events_dead_letter_queue(self, self.stage)
        self.jobs = QueueConsumer(
            self,
            "Jobs",
            bus=self.bus,
            subscriptions=[to_lambda],
            function=function,
            batch_size=1,
            # Every attempt ends inside the processing deadline.
            retries=self.job_retries,
            rule_dead_letter_queue=core_dlq,
        ).queue
        fargate_rule = subscribe(
            self,
            to_fargate,
            bus=self.bus,
            target=targets.EcsTask(
                cluster=self.cluster,
                task_definition=self.task_definition,
                launch_type=ecs.LaunchType.FARGATE,
                subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
                assign_public_ip=True,
                security_groups=[self.security_group],
                dead_letter_queue=core_dlq,
                retry_attempts=to_fargate.retry_attempts,
                max_event_age=to_fargate.max_event_age,
            ),
        )
        _job_in_container_env(fargate_rule)

    def _watcher(self, env: dict[str, str], job_access: list[iam.PolicyStatement]) -> None:
        self.watcher = ServiceFunction(
            self,
            "TaskStoppedFunction",
            service="postprocess",
            handler="services.postprocess.handlers.task_stopped.handler",
            environment=env,
            description="svideo postprocess: report for a task that died",
        )
        for statement in job_access:
            self.watcher.role.add_to_policy(statement)
        self._acknowledge_object_keys(self.watcher.role)
        # ECS state changes arrive on the account's default bus; its rules dead-letter to this consumer's DLQ.
        QueueConsumer(
            self,
            "TaskStopped",
            bus=events.EventBus.from_event_bus_name(self, "DefaultBus", "default"),
            subscriptions=[task_stopped_subscription(self.stage)],
            function=self.watcher.function,
            retries=function_retries(self.watcher.function, deadline_s=deadlines.PROCESSING_S),
        )
