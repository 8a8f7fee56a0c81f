"""Operations: the stage's alarm topic (every stack's alarms notify it) and the platform dashboard."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.parameters import publish_parameters
from infra.naming import METRICS_NAMESPACE, OperationsParameter, resource_name

ALARM_EMAIL_CONTEXT = "alarm_email"  # `cdk deploy -c alarm_email=ops@example.com`: who the topic mails
WIDTH = 8
PERIOD = cdk.Duration.minutes(5)


class OperationsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="svideo operations: alarm topic, platform dashboard", **kwargs
        )
        self.stage = stage
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"svideo {stage}: alarm notifications",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # CloudWatch publishes to an encrypted topic only when the key lets it (the AWS-managed key does not).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=resource_name(stage, "alarms"),
            display_name=f"svideo {stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        email = self.node.try_get_context(ALARM_EMAIL_CONTEXT)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(str(email)))
        publish_parameters(self, stage, {OperationsParameter.ALARM_TOPIC_ARN: self.topic.topic_arn})
        self.dashboard = self._platform_dashboard()

    def _platform_dashboard(self) -> cloudwatch.Dashboard:
        """The whole platform in one place: the services' own metrics (EMF, namespace `svideo`)."""
        dashboard = cloudwatch.Dashboard(
            self, "PlatformDashboard", dashboard_name=resource_name(self.stage, "platform")
        )

        def search(label: str, metric: str, statistic: str = "Sum") -> cloudwatch.MathExpression:
            return cloudwatch.MathExpression(
                expression=f"SEARCH('{{{METRICS_NAMESPACE},service}} MetricName=\"{metric}\"', "
                f"'{statistic}', {int(PERIOD.to_seconds())})",
                label=label,
                using_metrics={},
                period=PERIOD,
            )

        def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH, height=6)

        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# svideo {self.stage}: platform\nEach service has its own dashboard "
                f"(`<Stack>-{self.stage}`); alarms notify `{resource_name(self.stage, 'alarms')}`. "
                "Runbook: docs/operations.md.",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            graph(
                "Post-processing jobs by outcome",
                cloudwatch.MathExpression(
                    expression=f"SEARCH('{{{METRICS_NAMESPACE},service}} MetricName=Jobs_', 'Sum', "
                    f"{int(PERIOD.to_seconds())})",
                    label="jobs",
                    using_metrics={},
                    period=PERIOD,
                ),
            ),
            graph("Videos past their deadline", search("overdue", "VideosPastDeadline")),
            graph(
                "Plugin timeouts and refusals",
                search("timeouts", "DeadlinesFired"),
                search("refused", "EventsRefused"),
            ),
        )
        dashboard.add_widgets(
            graph(
                "Bedrock tokens",
                search("input tokens", "InputTokens"),
                search("output tokens", "OutputTokens"),
            ),
            graph("Transcription seconds", search("seconds", "TranscriptionSeconds")),
            graph("Generative AI cost (USD, estimated)", search("USD", "EstimatedCostUSD")),
        )
        dashboard.add_widgets(
            graph(
                "Lambda across the stage",
                cloudwatch.MathExpression(
                    expression=f"SEARCH('{{AWS/Lambda,FunctionName}} -{self.stage}-', 'Sum', "
                    f"{int(PERIOD.to_seconds())})",
                    label="invocations and errors",
                    using_metrics={},
                    period=PERIOD,
                ),
            ),
            graph("Live pushes", search("pushes", "LivePushes")),
            graph(
                "Fargate task failures",
                search("failed tasks", "FargateTasksFailed"),
            ),
        )
        return dashboard
