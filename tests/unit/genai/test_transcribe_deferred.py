"""The transcript plugin's AWS path through the SDK's deferred completion, with fakes: the invocation is
deferred and a Transcribe job started (nothing completed yet); the job's state-change event resumes it once,
with the transcript or with the job's failure reason; a repeated or superseded job's event changes nothing."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.transcript import handler as transcript
from services.genai import runtime
from services.genai.aws_transcribe import job_name
from services.genai.config import GenAiSettings
from services.genai.errors import GenerationError
from services.genai.handlers import transcribe_completed
from services.genai.models import Generation, PendingTranscription, Segment, Transcript
from shared.events.generative import TranscriptCompleted
from shared.events.plugins import PluginCompleted
from shared.events.testing import FakePublisher
from shared.plugin_sdk import PluginClient
from tests.unit.genai.fakes import BUCKET, VIDEO, MemoryBooks, World, invocation_event

EVENTS = Path(__file__).parents[2] / "events"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"
DEFERRED_KEY = f"videos/{VIDEO}/plugins/transcript/deferred-invocation.json"


class NoSuchKey(Exception):
    pass


class DeletingS3:
    """The fake S3 of the other genai tests, with deletes and the client's NoSuchKey."""

    class exceptions:  # as boto3 clients expose their errors
        NoSuchKey = NoSuchKey

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        self.objects[(Bucket, Key)] = Body
        return {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if (Bucket, Key) not in self.objects:
            raise NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def delete_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.objects.pop((Bucket, Key), None)
        return {}


class FakeTranscribe:
    def __init__(self, status: str = "COMPLETED") -> None:
        self.status = status
        self.started: list[str] = []

    def start(self, video_id: str, invocation_id: str, media_key: str) -> PendingTranscription:
        self.started.append(job_name(video_id, invocation_id))
        return PendingTranscription(job_name=self.started[-1], model_id="amazon-transcribe")

    def describe(self, name: str) -> dict[str, Any]:
        return {
            "Media": {"MediaFileUri": f"s3://{BUCKET}/videos/{VIDEO}/video.mp4"},
            "TranscriptionJobName": name,
        }

    def collect(self, name: str) -> Transcript:
        if self.status != "COMPLETED":
            raise GenerationError(f"transcription job {name} ended FAILED: unsupported media")
        segment = Segment(index=0, start_ms=0, end_ms=2000, text="We fix a flat bicycle tyre.")
        generation = Generation(model_id="amazon-transcribe", prompt_version="asr/transcribe-1")
        return Transcript(
            text=segment.text, language="en-US", segments=(segment,), audio_seconds=2.0, generation=generation
        )


class AwsWorld:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, status: str = "COMPLETED") -> None:
        World(monkeypatch)  # the SDK's client and the metrics namespace, as in the other handler tests
        self.s3, self.publisher, self.transcribe = DeletingS3(), FakePublisher(), FakeTranscribe(status)
        settings = GenAiSettings(mode="aws", media_bucket=BUCKET)
        runtime.use(runtime.Runtime(settings, self.s3, self.publisher, _feedback(self.publisher)))
        monkeypatch.setattr(transcript, "transcriber", lambda: self.transcribe)
        monkeypatch.setattr(transcribe_completed, "transcriber", lambda: self.transcribe)
        monkeypatch.setattr(PluginClient, "from_env",
                            classmethod(lambda cls, name: cls(name, self.publisher)))  # fmt: skip

    def job_ended(self, name: str) -> dict[str, Any]:
        event = json.loads((EVENTS / "aws.transcribe" / "TranscribeJobStateChange.json").read_text())
        event["detail"].update(TranscriptionJobName=name, TranscriptionJobStatus=self.transcribe.status)
        record = {"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(event), "attributes": {},
                  "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                  "awsRegion": "us-east-1", "eventSourceARN": QUEUE_ARN}  # fmt: skip
        result: dict[str, Any] = transcribe_completed.handler({"Records": [record]}, _Context())
        return result


def _feedback(publisher: FakePublisher) -> Any:
    from services.genai.feedback import TitleFeedback

    return TitleFeedback(MemoryBooks(), publisher, 3)


class _Context:
    function_name = "transcript-completion"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:transcript-completion"
    aws_request_id = "req-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsWorld]:
    yield AwsWorld(monkeypatch)
    runtime.use(None)


def test_given_aws_mode_when_invoked_then_the_invocation_is_deferred_and_a_job_started(aws: AwsWorld) -> None:
    result = transcript.handler(invocation_event("transcript"), None)

    assert result == {"batchItemFailures": []}
    assert aws.publisher.of_type(PluginCompleted) == []
    [name] = aws.transcribe.started
    kept = json.loads(aws.s3.objects[(BUCKET, DEFERRED_KEY)])
    assert kept["invocation"]["token"] and name == job_name(VIDEO, kept["invocation"]["id"])


def test_given_a_deferred_invocation_when_its_job_completes_then_it_is_resumed_once_with_the_transcript(
    aws: AwsWorld,
) -> None:
    transcript.handler(invocation_event("transcript"), None)
    [name] = aws.transcribe.started
    token = json.loads(aws.s3.objects[(BUCKET, DEFERRED_KEY)])["invocation"]["token"]

    assert aws.job_ended(name) == {"batchItemFailures": []}
    assert aws.job_ended(name) == {"batchItemFailures": []}  # a repeated event finds nothing to resume

    [completed] = aws.publisher.of_type(PluginCompleted)
    assert (completed.status, completed.plugin, completed.token) == ("succeeded", "transcript", token)
    assert completed.output is not None and completed.output["word_count"] == 6
    [done] = aws.publisher.of_type(TranscriptCompleted)
    assert done.video_id == VIDEO
    assert (BUCKET, DEFERRED_KEY) not in aws.s3.objects
    assert (BUCKET, f"videos/{VIDEO}/plugins/transcript/captions.vtt") in aws.s3.objects


def test_given_a_failed_job_when_its_event_arrives_then_the_invocation_fails_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws = AwsWorld(monkeypatch, status="FAILED")
    try:
        transcript.handler(invocation_event("transcript"), None)
        aws.job_ended(aws.transcribe.started[0])
    finally:
        runtime.use(None)
    [completed] = aws.publisher.of_type(PluginCompleted)
    assert completed.status == "failed" and completed.error is not None
    assert "unsupported media" in completed.error.message
    assert aws.publisher.of_type(TranscriptCompleted) == []


def test_given_a_job_of_a_superseded_invocation_when_it_ends_then_the_current_one_stays_deferred(
    aws: AwsWorld,
) -> None:
    first = invocation_event("transcript")
    second = copy.deepcopy(first)
    body = json.loads(second["Records"][0]["body"])
    body["detail"]["invocation"]["id"] = body["detail"]["invocation"]["id"] + "-2"
    second["Records"][0]["body"] = json.dumps(body)
    transcript.handler(first, None)
    transcript.handler(second, None)

    aws.job_ended(aws.transcribe.started[0])

    assert aws.publisher.of_type(PluginCompleted) == []
    assert (BUCKET, DEFERRED_KEY) in aws.s3.objects
    aws.job_ended(aws.transcribe.started[1])
    [completed] = aws.publisher.of_type(PluginCompleted)
    assert completed.invocation_id.endswith("-2")
