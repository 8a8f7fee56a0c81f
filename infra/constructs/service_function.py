"""The one construct for a service's Lambda function: runtime, tracing, logs, Powertools env, role, DLQ."""

from collections.abc import Mapping
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.packaging import ARCHITECTURE, RUNTIME, dependencies_layer, service_code
from infra.nag import acknowledge, ignore_lint
from infra.naming import METRICS_NAMESPACE

DEFAULT_TIMEOUT = cdk.Duration.seconds(30)
LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
RESERVED_CONCURRENCY_CONTEXT = "reservedConcurrency"


def must_not_starve(scope: Construct, executions: int) -> int | None:
    """Reserved concurrency for a function that a burst elsewhere in the account must not crowd out (the
    catalog, the plugin lifecycle). `-c reservedConcurrency=false` drops these reservations for accounts whose
    concurrency quota is too small to reserve any (AWS keeps 100 unreserved)."""
    value = str(cdk.Stack.of(scope).node.try_get_context(RESERVED_CONCURRENCY_CONTEXT) or "true")
    return None if value.lower() == "false" else executions


class ServiceFunction(Construct):
    """A function of `services/<service>/` plus `shared/`; third-party packages from the stack's layer.

    `code` replaces the default bundle for functions that live elsewhere (a plugin's `plugins/<name>/`);
    `service` then only names the function in its Powertools settings.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        handler: str,
        environment: Mapping[str, str] | None = None,
        memory_size: int = 256,
        timeout: cdk.Duration = DEFAULT_TIMEOUT,
        reserved_concurrency: int | None = None,
        snap_start: bool = False,
        log_level: LogLevel = "INFO",
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        architecture: lambda_.Architecture = ARCHITECTURE,
        dead_letter_queue: sqs.IQueue | None = None,
        description: str | None = None,
        code: lambda_.Code | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if architecture != ARCHITECTURE:
            raise ValueError(f"the dependencies layer is built for {ARCHITECTURE.name} only")
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        # Instead of AWSLambdaBasicExecutionRole (logs:* on every group): write to this function's group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            inline_policies={
                "Logs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[self.log_group.log_group_arn],
                        )
                    ]
                )
            },
        )
        self.dead_letter_queue = dead_letter_queue or sqs.Queue(
            self,
            "AsyncDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description or f"svideo {service}: {handler}",
            runtime=RUNTIME,
            architecture=architecture,
            handler=handler,
            code=code or service_code(service),
            layers=[dependencies_layer(self)],
            memory_size=memory_size,
            timeout=timeout,
            role=self.role,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel[log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": service.replace("/", "-"),
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": log_level,
                **(environment or {}),
            },
            reserved_concurrent_executions=reserved_concurrency,
            dead_letter_queue=self.dead_letter_queue,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
        )
        self.version = self.function.current_version
        if dead_letter_queue is None:
            ignore_lint(
                self.dead_letter_queue, "ES6000", "A dead-letter queue has no dead-letter queue of its own."
            )
        ignore_lint(self.function, "WS1004", "Logs go to LoggingConfig.LogGroup, which has a retention.")
        ignore_lint(self.function, "W3005", "CDK makes the function wait for its role's policies on purpose.")
        if snap_start:
            cdk.Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "current_version publishes a version on every change",
            )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords take no resource-level permissions (active tracing).",
        )
