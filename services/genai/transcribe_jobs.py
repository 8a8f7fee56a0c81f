"""Deferred completion of the transcript plugin on AWS, through the plugin SDK: the invocation is deferred
(kept by the SDK under the plugin's prefix of the video) before its Transcribe job starts, and resumed when
Transcribe's state-change event names the job."""

from __future__ import annotations

from typing import Any

from services.genai.aws_transcribe import job_name
from shared.plugin_sdk import Deferred, DeferredInvocations, PluginInvoked, defer, deferred_ref_for

PLUGIN = "transcript"


def start_job(invocation: PluginInvoked, transcriber: Any, store: DeferredInvocations) -> Deferred:
    """Defers first, so the job's completion always finds the invocation it answers."""
    deferred = defer(invocation, store)
    transcriber.start(invocation.video_id, invocation.invocation.id, invocation.video.media.mp4_key)
    return deferred


def deferred_ref_of(video_id: str) -> str:
    """The SDK's ref of a video's deferred transcript invocation (it depends on plugin and video only)."""
    return deferred_ref_for(PLUGIN, video_id)


def answers(invocation: PluginInvoked, name: str) -> bool:
    """Whether the job was started for this invocation (not for an earlier, superseded one)."""
    return job_name(invocation.video_id, invocation.invocation.id) == name


def video_id_of_media(media_uri: str) -> str:
    """`s3://<bucket>/videos/<video_id>/...` → `<video_id>` (every media key lives under its video)."""
    parts = media_uri.removeprefix("s3://").split("/")
    if len(parts) < 4 or parts[1] != "videos":
        raise ValueError(f"not a svideo media URI: {media_uri[:200]}")
    return parts[2]
