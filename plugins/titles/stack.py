"""The titles plugin's stack: the plugin function (round 1), the title books table, the broadcaster's feedback
routes on the public HTTP API, the regeneration function on `Titles.RegenerateRequested`, and on AWS the
Bedrock model permissions and a Bedrock Guardrail."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.plugin import PluginStack, grant_media
from infra.constructs.publishing import publish_statement
from infra.constructs.service_function import ServiceFunction
from infra.naming import resource_name
from infra.subscriptions import Subscription, video_deleted_subscription
from services.genai.config import GenAiSettings
from services.genai.stack_support import (
    attach_routes,
    genai_code,
    genai_mode,
    grant_bedrock,
    media_bucket,
    snap_start,
)
from shared.events.plugins import plugin_source
from shared.events.video import VIDEO_SOURCE, TitlesRegenerateRequested

# The broadcaster's title feedback; the function checks that the caller owns the video.
FEEDBACK_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/videos/{video_id}/titles"),
    ("POST", "/videos/{video_id}/title"),
    ("POST", "/videos/{video_id}/titles/regenerate"),
)
MAX_TITLE_ROUNDS = 3
# Extractive writing and a Converse call both fit well inside these; Pillow/YAKE imports want the memory.
PLUGIN_MEMORY_MB = 1024
REGENERATE_TIMEOUT = cdk.Duration.seconds(120)
TRANSCRIPT_KEYS = "videos/*/plugins/transcript/*"
OWN_KEYS = "videos/*/plugins/titles/*"
DENIED_TOPICS = {
    "PromptInjection": "Requests to ignore, reveal or change the assistant's instructions or system prompt.",
    "PersonalData": "Home addresses, phone numbers, passwords or other personal data of identifiable people.",
}


def regenerate_subscription(stage: str) -> Subscription:
    return Subscription(
        name=resource_name(stage, "titles", "regenerate"),
        description="Broadcasters' requests for a new round of titles",
        event_pattern={"source": [VIDEO_SOURCE], "detail-type": [TitlesRegenerateRequested.detail_type]},
    )


# The PII types Bedrock blocks in titles, descriptions and tags (the local detector's categories).
PII_ENTITIES = (
    "EMAIL",
    "PHONE",
    "URL",
    "NAME",
    "ADDRESS",
    "CREDIT_DEBIT_CARD_NUMBER",
    "IP_ADDRESS",
    "US_SOCIAL_SECURITY_NUMBER",
    "US_BANK_ACCOUNT_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
)


class TitlesPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        self.mode = genai_mode(scope)
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=Path(__file__).with_name("manifest.yaml"),
            handler="plugins.titles.handler.handler",
            memory_size=PLUGIN_MEMORY_MB,
            code=genai_code("titles"),
            **kwargs,
        )
        bucket, bucket_arn = media_bucket(self)
        self.books = dynamodb.Table(
            self,
            "TitleBooks",
            partition_key=dynamodb.Attribute(name="video_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        env = {
            "GENAI_MODE": self.mode,
            "MEDIA_BUCKET": bucket,
            "GENAI_TITLES_TABLE": self.books.table_name,
            "GENAI_MAX_TITLE_ROUNDS": str(MAX_TITLE_ROUNDS),
        }
        if self.mode == "aws":
            guardrail = self._guardrail()
            env |= {"GENAI_GUARDRAIL_ID": guardrail.attr_guardrail_id, "GENAI_GUARDRAIL_VERSION": "DRAFT"}
        for name, value in env.items():
            self.function.add_environment(name, value)
        self._allow(self.service_function.role, bucket_arn, guardrail if self.mode == "aws" else None)
        self.alias = snap_start(self)
        self.regenerator = self._regenerator(env, bucket_arn)
        self.feedback_api = ServiceFunction(
            self,
            "FeedbackApi",
            service="genai",
            handler="services.genai.handlers.titles_api.handler",
            description="svideo titles: the broadcaster's title feedback routes",
            environment={**env, "BUS_NAME": self.bus.event_bus_name},
        )
        self.books.grant_read_write_data(self.feedback_api.role)
        self.feedback_api.role.add_to_policy(self._put_events(VIDEO_SOURCE))
        attach_routes(self, stage, self.feedback_api.function, FEEDBACK_ROUTES, "*/*/videos/*")
        self.forgetter = self._forgetter(env)

    def _forgetter(self, env: dict[str, str]) -> ServiceFunction:
        """A deleted video's title book (every round, candidate and feedback) goes with it."""
        function = ServiceFunction(
            self,
            "VideoDeleted",
            service="genai",
            handler="services.genai.handlers.video_deleted.handler",
            description="svideo titles: removes a deleted video's title book",
            environment={**env, "BUS_NAME": self.bus.event_bus_name},
        )
        function.role.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:DeleteItem"], resources=[self.books.table_arn])
        )
        QueueConsumer(
            self,
            "VideoDeletedInbox",
            bus=self.bus,
            subscriptions=[video_deleted_subscription(self.stage, "titles")],
            function=function.function,
            rule_dead_letter_queue=self.dead_letters,
        )
        return function

    def _put_events(self, source: str) -> iam.PolicyStatement:
        return publish_statement(self.bus.event_bus_arn, source)

    def _allow(self, role: iam.IRole, bucket_arn: str, guardrail: bedrock.CfnGuardrail | None) -> None:
        self.books.grant_read_write_data(role)
        grant_media(role, bucket_arn, read=[TRANSCRIPT_KEYS, OWN_KEYS], write=[OWN_KEYS])
        if self.mode == "aws":
            grant_bedrock(role, self, [GenAiSettings().titles_model_id])
            assert guardrail is not None
            apply = iam.PolicyStatement(
                actions=["bedrock:ApplyGuardrail"], resources=[guardrail.attr_guardrail_arn]
            )
            role.add_to_principal_policy(apply)

    def _regenerator(self, env: dict[str, str], bucket_arn: str) -> ServiceFunction:
        function = ServiceFunction(
            self,
            "Regenerate",
            service="genai",
            handler="services.genai.handlers.regenerate.handler",
            description="svideo titles: writes a new round of titles from the broadcaster's feedback",
            memory_size=PLUGIN_MEMORY_MB,
            timeout=REGENERATE_TIMEOUT,
            snap_start=self.mode == "aws",
            environment={**env, "BUS_NAME": self.bus.event_bus_name},
        )
        self._allow(function.role, bucket_arn, self.node.try_find_child("Guardrail"))  # type: ignore[arg-type]
        function.role.add_to_policy(self._put_events(plugin_source("titles")))
        # Undeliverable requests dead-letter beside the invocations (the plugin's own DLQ), as the rule did.
        QueueConsumer(
            self,
            "RegenerateRequests",
            bus=self.bus,
            subscriptions=[regenerate_subscription(self.stage)],
            function=function.function,
            batch_size=1,
            rule_dead_letter_queue=self.dead_letters,
        )
        return function

    def _guardrail(self) -> bedrock.CfnGuardrail:
        """Denied topics, content filters and the prompt-attack filter around every Converse call."""
        strengths = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
        return bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=resource_name(self.stage, "titles"),
            blocked_input_messaging="This transcript cannot be used to write titles.",
            blocked_outputs_messaging="The generated titles were blocked.",
            topic_policy_config=bedrock.CfnGuardrail.TopicPolicyConfigProperty(
                topics_config=[
                    bedrock.CfnGuardrail.TopicConfigProperty(name=name, definition=text, type="DENY")
                    for name, text in DENIED_TOPICS.items()
                ]
            ),
            # Personal data and profanity in public text (services/genai/aws_guardrail.py reads the verdicts).
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=[
                    # A transcript may say a name (masked in the prompt); a public text may not.
                    bedrock.CfnGuardrail.PiiEntityConfigProperty(
                        type=entity, action="BLOCK", input_action="ANONYMIZE", output_action="BLOCK"
                    )
                    for entity in PII_ENTITIES
                ]
            ),
            word_policy_config=bedrock.CfnGuardrail.WordPolicyConfigProperty(
                managed_word_lists_config=[bedrock.CfnGuardrail.ManagedWordsConfigProperty(type="PROFANITY")]
            ),
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(
                filters_config=[
                    bedrock.CfnGuardrail.ContentFilterConfigProperty(
                        type=kind, input_strength="HIGH", output_strength="HIGH"
                    )
                    for kind in strengths
                ]
                # The prompt-attack filter applies to input only (its output strength must be NONE).
                + [
                    bedrock.CfnGuardrail.ContentFilterConfigProperty(
                        type="PROMPT_ATTACK", input_strength="HIGH", output_strength="NONE"
                    )
                ]
            ),
        )
