"""docs/plugins.md's deferred example, run as written on moto: the captions template starts a Transcribe job,
keeps its invocation in S3 under its own prefix, and the job's state-change event completes it once."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from services.plugins.manifest import load_manifest
from shared.events.plugins import PluginInvoked
from shared.events.testing import FakePublisher
from shared.plugin_sdk import (
    DeferredInvocations,
    PluginClient,
    PluginFailure,
    deferred_ref,
    deferred_ref_for,
    plugin_handler,
)
from templates.deferred_plugin import handler as captions
from tests.unit.plugins.fakes import Harness, video_processed

ROOT = Path(__file__).resolve().parents[3]
BUCKET = "svideo-dev-media"  # the canonical Video.Processed's media bucket


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("MEDIA_BUCKET", BUCKET)):  # fmt: skip
        monkeypatch.setenv(name, value)
    captions.transcribe.cache_clear()
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield s3
    captions.transcribe.cache_clear()


def _started(harness: Harness, publisher: FakePublisher) -> PluginInvoked:
    """The lifecycle invokes `captions`; the template's `start` handler takes the SQS record."""
    harness.service.start(video_processed())
    invoked = harness.invocation("captions")
    start = plugin_handler("captions", client=PluginClient("captions", publisher))(captions.start.__wrapped__)
    event = {"version": "0", "id": "e1", "account": "123456789012", "time": "2026-11-22T14:00:00Z",
             "region": "us-east-1", "resources": [], "source": "svideo.plugins",
             "detail-type": "Plugin.Invoked", "detail": invoked.model_dump(mode="json")}  # fmt: skip
    assert start({"Records": [{"messageId": "m1", "body": json.dumps(event)}]}) == {"batchItemFailures": []}
    return invoked


def _job_event(ref: str) -> dict[str, Any]:
    return {"source": "aws.transcribe", "detail-type": "Transcribe Job State Change",
            "detail": {"TranscriptionJobName": ref, "TranscriptionJobStatus": "COMPLETED"}}  # fmt: skip


def test_given_the_guide_then_it_shows_the_deferred_template_as_it_is() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    blocks = [b.strip() for b in re.findall(r"```[a-z]*\n(.*?)```", guide, flags=re.S)]
    assert (ROOT / "templates" / "deferred_plugin" / "handler.py").read_text().strip() in blocks


def test_given_a_deferred_plugin_when_its_job_ends_then_the_invocation_completes_once_with_the_token(
    aws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness(load_manifest(ROOT / "templates" / "deferred_plugin" / "manifest.yaml"))
    publisher = FakePublisher()
    invoked = _started(harness, publisher)
    ref = deferred_ref(invoked)
    assert ref == deferred_ref_for(invoked.plugin, invoked.video_id)  # a completion handler's way to it
    assert publisher.published == []  # deferred: nothing is answered yet
    key = f"videos/{invoked.video_id}/plugins/captions/deferred-invocation.json"
    assert invoked.invocation.token in aws.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    job = boto3.client("transcribe").get_transcription_job(TranscriptionJobName=ref)["TranscriptionJob"]
    assert job["Media"]["MediaFileUri"] == f"s3://{BUCKET}/{invoked.video.media.mp4_key}"

    boto3.client("transcribe").get_transcription_job(
        TranscriptionJobName=ref
    )  # moto: IN_PROGRESS → COMPLETED
    captions.finished(_job_event(ref), client=PluginClient("captions", publisher))
    [completed] = publisher.published
    harness.service.complete(completed, "svideo.plugin.captions")  # type: ignore[arg-type]
    state = harness.state()
    assert state.status == "completed"
    assert state.invocations["captions"].status == "succeeded"
    assert state.video_fields() == {"transcript_language": "en-US"}
    with pytest.raises(ClientError):  # forgotten once resumed: a second job event cannot answer again
        captions.finished(_job_event(ref), client=PluginClient("captions", publisher))
    assert invoked.invocation.token not in caplog.text


def test_given_a_deferred_invocation_when_resumed_with_a_failure_then_it_fails_with_that_reason(
    aws: Any,
) -> None:
    harness = Harness(load_manifest(ROOT / "templates" / "deferred_plugin" / "manifest.yaml"))
    publisher = FakePublisher()
    ref = deferred_ref(_started(harness, publisher))
    PluginClient("captions", publisher).resume(ref, failure=PluginFailure("TranscriptionFailed", "no speech"))
    harness.service.complete(publisher.published[0], "svideo.plugin.captions")  # type: ignore[arg-type]
    assert harness.state().invocations["captions"].reason == "TranscriptionFailed: no speech"


@pytest.mark.parametrize("ref", ["captions", "captions.!!!", ".dmlkLTE", "captions.Li4vZXRj"])
def test_given_a_ref_that_names_no_deferred_invocation_when_resuming_then_it_is_refused(ref: str) -> None:
    with pytest.raises(ValueError, match="deferred"):
        DeferredInvocations(bucket=BUCKET, s3=object()).take(ref)
