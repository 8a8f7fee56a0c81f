"""SQS -> Lambda: transcribes the invocation's video (adapter chosen by GENAI_MODE) and returns the keys of
the transcript, segments and WebVTT captions."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import boto3

from services.genai import config, tasks
from services.genai.errors import GenerationError
from services.genai.ports import Transcriber
from services.genai.s3_store import S3ArtefactStore
from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler, read_media


@cache
def transcriber() -> Transcriber:
    return config.build_transcriber(config.settings())


@plugin_handler("transcript")
def handler(invocation: PluginInvoked) -> dict[str, Any]:
    s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory() as work:
        media = Path(read_media(invocation, str(Path(work) / "video.mp4"), s3))
        try:
            return tasks.transcribe(
                invocation.video_id, media, transcriber(), S3ArtefactStore(s3, invocation)
            )
        except GenerationError as error:
            raise PluginFailure(error.code, str(error)[:2000]) from error
