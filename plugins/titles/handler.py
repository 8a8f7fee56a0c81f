"""SQS -> Lambda: round 1 of title candidates, a description and tags from the transcript plugin's output."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from services.genai import config, tasks
from services.genai.errors import GenerationError
from services.genai.models import TitleRequest
from services.genai.ports import TitleWriter
from services.genai.s3_store import S3ArtefactStore
from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler


@cache
def writer() -> TitleWriter:
    return config.build_title_writer(config.settings())


@plugin_handler("titles")
def handler(invocation: PluginInvoked) -> dict[str, Any]:
    store = S3ArtefactStore(boto3.client("s3"), invocation)
    try:
        segments = tasks.load_segments(dict(invocation.inputs), store)
        language = str((invocation.inputs.get("transcript") or {}).get("language", "en"))
        request = TitleRequest(video_id=invocation.video_id, segments=segments, language=language)
        return tasks.write_titles(request, writer(), store, config.settings().max_title_rounds)
    except GenerationError as error:
        raise PluginFailure(error.code, str(error)[:2000]) from error
