"""The plugin SDK's parts; see the package docstring for the shape of a plugin."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.envelopes import EventBridgeEnvelope
from pydantic import BaseModel, ValidationError

from shared.events.base import ID, Meta
from shared.events.plugins import PluginCompleted, PluginError, PluginInvoked
from shared.events.publisher import EventPublisher, Publisher
from shared.observability import logger as log

DEFERRED_FILE = "deferred-invocation.json"
MEDIA_BUCKET_ENV = "MEDIA_BUCKET"
_PLUGIN_NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")  # as PluginName and VideoId in shared.events.base
_VIDEO_ID = re.compile(ID)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Deferred:
    """Return it from a plugin function whose work finishes later: the SDK publishes nothing now, and
    `PluginClient.resume(ref, ...)` completes the invocation when the work is done."""

    ref: str


PluginFunction = Callable[[PluginInvoked], Mapping[str, Any] | Deferred]


class PluginFailure(Exception):
    """Raise it from a plugin to report `failed` with your own code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_invocation(raw: Mapping[str, Any] | str) -> PluginInvoked:
    """A `Plugin.Invoked` from an SQS record, an EventBridge event, or a webhook body (event or detail),
    parsed by Powertools' parser (its EventBridge envelope for an event) into the project's model."""
    data: Any = json.loads(raw) if isinstance(raw, str) else raw
    if "body" in data and isinstance(data.get("body"), str):  # an SQS record (or an API Gateway event)
        data = json.loads(data["body"])
    if "detail-type" in data:
        if data["detail-type"] != PluginInvoked.detail_type:
            raise ValueError(f"not a Plugin.Invoked event: {data['detail-type']!r}")
        return cast(PluginInvoked, parse(event=data, model=PluginInvoked, envelope=EventBridgeEnvelope))
    return parse(event=data, model=PluginInvoked)


def plugin_input(invocation: PluginInvoked, plugin: str, model: type[M]) -> M | None:
    """An earlier plugin's output from `inputs`, validated as `model` (declare only the fields you read);
    None when that plugin gave none (it failed, was skipped, or runs after yours: name it in `after`).
    An output that does not fit `model` fails the invocation as `InvalidInput`, naming the field."""
    raw = invocation.inputs.get(plugin)
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in (plugin, *first["loc"]))
        raise PluginFailure("InvalidInput", f"inputs/{where}: {first['msg']}") from exc


class PluginClient:
    """Publishes a plugin's `Plugin.Completed` as `svideo.plugin.<name>`, echoing the invocation's token."""

    def __init__(self, name: str, publisher: Publisher, deferred: DeferredInvocations | None = None) -> None:
        self.name = name
        self.publisher = publisher
        self.deferred = deferred or DeferredInvocations()

    @classmethod
    def from_env(cls, name: str) -> PluginClient:
        return cls(name, EventPublisher(os.environ["BUS_NAME"]))

    def resume(
        self, ref: str, output: Mapping[str, Any] | None = None, *, failure: PluginFailure | None = None
    ) -> PluginCompleted:
        """Completes (with `output`) or fails (with `failure`) a deferred invocation, then forgets it."""
        if (output is None) == (failure is None):
            raise ValueError("resume with either an output or a failure")
        invocation = self.deferred.take(ref)
        if failure is not None:
            completed = self.fail(invocation, failure.code, failure.message)
        else:
            completed = self.complete(invocation, output or {})
        self.deferred.forget(ref)
        return completed

    def complete(self, invocation: PluginInvoked, output: Mapping[str, Any]) -> PluginCompleted:
        return self._publish(invocation, status="succeeded", output=dict(output))

    def fail(self, invocation: PluginInvoked, code: str, message: str) -> PluginCompleted:
        return self._publish(
            invocation, status="failed", error=PluginError(code=code, message=message[:2000])
        )

    def _publish(self, invocation: PluginInvoked, **result: Any) -> PluginCompleted:
        if invocation.plugin != self.name:
            raise ValueError(f"invocation is for {invocation.plugin!r}, this client is {self.name!r}")
        completed = PluginCompleted(
            meta=Meta.now(invocation.meta.correlation_id),
            video_id=invocation.video_id,
            plugin=self.name,
            invocation_id=invocation.invocation.id,
            token=invocation.invocation.token,
            **result,
        )
        self.publisher.publish(completed)
        return completed


def deferred_ref(invocation: PluginInvoked) -> str:
    """`<plugin>.<video id in base64url>`: only [A-Za-z0-9._-] (a valid Transcribe job name), and it says
    where the invocation is kept, so no lookup table is needed."""
    return deferred_ref_for(invocation.plugin, invocation.video_id)


def deferred_ref_for(plugin: str, video_id: str) -> str:
    """The ref of a plugin's deferred invocation for a video, for code that has no invocation at hand (the
    handler of a job's completion event)."""
    encoded = base64.urlsafe_b64encode(video_id.encode()).decode().rstrip("=")
    return f"{plugin}.{encoded}"


def defer(invocation: PluginInvoked, store: DeferredInvocations | None = None) -> Deferred:
    """Keeps the invocation (its token included) until `PluginClient.resume`; call it before starting the
    work, name the work (a job) after `.ref`, and return the result from the plugin function."""
    return Deferred((store or DeferredInvocations()).keep(invocation))


