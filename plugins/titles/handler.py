"""SQS -> Lambda: round 1 of title candidates, a description and tags from the transcript plugin's output;
the round opens the video's title book (for the feedback loop) and is published as `Titles.Generated`."""

from __future__ import annotations

from functools import cache
from typing import Any

from services.genai import config, publishing, runtime, tasks, usage
from services.genai.errors import GenerationError
from services.genai.feedback import TitleBook
from services.genai.models import TitleRequest
from services.genai.output_guard import OutputGuard
from services.genai.ports import TitleWriter
from services.genai.s3_store import S3ArtefactStore
from shared.observability import logger, metrics
from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler


@cache
def writer() -> TitleWriter:
    return config.build_title_writer(config.settings())


@cache
def guard() -> OutputGuard:
    return config.build_output_guard(config.settings())


@plugin_handler("titles")
def write_round_one(invocation: PluginInvoked) -> dict[str, Any]:
    deps = runtime.current()
    logger.append_keys(video_id=invocation.video_id)
    store = S3ArtefactStore(deps.s3, invocation)
    transcript = invocation.inputs.get("transcript") or {}
    try:
        segments = tasks.load_segments(dict(invocation.inputs), store)
        language = str(transcript.get("language", "en"))
        request = TitleRequest(video_id=invocation.video_id, segments=segments, language=language)
        output = tasks.write_titles(request, writer(), store, deps.settings.max_title_rounds, guard())
    except GenerationError as error:
        logger.warning("titles failed", extra={"code": error.code, "reason": str(error)[:500]})
        raise PluginFailure(error.code, str(error)[:2000]) from error
    bucket = invocation.video.media.bucket
    seed = TitleBook(video_id=invocation.video_id, owner_id=invocation.video.owner_id, bucket=bucket,
                     segments_key=str(transcript["segments_key"]), language=language)  # fmt: skip
    deps.feedback.record_round(seed, output)
    correlation = invocation.meta.correlation_id
    generated = publishing.titles_generated(invocation.video_id, bucket, output, segments, correlation)
    deps.publisher.publish(generated)
    used = usage.Usage("titles", output["model_id"], output["input_tokens"], output["output_tokens"])
    usage.record(metrics, used, invocation.video_id, deps.settings.prices)
    logger.info("titles written", extra={"candidates": len(output["candidates"])})
    return output


handler = metrics.log_metrics(write_round_one)
