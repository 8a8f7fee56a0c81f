"""SQS -> Lambda: transcribes the invocation's video. Locally (GENAI_MODE=local) faster-whisper runs here and
the invocation completes at once; on AWS an Amazon Transcribe job starts and the invocation is parked next to
its output, to be completed by `services.genai.handlers.transcribe_completed` when the job's event arrives."""

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
from services.genai.transcribe_jobs import park_invocation
from shared.observability import logger, metrics
from shared.plugin_sdk import PluginFailure, PluginInvoked, parse_invocation, plugin_handler, read_media


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


def start_jobs(event: Mapping[str, Any]) -> dict[str, Any]:
    """AWS path: one Transcribe job per invocation; completion is deferred to the job's state-change event."""
    deps = runtime.current()
    failures = []
    for record in event.get("Records") or [event]:
        try:
            invocation = parse_invocation(record)
            logger.append_keys(video_id=invocation.video_id)
            park_invocation(invocation, config.build_transcriber(deps.settings), deps.s3)
        except Exception:
            logger.exception("transcription job not started")
            if "Records" not in event:
                raise
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}


@metrics.log_metrics
def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    if runtime.current().settings.mode == "aws":
        return start_jobs(event)
    return dict(transcribe_here(event, context))
