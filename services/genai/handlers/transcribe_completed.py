"""SQS (rule on `aws.transcribe` job state changes of svideo jobs) → collect the transcript, store it like the
local path does, publish `Transcript.Completed`, and resume the deferred plugin invocation (the SDK completes
or fails it once)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.genai import config, publishing, runtime, tasks, usage
from services.genai.aws_transcribe import AwsTranscriber
from services.genai.errors import GenerationError
from services.genai.s3_store import S3ArtefactStore
from services.genai.transcribe_jobs import answers, deferred_ref_of, video_id_of_media
from shared.events import parse_event
from shared.events.aws import TranscribeJobStateChange
from shared.observability import correlated, logger, metrics, tracer
from shared.plugin_sdk import DeferredInvocations, PluginClient, PluginFailure

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def transcriber() -> AwsTranscriber:
    built = config.build_transcriber(config.settings())
    if not isinstance(built, AwsTranscriber):
        raise RuntimeError("Transcribe completions arrive only with GENAI_MODE=aws")
    return built


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    change = parse_event(json.loads(record.body)).detail
    if not isinstance(change, TranscribeJobStateChange):
        raise TypeError(f"unexpected event {type(change).__name__}")
    deps = runtime.current()
    name = change.transcription_job_name
    job = transcriber().describe(name)
    video_id = video_id_of_media(job["Media"]["MediaFileUri"])
    logger.append_keys(video_id=video_id)
    ref = deferred_ref_of(video_id)
    client = PluginClient(
        "transcript", deps.publisher, DeferredInvocations(deps.settings.media_bucket, deps.s3)
    )
    try:
        invocation = client.deferred.take(ref)
    except deps.s3.exceptions.NoSuchKey:
        logger.info("no deferred invocation: already resumed", extra={"job": name})
        return
    if not answers(invocation, name):
        logger.info("job of a superseded invocation ignored", extra={"job": name})
        return
    try:
        transcript = transcriber().collect(name)
        output = tasks.store_transcript(transcript, S3ArtefactStore(deps.s3, invocation))
    except GenerationError as error:
        client.resume(ref, failure=PluginFailure(error.code, str(error)[:2000]))
        return
    bucket, correlation = invocation.video.media.bucket, invocation.meta.correlation_id
    deps.publisher.publish(publishing.transcript_completed(video_id, bucket, output, correlation))
    used = usage.Usage("transcript", str(output["model_id"]), transcription_seconds=transcript.audio_seconds)
    usage.record(metrics, used, video_id, deps.settings.prices)
    client.resume(ref, output)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=correlated(record_handler), processor=processor, context=context
    )
