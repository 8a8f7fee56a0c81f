"""SQS -> Lambda: transcribes the invocation's video. Locally (GENAI_MODE=local) faster-whisper runs here and
the invocation completes at once; on AWS the invocation is deferred through the SDK and an Amazon Transcribe
job starts, to be resumed by `services.genai.handlers.transcribe_completed` when the job's event arrives."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from services.genai import config, publishing, runtime, tasks, usage
from services.genai.errors import GenerationError
from services.genai.ports import Transcriber
from services.genai.s3_store import S3ArtefactStore
from services.genai.transcribe_jobs import start_job
from shared.observability import logger, metrics
from shared.plugin_sdk import (
    Deferred,
    DeferredInvocations,
    PluginFailure,
    PluginInvoked,
    plugin_handler,
    read_media,
)


@cache
def transcriber() -> Transcriber:
    return config.build_transcriber(config.settings())


@plugin_handler("transcript")
def transcribe_here(invocation: PluginInvoked) -> dict[str, Any]:
    deps = runtime.current()
    logger.append_keys(video_id=invocation.video_id)
    with tempfile.TemporaryDirectory() as work:
        media = Path(read_media(invocation, str(Path(work) / "video.mp4"), deps.s3))
        try:
            output = tasks.transcribe(
                invocation.video_id, media, transcriber(), S3ArtefactStore(deps.s3, invocation)
            )
        except GenerationError as error:
            logger.warning("transcription failed", extra={"code": error.code, "reason": str(error)[:500]})
            raise PluginFailure(error.code, str(error)[:2000]) from error
    return finish(invocation, output)


def finish(invocation: PluginInvoked, output: dict[str, Any]) -> dict[str, Any]:
    """Publishes `Transcript.Completed` and the usage metrics; the caller completes the invocation."""
    deps = runtime.current()
    bucket = invocation.video.media.bucket
    correlation = invocation.meta.correlation_id
    deps.publisher.publish(publishing.transcript_completed(invocation.video_id, bucket, output, correlation))
    seconds = float(output.get("audio_seconds", 0.0))
    used = usage.Usage("transcript", str(output["model_id"]), transcription_seconds=seconds)
    usage.record(metrics, used, invocation.video_id, deps.settings.prices)
    logger.info("transcript stored", extra={"words": output["word_count"], "language": output["language"]})
    return output


@plugin_handler("transcript")
def defer_to_job(invocation: PluginInvoked) -> Deferred:
    """AWS path: one Transcribe job per invocation; completion is deferred to the job's state-change event."""
    deps = runtime.current()
    logger.append_keys(video_id=invocation.video_id)
    return start_job(invocation, transcriber(), DeferredInvocations(invocation.video.media.bucket, deps.s3))


@metrics.log_metrics
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    if runtime.current().settings.mode == "aws":
        return dict(defer_to_job(event, context))
    return dict(transcribe_here(event, context))
