"""SQS -> Lambda: prompt chaining from the transcript to character descriptions to one image each."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from services.genai import config, tasks
from services.genai.errors import GenerationError
from services.genai.ports import AvatarPainter
from services.genai.s3_store import S3ArtefactStore
from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler


@cache
def painter() -> AvatarPainter:
    return config.build_avatar_painter(config.settings())


@plugin_handler("avatars")
def handler(invocation: PluginInvoked) -> dict[str, Any]:
    store = S3ArtefactStore(boto3.client("s3"), invocation)
    try:
        segments = tasks.load_segments(dict(invocation.inputs), store)
        return tasks.paint_avatars(invocation.video_id, segments, painter(), store)
    except GenerationError as error:
        raise PluginFailure(error.code, str(error)[:2000]) from error
