"""The transcript plugin's stack: faster-whisper in the function (local) or an Amazon Transcribe job whose
`aws.transcribe` state-change event (default bus) completes the invocation through a second function (aws)."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.plugin import PluginStack, grant_media
from infra.constructs.publishing import grant_publish
from infra.constructs.service_function import ServiceFunction
from infra.nag import acknowledge_resource
from infra.naming import resource_name
from infra.subscriptions import Subscription
from services.genai.stack_support import (
    genai_code,
    genai_mode,
    media_bucket,
)
from shared.events.aws import TranscribeJobStateChange
from shared.events.plugins import plugin_source
from shared.plugin_sdk.core import DEFERRED_FILE

# Whisper base int8 + ffmpeg decoding 10-minute chunks stay well under 3 GB; the AWS path only starts a job.
LOCAL_MEMORY_MB, AWS_MEMORY_MB = 3008, 256
COMPLETION_TIMEOUT = cdk.Duration.seconds(60)
OWN_PREFIX = "videos/*/plugins/transcript/*"


def transcribe_subscription(stage: str) -> Subscription:
    """Transcribe's job state changes of svideo's own jobs (names start with `svideo-`)."""
    return Subscription(
        name=resource_name(stage, "transcript", "job-state"),
        description="Amazon Transcribe jobs of the transcript plugin that completed or failed",
        event_pattern={
            "source": [TranscribeJobStateChange.source],
            "detail-type": [TranscribeJobStateChange.detail_type],
            "detail": {
                "TranscriptionJobName": [{"prefix": "svideo-"}],
                "TranscriptionJobStatus": ["COMPLETED", "FAILED"],
            },
        },
    )


class TranscriptPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        mode = genai_mode(scope)
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=Path(__file__).with_name("manifest.yaml"),
            handler="plugins.transcript.handler.handler",
            memory_size=LOCAL_MEMORY_MB if mode == "local" else AWS_MEMORY_MB,
            code=genai_code("transcript"),
            **kwargs,
        )
        bucket, bucket_arn = media_bucket(self)
        self.function.add_environment("GENAI_MODE", mode).add_environment("MEDIA_BUCKET", bucket)
        # Reads the video's MP4 (locally) and writes only under its own plugin prefix.
        grant_media(self.service_function.role, bucket_arn, read=["videos/*"], write=[OWN_PREFIX])
        if mode == "aws":
            self._transcribe(bucket, bucket_arn)

    def _transcribe(self, bucket: str, bucket_arn: str) -> None:
        jobs = self.format_arn(service="transcribe", resource="transcription-job", resource_name="svideo-*")
        self.service_function.role.add_to_policy(
            iam.PolicyStatement(actions=["transcribe:StartTranscriptionJob"], resources=[jobs])
        )
        completion = ServiceFunction(
            self,
            "Completion",
            service="genai",
            handler="services.genai.handlers.transcribe_completed.handler",
            description="svideo transcript: completes invocations when their Transcribe job ends",
            timeout=COMPLETION_TIMEOUT,
            memory_size=512,
            environment={"GENAI_MODE": "aws", "MEDIA_BUCKET": bucket, "BUS_NAME": self.bus.event_bus_name},
        )
        completion.role.add_to_policy(
            iam.PolicyStatement(actions=["transcribe:GetTranscriptionJob"], resources=[jobs])
        )
        grant_media(completion.role, bucket_arn, read=[OWN_PREFIX], write=[OWN_PREFIX])
        # Resuming forgets the SDK's deferred invocation (it holds the completion token) once answered.
        deferred = f"videos/*/plugins/transcript/{DEFERRED_FILE}"
        completion.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:DeleteObject"], resources=[f"{bucket_arn}/{deferred}"])
        )
        acknowledge_resource(
            completion.role,
            "AwsSolutions-IAM5",
            f"{bucket_arn}/{deferred}",
            "One deferred invocation per video; only that file under the plugin's own prefix can be deleted.",
        )
        grant_publish(completion.function, self.bus.event_bus_arn, plugin_source("transcript"))
        for role in (self.service_function.role, completion.role):
            assert role is not None
            acknowledge_resource(
                role,
                "AwsSolutions-IAM5",
                jobs,
                "Job names are made per invocation at run time; the policy admits svideo's own only.",
            )
        # Undeliverable job states dead-letter beside the invocations (the plugin's own DLQ), as the rule did.
        QueueConsumer(
            self,
            "JobStates",
            bus=events.EventBus.from_event_bus_name(self, "DefaultBus", "default"),
            subscriptions=[transcribe_subscription(self.stage)],
            function=completion.function,
            batch_size=5,
            rule_dead_letter_queue=self.dead_letters,
        )
