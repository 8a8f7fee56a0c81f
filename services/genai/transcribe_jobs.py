"""Deferred completion of the transcript plugin on AWS: the invocation is parked as JSON next to the job's
output when the job starts, and picked up when Transcribe's state-change event names the job."""

from __future__ import annotations

from typing import Any

from services.genai.aws_transcribe import output_key
from shared.plugin_sdk import PluginInvoked


def parked_key(video_id: str, job_name: str) -> str:
    return output_key(video_id, job_name).removesuffix(".json") + ".invocation.json"


def video_id_of_media(media_uri: str) -> str:
    """`s3://<bucket>/videos/<video_id>/...` → `<video_id>` (every media key lives under its video)."""
    parts = media_uri.removeprefix("s3://").split("/")
    if len(parts) < 4 or parts[1] != "videos":
        raise ValueError(f"not a svideo media URI: {media_uri[:200]}")
    return parts[2]


def park_invocation(invocation: PluginInvoked, transcriber: Any, s3: Any) -> str:
    pending = transcriber.start(invocation.video_id, invocation.invocation.id, invocation.video.media.mp4_key)
    s3.put_object(
        Bucket=invocation.video.media.bucket,
        Key=parked_key(invocation.video_id, pending.job_name),
        Body=invocation.model_dump_json(by_alias=True).encode(),
        ContentType="application/json",
    )
    return str(pending.job_name)


def load_parked(s3: Any, bucket: str, video_id: str, job_name: str) -> PluginInvoked:
    body = s3.get_object(Bucket=bucket, Key=parked_key(video_id, job_name))["Body"].read()
    return PluginInvoked.model_validate_json(body)
