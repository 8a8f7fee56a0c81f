"""SQS -> Lambda: prompt chaining from the transcript to character descriptions to one image each, published
as `Avatars.Generated`."""

from __future__ import annotations

from functools import cache
from typing import Any

from services.genai import config, publishing, runtime, tasks, usage
from services.genai.errors import GenerationError
from services.genai.output_guard import OutputGuard
from services.genai.ports import AvatarPainter
from services.genai.s3_store import S3ArtefactStore
from shared.observability import logger, metrics
from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler


@cache
def painter() -> AvatarPainter:
    return config.build_avatar_painter(config.settings())


@cache
def guard() -> OutputGuard:
    return config.build_output_guard(config.settings())


@plugin_handler("avatars")
def paint(invocation: PluginInvoked) -> dict[str, Any]:
    deps = runtime.current()
    logger.append_keys(video_id=invocation.video_id)
    store = S3ArtefactStore(deps.s3, invocation)
    try:
        segments = tasks.load_segments(dict(invocation.inputs), store)
        output = tasks.paint_avatars(invocation.video_id, segments, painter(), store, guard())
    except GenerationError as error:
        logger.warning("avatars failed", extra={"code": error.code, "reason": str(error)[:500]})
        raise PluginFailure(error.code, str(error)[:2000]) from error
    bucket = invocation.video.media.bucket
    correlation = invocation.meta.correlation_id
    deps.publisher.publish(publishing.avatars_generated(invocation.video_id, bucket, output, correlation))
    text_model, _, image_model = str(output["model_id"]).partition("+")
    used = usage.Usage("avatars", text_model, output["input_tokens"], output["output_tokens"],
                       images=len(output["avatars"]), image_model_id=image_model or None)  # fmt: skip
    usage.record(metrics, used, invocation.video_id, deps.settings.prices)
    logger.info("avatars painted", extra={"avatars": len(output["avatars"])})
    return output


handler = metrics.log_metrics(paint)