class DeferredInvocations:
    """Deferred invocations, kept as JSON under the plugin's own prefix of the video in the media bucket
    (`videos/<id>/plugins/<name>/deferred-invocation.json`, encrypted at rest): the token is never put in a
    table or a log. Resuming reads the bucket from `MEDIA_BUCKET` unless one is given."""

    def __init__(self, bucket: str | None = None, s3: Any = None) -> None:
        self._bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = boto3.client("s3")
        return self._s3

    def keep(self, invocation: PluginInvoked) -> str:
        ref = deferred_ref(invocation)
        self.s3.put_object(
            Bucket=invocation.video.media.bucket,
            Key=artefact_key(invocation, DEFERRED_FILE),
            Body=invocation.model_dump_json().encode(),
            ContentType="application/json",
        )
        return ref

    def take(self, ref: str) -> PluginInvoked:
        key = self._key(ref)
        body = self.s3.get_object(Bucket=self._bucket_name(), Key=key)["Body"].read()
        return PluginInvoked.model_validate_json(body)

    def forget(self, ref: str) -> None:
        key = self._key(ref)
        self.s3.delete_object(Bucket=self._bucket_name(), Key=key)

    def _bucket_name(self) -> str:
        bucket = self._bucket or os.environ.get(MEDIA_BUCKET_ENV)
        if not bucket:
            raise ValueError(f"resuming needs the media bucket: pass one or set {MEDIA_BUCKET_ENV}")
        return bucket

    @staticmethod
    def _key(ref: str) -> str:
        plugin, _, encoded = ref.partition(".")
        try:
            video_id = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("not a deferred invocation's ref") from exc
        if not _PLUGIN_NAME.fullmatch(plugin) or not _VIDEO_ID.fullmatch(video_id):
            raise ValueError("not a deferred invocation's ref")
        return f"videos/{video_id}/plugins/{plugin}/{DEFERRED_FILE}"


def media_url(
    invocation: PluginInvoked, s3: Any = None, *, key: str | None = None, expires: int = 900
) -> str:
    """A presigned GET URL of the video's MP4 (or another key of its media)."""
    client = s3 or boto3.client("s3")
    media = invocation.video.media
    params = {"Bucket": media.bucket, "Key": key or media.mp4_key}
    return str(client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))


def read_media(invocation: PluginInvoked, path: str, s3: Any = None, *, key: str | None = None) -> str:
    """Downloads the video's MP4 (or another key of its media) to `path`."""
    client = s3 or boto3.client("s3")
    media = invocation.video.media
    client.download_file(media.bucket, key or media.mp4_key, path)
    return path


def artefact_key(invocation: PluginInvoked, filename: str) -> str:
    """Where a plugin's files for this video live: `videos/<id>/plugins/<name>/<filename>`."""
    if "/" in filename or filename in ("", ".", ".."):
        raise ValueError(f"a plain file name, not {filename!r}")
    return f"videos/{invocation.video_id}/plugins/{invocation.plugin}/{filename}"


def write_artefact(
    invocation: PluginInvoked,
    filename: str,
    body: bytes,
    s3: Any = None,
    content_type: str = "application/json",
) -> str:
    """Writes one artefact next to the video's media; returns its key (put the key in your output)."""
    client = s3 or boto3.client("s3")
    key = artefact_key(invocation, filename)
    client.put_object(Bucket=invocation.video.media.bucket, Key=key, Body=body, ContentType=content_type)
    return key


def plugin_handler(
    name: str, client: PluginClient | None = None
) -> Callable[[PluginFunction], Callable[..., Any]]:
    """Turns `fn(invocation) -> output` into a Lambda handler for SQS batches (Powertools' BatchProcessor)
    or one EventBridge event.

    The output is published as `succeeded`; a PluginFailure (or any exception) as `failed`, so the lifecycle
    hears back at once instead of waiting for the deadline. Only a failure to publish fails the record.
    """

    def decorate(fn: PluginFunction) -> Callable[..., Any]:
        # A failed record goes back to the queue alone (its batch item failure), never the whole batch.
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

        @wraps(fn)
        def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
            publisher = client or PluginClient.from_env(name)

            def record_handler(record: SQSRecord) -> None:
                try:
                    _run_one(fn, publisher, parse_invocation(record.body))
                except Exception:
                    log.exception("invocation not reported", extra={"plugin": name})
                    raise

            if isinstance(event.get("Records"), list):
                return dict(
                    process_partial_response(
                        event=dict(event), record_handler=record_handler, processor=processor, context=context
                    )
                )
            _run_one(fn, publisher, parse_invocation(event))
            return {"batchItemFailures": []}

        return handler

    return decorate


def _run_one(fn: PluginFunction, client: PluginClient, invocation: PluginInvoked) -> None:
    # Every line the plugin logs (with shared.observability's logger) carries the lifecycle's correlation id.
    log.set_correlation_id(invocation.meta.correlation_id)
    log.append_keys(plugin=client.name, video_id=invocation.video_id, invocation_id=invocation.invocation.id)
    try:
        _report(fn, client, invocation)
    finally:
        log.set_correlation_id(None)
        log.remove_keys(["plugin", "video_id", "invocation_id"])


def _report(fn: PluginFunction, client: PluginClient, invocation: PluginInvoked) -> None:
    try:
        output = fn(invocation)
    except PluginFailure as failure:
        log.warning("invocation failed", extra={"code": failure.code})
        client.fail(invocation, failure.code, failure.message)
        return
    except Exception as exc:  # the plugin's own bug: report it rather than let the deadline find out
        log.exception("plugin raised; reported as failed")
        client.fail(invocation, type(exc).__name__, str(exc) or "unhandled error")
        return
    if isinstance(output, Deferred):
        log.info("invocation deferred")
        return
    client.complete(invocation, output)
    log.info("invocation completed")
