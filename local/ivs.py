"""Amazon IVS (low-latency channels) answered from our own state, with a real RTMP ingest behind it.

moto's IVS knows channels only; this service owns channels, stream keys, recording configurations, streams and
stream sessions, and runs the local ingest (`local.ingest`). Addresses it hands out:
- `ingestEndpoint` = `127.0.0.1:<rtmp port>`: publish to `rtmp://<ingestEndpoint>/app/<stream key>`
  (plain RTMP; AWS's is `rtmps://<ingestEndpoint>:443/app/`).
- `playbackUrl` = `http://127.0.0.1:<http port>/live/<channel id>.m3u8`: live HLS while the channel is live,
  404 otherwise (as IVS).
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.ingest import (
    RENDITION_HEIGHTS,
    ChannelBusyError,
    Ingest,
    PublishTarget,
    RecordingSettings,
    StreamRecord,
    free_port,
)
from local.ingest.layout import random_id

log = logging.getLogger("svideo.local.ivs")

DEFAULT_RTMP_PORT = 1935
DEFAULT_HTTP_PORT = 8935
_CHANNEL_TYPES = {"BASIC", "STANDARD", "ADVANCED_SD", "ADVANCED_HD"}
_LATENCY_MODES = {"NORMAL", "LOW"}
_T = TypeVar("_T")


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(at: datetime | None) -> str | None:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if at else None


@dataclass
class Channel:
    arn: str
    id: str
    name: str
    latency_mode: str
    type: str
    recording_configuration_arn: str
    authorized: bool
    insecure_ingest: bool
    preset: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamKey:
    arn: str
    value: str
    channel_arn: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordingConfiguration:
    arn: str
    name: str
    bucket: str
    thumbnail: dict[str, Any]
    reconnect_window_seconds: int
    rendition: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)

    def settings(self) -> RecordingSettings:
        interval = (
            self.thumbnail["targetIntervalSeconds"] if self.thumbnail["recordingMode"] == "INTERVAL" else None
        )
        extra: tuple[str, ...] = ()
        if self.rendition["renditionSelection"] == "CUSTOM":
            extra = tuple(
                sorted(
                    set(self.rendition.get("renditions", [])), key=RENDITION_HEIGHTS.__getitem__, reverse=True
                )
            )
        return RecordingSettings(
            bucket=self.bucket,
            reconnect_window_seconds=self.reconnect_window_seconds,
            thumbnail_interval_seconds=interval,
            thumbnail_storage=tuple(self.thumbnail.get("storage", [])),
            thumbnail_resolution=self.thumbnail.get("resolution") or None,
            extra_renditions=extra,
        )

    def shape(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "thumbnailConfiguration": dict(self.thumbnail),
            "recordingReconnectWindowSeconds": self.reconnect_window_seconds,
            "renditionConfiguration": dict(self.rendition),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "name": self.name,
            "destinationConfiguration": {"s3": {"bucketName": self.bucket}},
            "state": "ACTIVE",
            "tags": dict(self.tags),
        }


def _json(payload: dict[str, Any]) -> Response:
    return json_response(payload, content_type="application/json")


def _not_found(what: str, arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"{what} not found: {arn}", 404)


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def _listing(
    key: str, items: list[_T], body: dict[str, Any], shape: Callable[[_T], Any], default_size: int = 50
) -> dict[str, Any]:
    """One page of `items` as a List* answer: `{key: [...], "nextToken"?}`."""
    token = body.get("nextToken") or ""
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError as exc:
        raise _validation("nextToken is not valid") from exc
    size = int(body.get("maxResults") or default_size)
    if not 1 <= size <= 100:
        raise _validation("maxResults must be between 1 and 100")
    following = start + size
    return {
        key: [shape(item) for item in items[start:following]],
        **(
            {"nextToken": base64.urlsafe_b64encode(str(following).encode()).decode()}
            if following < len(items)
            else {}
        ),
    }


def _lookup(store: dict[str, _T], arn: Any, what: str) -> _T:
    if not isinstance(arn, str) or not arn:
        raise _validation("arn is required")
    found = store.get(arn)
    if found is None:
        raise _not_found(what, arn)
    return found


def _batch_get(
    key: str, store: dict[str, _T], body: dict[str, Any], shape: Callable[[_T], Any], what: str
) -> dict[str, Any]:
    found, errors = [], []
    for arn in body.get("arns") or []:
        if arn in store:
            found.append(shape(store[arn]))
        else:
            errors.append({"arn": arn, "code": "ResourceNotFoundException", "message": f"{what} not found"})
    return {key: found, "errors": errors}


class IvsService:
    """The IVS API (signing name "ivs") plus the ingest. `IvsService(cloud, rtmp_port=1935, http_port=8935)`;
    port 0 picks a free port (tests)."""

    signing_names: tuple[str, ...] = ("ivs",)

    def __init__(
        self, cloud: Any, *, rtmp_port: int = DEFAULT_RTMP_PORT, http_port: int = DEFAULT_HTTP_PORT
    ) -> None:
        self._cloud = cloud
        self._lock = threading.RLock()
        self._channels: dict[str, Channel] = {}
        self._keys: dict[str, StreamKey] = {}
        self._configs: dict[str, RecordingConfiguration] = {}
        self._callback_token = secrets.token_urlsafe(16)  # only our nginx knows the callback URL
        self.ingest = Ingest(
            cloud.state_dir / "ingest",
            account_id=cloud.account_id,
            host="127.0.0.1",
            rtmp_port=rtmp_port or free_port(),
            http_port=http_port or free_port(),
            s3=lambda: cloud.client("s3"),
            put_events=self._put_events,
        )
        cloud.add_internal_route("POST", "/_svideo/ivs/on_publish", self._on_publish)
        cloud.add_internal_route("POST", "/_svideo/ivs/on_publish_done", self._on_publish_done)
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "/CreateChannel": self._create_channel,
            "/GetChannel": self._get_channel,
            "/BatchGetChannel": self._batch_get_channel,
            "/ListChannels": self._list_channels,
            "/UpdateChannel": self._update_channel,
            "/DeleteChannel": self._delete_channel,
            "/CreateStreamKey": self._create_stream_key,
            "/GetStreamKey": self._get_stream_key,
            "/BatchGetStreamKey": self._batch_get_stream_key,
            "/ListStreamKeys": self._list_stream_keys,
            "/DeleteStreamKey": self._delete_stream_key,
            "/CreateRecordingConfiguration": self._create_recording_configuration,
            "/GetRecordingConfiguration": self._get_recording_configuration,
            "/ListRecordingConfigurations": self._list_recording_configurations,
            "/DeleteRecordingConfiguration": self._delete_recording_configuration,
            "/GetStream": self._get_stream,
            "/ListStreams": self._list_streams,
            "/StopStream": self._stop_stream,
            "/ListStreamSessions": self._list_stream_sessions,
            "/GetStreamSession": self._get_stream_session,
        }

    # -- LocalService --------------------------------------------------------------------------------------
    def start(self) -> None:
        base = f"{self._cloud.endpoint}/_svideo/ivs"
        self.ingest.start(
            on_publish_url=f"{base}/on_publish?token={self._callback_token}",
            on_publish_done_url=f"{base}/on_publish_done?token={self._callback_token}",
        )

    def stop(self) -> None:
        self.ingest.stop()

    def handle(self, request: AwsRequest) -> Response | None:
        if request.path.startswith("/tags/"):
            return _json(self._tags(request))
        operation = self._operations.get(request.path)
        if operation is None or request.method != "POST":
            raise AwsError(
                "UnknownOperationException",
                f"IVS operation {request.method} {request.path} is not supported by the local cloud",
                400,
            )
        with self._lock:
            return _json(operation(request.json()))

    def _put_events(self, entries: list[dict[str, Any]]) -> None:
        # In-process, as IVS itself emits: PutEvents refuses `aws.*` sources from callers.
        bus = self._cloud.events
        if bus is not None:
            response = bus.put_events(entries)
        else:
            response = self._cloud.client("events").put_events(Entries=entries)
        if response.get("FailedEntryCount"):
            log.warning("the default bus refused IVS events: %s", response.get("Entries"))

    # -- channels ------------------------------------------------------------------------------------------
    def _channel_shape(self, channel: Channel) -> dict[str, Any]:
        return {
            "arn": channel.arn,
            "name": channel.name,
            "latencyMode": channel.latency_mode,
            "type": channel.type,
            "recordingConfigurationArn": channel.recording_configuration_arn,
            "ingestEndpoint": self.ingest.ingest_endpoint,
            "playbackUrl": self.ingest.playback_url(channel.id),
            "authorized": channel.authorized,
            "tags": dict(channel.tags),
            "insecureIngest": channel.insecure_ingest,
            "preset": channel.preset,
            "srt": {"endpoint": self.ingest.ingest_endpoint, "passphrase": ""},
            "playbackRestrictionPolicyArn": "",
            "containerFormat": "TS",
            "multitrackInputConfiguration": {
                "enabled": False,
                "policy": "ALLOW",
                "maximumResolution": "FULL_HD",
            },
        }

    @staticmethod
    def _channel_summary(channel: Channel) -> dict[str, Any]:
        return {
            "arn": channel.arn,
            "name": channel.name,
            "latencyMode": channel.latency_mode,
            "authorized": channel.authorized,
            "recordingConfigurationArn": channel.recording_configuration_arn,
            "tags": dict(channel.tags),
            "insecureIngest": channel.insecure_ingest,
            "type": channel.type,
            "preset": channel.preset,
            "playbackRestrictionPolicyArn": "",
        }

    def _channel(self, arn: Any) -> Channel:
        return _lookup(self._channels, arn, "channel")

    def _apply_channel_fields(self, channel: Channel, body: dict[str, Any]) -> None:
        if "name" in body:
            name = body["name"]
            if (
                not isinstance(name, str)
                or len(name) > 128
                or any(not (c.isalnum() or c in "-_") for c in name)
            ):
                raise _validation("name must match [a-zA-Z0-9-_]* and be at most 128 characters")
            channel.name = name
        if "latencyMode" in body:
            if body["latencyMode"] not in _LATENCY_MODES:
                raise _validation(f"latencyMode must be one of {sorted(_LATENCY_MODES)}")
            channel.latency_mode = body["latencyMode"]
        if "type" in body:
            if body["type"] not in _CHANNEL_TYPES:
                raise _validation(f"type must be one of {sorted(_CHANNEL_TYPES)}")
            channel.type = body["type"]
        if "recordingConfigurationArn" in body:
            arn = body["recordingConfigurationArn"] or ""
            if arn and arn not in self._configs:
                raise _not_found("recording configuration", arn)
            channel.recording_configuration_arn = arn
        for key, attribute in (("authorized", "authorized"), ("insecureIngest", "insecure_ingest")):
            if key in body:
                setattr(channel, attribute, bool(body[key]))
        if "preset" in body:
            channel.preset = body["preset"] or ""

    def _create_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        channel_id = random_id(12)
        channel = Channel(
            arn=self._cloud.arn("ivs", f"channel/{channel_id}"),
            id=channel_id,
            name="",
            latency_mode="LOW",
            type="STANDARD",
            recording_configuration_arn="",
            authorized=False,
            insecure_ingest=False,
            preset="",
            tags=self._validated_tags(body.get("tags") or {}),
        )
        self._apply_channel_fields(channel, body)
        self._channels[channel.arn] = channel
        key = self._new_stream_key(channel, {})
        return {"channel": self._channel_shape(channel), "streamKey": self._key_shape(key)}

    def _get_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel_shape(self._channel(body.get("arn")))}

    def _batch_get_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        return _batch_get("channels", self._channels, body, self._channel_shape, "channel")

    def _list_channels(self, body: dict[str, Any]) -> dict[str, Any]:
        channels = [
            c
            for c in self._channels.values()
            if (not body.get("filterByName") or c.name == body["filterByName"])
            and (
                not body.get("filterByRecordingConfigurationArn")
                or c.recording_configuration_arn == body["filterByRecordingConfigurationArn"]
            )
        ]
        if body.get("filterByName") and body.get("filterByRecordingConfigurationArn"):
            raise AwsError(
                "ConflictException",
                "filterByName and filterByRecordingConfigurationArn cannot be used together",
                409,
            )
        return _listing("channels", channels, body, self._channel_summary)

    def _update_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("arn"))
        if self.ingest.live_stream(channel.arn) is not None:
            raise AwsError("ConflictException", "a channel cannot be updated while it is live", 409)
        self._apply_channel_fields(channel, body)
        return {"channel": self._channel_shape(channel)}

    def _delete_channel(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("arn"))
        if self.ingest.live_stream(channel.arn) is not None:
            raise AwsError(
                "ConflictException", "a live channel cannot be deleted; stop the stream first", 409
            )
        del self._channels[channel.arn]
        for key in [k for k in self._keys.values() if k.channel_arn == channel.arn]:
            del self._keys[key.arn]
        return {}

    # -- stream keys ---------------------------------------------------------------------------------------
    def _new_stream_key(self, channel: Channel, tags: dict[str, str]) -> StreamKey:
        key_id = random_id(12)
        key = StreamKey(
            arn=self._cloud.arn("ivs", f"stream-key/{key_id}"),
            value=f"sk_{self._cloud.region}_{random_id(30)}",
            channel_arn=channel.arn,
            tags=tags,
        )
        self._keys[key.arn] = key
        return key

    @staticmethod
    def _key_shape(key: StreamKey) -> dict[str, Any]:
        return {"arn": key.arn, "value": key.value, "channelArn": key.channel_arn, "tags": dict(key.tags)}

    def _key(self, arn: Any) -> StreamKey:
        return _lookup(self._keys, arn, "stream key")

    def _create_stream_key(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        if any(k.channel_arn == channel.arn for k in self._keys.values()):
            raise AwsError(
                "ServiceQuotaExceededException",
                "a channel has at most one stream key; delete the current one to rotate it",
                402,
            )
        return {
            "streamKey": self._key_shape(
                self._new_stream_key(channel, self._validated_tags(body.get("tags") or {}))
            )
        }

    def _get_stream_key(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"streamKey": self._key_shape(self._key(body.get("arn")))}

    def _batch_get_stream_key(self, body: dict[str, Any]) -> dict[str, Any]:
        return _batch_get("streamKeys", self._keys, body, self._key_shape, "stream key")

    def _list_stream_keys(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        keys = [k for k in self._keys.values() if k.channel_arn == channel.arn]
        return _listing(
            "streamKeys",
            keys,
            body,
            lambda k: {"arn": k.arn, "channelArn": k.channel_arn, "tags": dict(k.tags)},
        )

    def _delete_stream_key(self, body: dict[str, Any]) -> dict[str, Any]:
        del self._keys[self._key(body.get("arn")).arn]
        return {}

    # -- recording configurations --------------------------------------------------------------------------
    def _create_recording_configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        bucket = ((body.get("destinationConfiguration") or {}).get("s3") or {}).get("bucketName")
        if not isinstance(bucket, str) or not 3 <= len(bucket) <= 63:
            raise _validation("destinationConfiguration.s3.bucketName is required (3 to 63 characters)")
        thumbnail = {
            "recordingMode": "INTERVAL",
            "targetIntervalSeconds": 60,
            "resolution": "",
            "storage": ["SEQUENTIAL"],
            **(body.get("thumbnailConfiguration") or {}),
        }
        if thumbnail["recordingMode"] not in ("INTERVAL", "DISABLED"):
            raise _validation("thumbnailConfiguration.recordingMode must be INTERVAL or DISABLED")
        interval = thumbnail["targetIntervalSeconds"]
        if not isinstance(interval, int) or not 1 <= interval <= 60:
            raise _validation("thumbnailConfiguration.targetIntervalSeconds must be between 1 and 60")
        if thumbnail["resolution"] and thumbnail["resolution"] not in RENDITION_HEIGHTS:
            raise _validation(f"thumbnailConfiguration.resolution must be one of {sorted(RENDITION_HEIGHTS)}")
        if not set(thumbnail["storage"]) <= {"SEQUENTIAL", "LATEST"} or not thumbnail["storage"]:
            raise _validation("thumbnailConfiguration.storage must list SEQUENTIAL and/or LATEST")
        window = body.get("recordingReconnectWindowSeconds", 0)
        if not isinstance(window, int) or not 0 <= window <= 300:
            raise _validation("recordingReconnectWindowSeconds must be between 0 and 300")
        rendition = {
            "renditionSelection": "ALL",
            "renditions": [],
            **(body.get("renditionConfiguration") or {}),
        }
        if rendition["renditionSelection"] not in ("ALL", "NONE", "CUSTOM"):
            raise _validation("renditionConfiguration.renditionSelection must be ALL, NONE or CUSTOM")
        if not set(rendition["renditions"]) <= set(RENDITION_HEIGHTS):
            raise _validation(f"renditionConfiguration.renditions must be among {sorted(RENDITION_HEIGHTS)}")
        if rendition["renditionSelection"] == "CUSTOM" and not rendition["renditions"]:
            raise _validation(
                "renditionConfiguration.renditions is required when renditionSelection is CUSTOM"
            )
        config_id = random_id(12)
        config = RecordingConfiguration(
            arn=self._cloud.arn("ivs", f"recording-configuration/{config_id}"),
            name=body.get("name") or "",
            bucket=bucket,
            thumbnail=thumbnail,
            reconnect_window_seconds=window,
            rendition=rendition,
            tags=self._validated_tags(body.get("tags") or {}),
        )
        self._configs[config.arn] = config
        return {"recordingConfiguration": config.shape()}

    def _config(self, arn: Any) -> RecordingConfiguration:
        return _lookup(self._configs, arn, "recording configuration")

    def _get_recording_configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"recordingConfiguration": self._config(body.get("arn")).shape()}

    def _list_recording_configurations(self, body: dict[str, Any]) -> dict[str, Any]:
        return _listing(
            "recordingConfigurations", list(self._configs.values()), body, RecordingConfiguration.summary
        )

    def _delete_recording_configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        config = self._config(body.get("arn"))
        if any(c.recording_configuration_arn == config.arn for c in self._channels.values()):
            raise AwsError("ConflictException", "the recording configuration is still used by a channel", 409)
        del self._configs[config.arn]
        return {}

    # -- streams -------------------------------------------------------------------------------------------
    def _stream_shape(self, record: StreamRecord) -> dict[str, Any]:
        return {
            "channelArn": record.target.channel_arn,
            "streamId": record.stream_id,
            "playbackUrl": self.ingest.playback_url(record.target.channel_id),
            "startTime": _timestamp(record.start_time),
            "state": "LIVE",
            "health": "HEALTHY",
            "viewerCount": self.ingest.viewer_count(record.target.channel_id),
        }

    def _get_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        record = self.ingest.live_stream(channel.arn)
        if record is None:
            raise AwsError("ChannelNotBroadcasting", f"channel {channel.arn} is not broadcasting", 404)
        return {"stream": self._stream_shape(record)}

    def _list_streams(self, body: dict[str, Any]) -> dict[str, Any]:
        health = (body.get("filterBy") or {}).get("health")
        streams = [self._stream_shape(r) for r in self.ingest.live_streams()]
        streams = [s for s in streams if not health or s["health"] == health]
        return _listing(
            "streams", streams, body, lambda s: {k: v for k, v in s.items() if k != "playbackUrl"}
        )

    def _stop_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        if self.ingest.live_stream(channel.arn) is None:
            raise AwsError("ChannelNotBroadcasting", f"channel {channel.arn} is not broadcasting", 404)
        if not self.ingest.stop_stream(channel.arn):
            raise AwsError("StreamUnavailable", "the ingest could not disconnect the stream", 503)
        return {}

    def _list_stream_sessions(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        history = sorted(self.ingest.stream_history(channel.arn), key=lambda r: r.start_time, reverse=True)
        return _listing(
            "streamSessions",
            history,
            body,
            lambda r: {
                "streamId": r.stream_id,
                "startTime": _timestamp(r.start_time),
                **({"endTime": _timestamp(r.end_time)} if r.end_time else {}),
                "hasErrorEvent": r.has_error,
            },
        )

    def _get_stream_session(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(body.get("channelArn"))
        history = self.ingest.stream_history(channel.arn)
        wanted = body.get("streamId")
        record = next((r for r in reversed(history) if not wanted or r.stream_id == wanted), None)
        if record is None:
            raise _not_found("stream session", wanted or channel.arn)
        session: dict[str, Any] = {
            "streamId": record.stream_id,
            "startTime": _timestamp(record.start_time),
            "channel": record.target.channel_snapshot,
            "truncatedEvents": [
                {"name": name, "type": "IVS", "eventTime": _timestamp(at)} for name, at in record.events
            ][-500:],
        }
        if record.end_time:
            session["endTime"] = _timestamp(record.end_time)
        if record.target.recording_snapshot:
            session["recordingConfiguration"] = record.target.recording_snapshot
        info = record.recording.stream_info if record.recording else {}
        if info:
            video, audio = info.get("video", {}), info.get("audio", {})
            session["ingestConfiguration"] = {
                "video": {
                    "codec": video.get("codec_name", ""),
                    "videoWidth": int(video.get("width", 0)),
                    "videoHeight": int(video.get("height", 0)),
                    "targetFramerate": round(float(info.get("frame_rate", 0))),
                    "avcProfile": video.get("profile", ""),
                },
                "audio": {
                    "codec": audio.get("codec_name", ""),
                    "sampleRate": int(audio.get("sample_rate") or 0),
                    "channels": int(audio.get("channels") or 0),
                },
            }
        return {"streamSession": session}

    # -- tags ----------------------------------------------------------------------------------------------
    @staticmethod
    def _validated_tags(tags: Any) -> dict[str, str]:
        if (
            not isinstance(tags, dict)
            or len(tags) > 50
            or not all(
                isinstance(k, str) and isinstance(v, str) and 1 <= len(k) <= 128 and len(v) <= 256
                for k, v in tags.items()
            )
        ):
            raise _validation("tags must map at most 50 keys (1-128 characters) to values (0-256 characters)")
        return dict(tags)

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """The tags of a channel, stream key or recording configuration (IAM's `aws:ResourceTag/*`)."""
        with self._lock:
            resource = self._channels.get(arn) or self._keys.get(arn) or self._configs.get(arn)
            return dict(resource.tags) if resource is not None else None

    def _tags(self, request: AwsRequest) -> dict[str, Any]:
        arn = request.path[len("/tags/") :]
        with self._lock:
            resource: Channel | StreamKey | RecordingConfiguration | None = (
                self._channels.get(arn) or self._keys.get(arn) or self._configs.get(arn)
            )
            if not arn.startswith("arn:aws:ivs:"):
                raise _validation(f"not an IVS ARN: {arn}")
            if resource is None:
                raise _not_found("resource", arn)
            if request.method == "GET":
                return {"tags": dict(resource.tags)}
            if request.method == "POST":
                resource.tags.update(self._validated_tags(request.json().get("tags") or {}))
                return {}
            if request.method == "DELETE":
                for key in request.query.get("tagKeys", []):
                    resource.tags.pop(key, None)
                return {}
        raise AwsError(
            "UnknownOperationException", f"{request.method} {quote(request.path)} is not supported", 400
        )

    # -- ingest callbacks (nginx-rtmp on_publish / on_publish_done) ----------------------------------------
    def _callback_form(self, request: AwsRequest) -> dict[str, str]:
        if request.query_one("token") != self._callback_token:
            raise AwsError("AccessDeniedException", "unknown caller", 403)
        return {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items() if v}

    def _on_publish(self, request: AwsRequest) -> Response:
        """2xx/3xx lets nginx accept the publish, 4xx refuses it. The key is never logged."""
        form = self._callback_form(request)
        with self._lock:
            key = next(
                (k for k in self._keys.values() if secrets.compare_digest(k.value, form.get("name", ""))),
                None,
            )
            channel = self._channels.get(key.channel_arn) if key else None
            if form.get("app") != "app" or key is None or channel is None:
                log.info("ingest refused a publish with an unknown stream key from %s", form.get("addr", "?"))
                return Response("unknown stream key", status=403)
            config = self._configs.get(channel.recording_configuration_arn)
            target = PublishTarget(
                channel_arn=channel.arn,
                channel_id=channel.id,
                channel_name=channel.name,
                recording=config.settings() if config else None,
                channel_snapshot=self._channel_shape(channel),
                recording_snapshot=config.shape() if config else None,
            )
        try:
            stream_name = self.ingest.begin_publish(target, form.get("clientid", ""))
        except ChannelBusyError:
            return Response("channel is already live", status=409)
        # 3xx renames the stream inside nginx: the recorder and the logs see the channel id, never the key.
        return Response("", status=302, headers={"Location": stream_name})

    def _on_publish_done(self, request: AwsRequest) -> Response:
        form = self._callback_form(request)
        self.ingest.end_publish(form.get("clientid", ""))
        return Response("", status=200)
