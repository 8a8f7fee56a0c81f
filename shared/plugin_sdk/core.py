"""The plugin SDK's parts; see the package docstring for the shape of a plugin."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import boto3

from shared.events.base import Meta
from shared.events.plugins import PluginCompleted, PluginError, PluginInvoked
from shared.events.publisher import EventPublisher, Publisher
from shared.events.registry import parse_event

log = logging.getLogger(__name__)
PluginFunction = Callable[[PluginInvoked], Mapping[str, Any]]


class PluginFailure(Exception):
    """Raise it from a plugin to report `failed` with your own code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_invocation(raw: Mapping[str, Any] | str) -> PluginInvoked:
    """A `Plugin.Invoked` from an SQS record, an EventBridge event, or a webhook body (event or detail)."""
    data: Any = json.loads(raw) if isinstance(raw, str) else raw
    if "body" in data and isinstance(data.get("body"), str):  # an SQS record (or an API Gateway event)
        data = json.loads(data["body"])
    if "detail-type" in data:
        detail = parse_event(data).detail
        if not isinstance(detail, PluginInvoked):
            raise ValueError(f"not a Plugin.Invoked event: {data['detail-type']!r}")
        return detail
    return PluginInvoked.model_validate(data)


class PluginClient:
    """Publishes a plugin's `Plugin.Completed` as `svideo.plugin.<name>`, echoing the invocation's token."""

    def __init__(self, name: str, publisher: Publisher) -> None:
        self.name = name
        self.publisher = publisher

    @classmethod
    def from_env(cls, name: str) -> PluginClient:
        return cls(name, EventPublisher(os.environ["BUS_NAME"]))

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
    """Turns `fn(invocation) -> output` into a Lambda handler for SQS batches (or one EventBridge event).

    The output is published as `succeeded`; a PluginFailure (or any exception) as `failed`, so the lifecycle
    hears back at once instead of waiting for the deadline. Only a failure to publish fails the record.
    """

    def decorate(fn: PluginFunction) -> Callable[..., Any]:
        @wraps(fn)
        def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
            publisher = client or PluginClient.from_env(name)
            records = event.get("Records") if isinstance(event.get("Records"), list) else None
            failures = []
            for record in records if records is not None else [event]:
                try:
                    _run_one(fn, publisher, parse_invocation(record))
                except Exception:
                    log.exception("invocation not reported", extra={"plugin": name})
                    if records is None:
                        raise
                    failures.append({"itemIdentifier": record.get("messageId", "")})
            return {"batchItemFailures": failures}

        return handler

    return decorate


def _run_one(fn: PluginFunction, client: PluginClient, invocation: PluginInvoked) -> None:
    try:
        output = fn(invocation)
    except PluginFailure as failure:
        client.fail(invocation, failure.code, failure.message)
        return
    except Exception as exc:  # the plugin's own bug: report it rather than let the deadline find out
        client.fail(invocation, type(exc).__name__, str(exc) or "unhandled error")
        return
    client.complete(invocation, output)
