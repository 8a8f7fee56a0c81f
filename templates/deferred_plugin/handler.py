"""A plugin whose work finishes later: it starts an Amazon Transcribe job and answers when the job ends.

`start` runs on the plugin's queue (like any plugin); `finished` runs on the `aws.transcribe`
"Transcribe Job State Change" event of the default bus, and completes or fails the invocation.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from shared.plugin_sdk import (
    Deferred,
    PluginClient,
    PluginFailure,
    PluginInvoked,
    artefact_key,
    defer,
    plugin_handler,
)

NAME = "captions"


@cache
def transcribe() -> Any:
    return boto3.client("transcribe")


@plugin_handler(NAME)
def start(invocation: PluginInvoked) -> Deferred:
    deferred = defer(invocation)  # kept before the job starts, so the job's end always finds it
    media = invocation.video.media
    transcribe().start_transcription_job(
        TranscriptionJobName=deferred.ref,  # the job's event carries its name: that is how we resume
        Media={"MediaFileUri": f"s3://{media.bucket}/{media.mp4_key}"},
        IdentifyLanguage=True,
        OutputBucketName=media.bucket,
        OutputKey=artefact_key(invocation, "transcript.json"),
    )
    return deferred


def finished(event: dict[str, Any], context: Any = None, client: PluginClient | None = None) -> None:
    ref = event["detail"]["TranscriptionJobName"]
    job = transcribe().get_transcription_job(TranscriptionJobName=ref)["TranscriptionJob"]
    client = client or PluginClient.from_env(NAME)
    if job["TranscriptionJobStatus"] == "COMPLETED":
        output = {"transcript_uri": job["Transcript"]["TranscriptFileUri"], "language": job["LanguageCode"]}
        client.resume(ref, output)
    else:
        reason = job.get("FailureReason") or job["TranscriptionJobStatus"]
        client.resume(ref, failure=PluginFailure("TranscriptionFailed", reason))
