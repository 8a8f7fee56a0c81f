"""Amazon Transcribe `Transcriber`: starts a batch job on the video's MP4 and returns at once. The job's
completion arrives as an `aws.transcribe` state-change event; its handler calls `collect`, which reads the
job's JSON output from our bucket and turns it into timed segments. No polling anywhere."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

from services.genai.errors import GenerationError
from services.genai.models import Generation, PendingTranscription, Segment, Transcript

MODEL_ID = "amazon-transcribe"
PROMPT_VERSION = "asr/transcribe-1"
_JOB_UNSAFE = re.compile(r"[^0-9a-zA-Z._-]")
_SENTENCE_END = {".", "?", "!"}


def job_name(video_id: str, invocation_id: str) -> str:
    """Unique per invocation (a retried invocation gets its own job) and traceable back to the video."""
    return _JOB_UNSAFE.sub("-", f"svideo-{video_id}-{invocation_id}")[:200]


def output_key(video_id: str, name: str) -> str:
    return f"videos/{video_id}/plugins/transcript/aws/{name}.json"


class AwsTranscriber:
    model_id = MODEL_ID

    def __init__(self, transcribe: Any, s3: Any, bucket: str, language: str | None = None) -> None:
        self._transcribe = transcribe
        self._s3 = s3
        self._bucket = bucket
        self._language = language

    def start(self, video_id: str, invocation_id: str, media_key: str) -> PendingTranscription:
        name = job_name(video_id, invocation_id)
        request: dict[str, Any] = {
            "TranscriptionJobName": name,
            "Media": {"MediaFileUri": f"s3://{self._bucket}/{media_key}"},
            "MediaFormat": "mp4",
            "OutputBucketName": self._bucket,
            "OutputKey": output_key(video_id, name),
        }
        if self._language:
            request["LanguageCode"] = self._language
        else:
            request["IdentifyLanguage"] = True
        # A redelivered invocation: the job already exists and its completion event will come.
        with contextlib.suppress(self._transcribe.exceptions.ConflictException):
            self._transcribe.start_transcription_job(**request)
        return PendingTranscription(job_name=name, model_id=MODEL_ID)

    def transcribe(
        self, video_id: str, media: Path | str, hints: tuple[str, ...] = ()
    ) -> PendingTranscription:
        # Hints would need a custom vocabulary created (and kept) per channel beforehand: not done here.
        return self.start(video_id, "run", str(media))

    def describe(self, job_name: str) -> dict[str, Any]:
        return dict(self._transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"])

    def collect(self, job_name: str) -> Transcript:
        job = self.describe(job_name)
        if job["TranscriptionJobStatus"] != "COMPLETED":
            raise GenerationError(
                f"transcription job {job_name} ended {job['TranscriptionJobStatus']}: "
                f"{job.get('FailureReason', 'no reason given')}"[:500]
            )
        uri = job["Transcript"]["TranscriptFileUri"]
        key = uri.split(f"/{self._bucket}/", 1)[-1] if f"/{self._bucket}/" in uri else uri.rsplit("/", 1)[-1]
        document = json.loads(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        results = document["results"]
        segments = parse_segments(results)
        language = job.get("LanguageCode") or results.get("language_code") or "en-US"
        duration_ms = segments[-1].end_ms if segments else 0
        return Transcript(
            text=results["transcripts"][0]["transcript"] if results.get("transcripts") else "",
            language=language,
            segments=segments,
            audio_seconds=duration_ms / 1000,
            generation=Generation(model_id=MODEL_ID, prompt_version=PROMPT_VERSION),
        )


def parse_segments(results: dict[str, Any]) -> tuple[Segment, ...]:
    """Transcribe's `audio_segments` when present, else items grouped into sentences at end punctuation."""
    if results.get("audio_segments"):
        return tuple(
            Segment(
                index=i,
                start_ms=int(float(s["start_time"]) * 1000),
                end_ms=int(float(s["end_time"]) * 1000),
                text=s["transcript"].strip()[:2000],
            )
            for i, s in enumerate(results["audio_segments"])
        )
    segments: list[Segment] = []
    words: list[str] = []
    start = end = None
    for item in results.get("items", []):
        content = item["alternatives"][0]["content"]
        if item["type"] == "pronunciation":
            start = start if start is not None else float(item["start_time"])
            end = float(item["end_time"])
            words.append(content)
        elif words:
            words[-1] += content
        if (item["type"] == "punctuation" and content in _SENTENCE_END) and words and start is not None:
            segments.append(
                Segment(
                    index=len(segments),
                    start_ms=int(start * 1000),
                    end_ms=int((end or start) * 1000),
                    text=" ".join(words)[:2000],
                )
            )
            words, start = [], None
    if words and start is not None:
        segments.append(
            Segment(
                index=len(segments),
                start_ms=int(start * 1000),
                end_ms=int((end or start) * 1000),
                text=" ".join(words)[:2000],
            )
        )
    return tuple(segments)
