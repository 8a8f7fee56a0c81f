"""`IvsPort` on boto3's IVS client. The key value goes straight into a SecretStr."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from services.channel.errors import ConflictError
from services.channel.models import IvsChannel, StreamKey

_GONE = {"ResourceNotFoundException"}
_NOT_LIVE = {"ChannelNotBroadcasting", "ResourceNotFoundException"}
# A new recording configuration is CREATING for a few seconds; channels can use it once it is ACTIVE.
_ACTIVE_WAIT_SECONDS = 20
# What a per-window configuration copies from the stack's (bucket, thumbnails, renditions).
_COPIED = ("destinationConfiguration", "thumbnailConfiguration", "renditionConfiguration")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class BotoIvs:
    def __init__(self, client: Any, *, latency_mode: str = "LOW", channel_type: str = "STANDARD") -> None:
        self._client = client
        self._latency_mode = latency_mode
        self._channel_type = channel_type

    def create_channel(
        self, *, name: str, recording_configuration_arn: str, tags: dict[str, str]
    ) -> IvsChannel:
        response = self._client.create_channel(
            name=name,
            latencyMode=self._latency_mode,
            type=self._channel_type,
            recordingConfigurationArn=recording_configuration_arn,
            tags=tags,
        )
        channel, key = response["channel"], response["streamKey"]
        # The key CreateChannel makes carries no tags; the stage tag lets the role delete it on rotation.
        self._client.tag_resource(resourceArn=key["arn"], tags=tags)
        return IvsChannel(
            arn=channel["arn"],
            name=channel["name"],
            ingest_endpoint=channel["ingestEndpoint"],
            playback_url=channel["playbackUrl"],
            stream_key=StreamKey(arn=key["arn"], value=key["value"]),
        )

    def delete_channel(self, arn: str) -> None:
        try:
            self._client.delete_channel(arn=arn)
        except ClientError as error:
            if _code(error) == "ConflictException":
                raise ConflictError("the IVS channel is live") from error
            if _code(error) not in _GONE:
                raise

    def update_channel(self, arn: str, *, recording_configuration_arn: str) -> None:
        try:
            self._client.update_channel(arn=arn, recordingConfigurationArn=recording_configuration_arn)
        except ClientError as error:
            if _code(error) == "ConflictException":
                raise ConflictError("the IVS channel is live") from error
            raise

    def create_recording_configuration(
        self, *, window_seconds: int, template_arn: str, name: str, tags: dict[str, str]
    ) -> str:
        """A recording configuration like `template_arn` (bucket, thumbnails, renditions) with this window."""
        template = self._client.get_recording_configuration(arn=template_arn)["recordingConfiguration"]
        created = self._client.create_recording_configuration(
            name=name,
            recordingReconnectWindowSeconds=window_seconds,
            tags=tags,
            **{key: template[key] for key in _COPIED if template.get(key)},
        )["recordingConfiguration"]
        return self._active(str(created["arn"]))

    def _active(self, arn: str) -> str:
        deadline = time.monotonic() + _ACTIVE_WAIT_SECONDS
        while True:
            state = self._client.get_recording_configuration(arn=arn)["recordingConfiguration"].get("state")
            if state == "ACTIVE" or state is None:
                return arn
            if state == "CREATE_FAILED" or time.monotonic() > deadline:
                raise ConflictError(f"the recording configuration {arn} is {state}; try again in a minute")
            time.sleep(1)

    def create_stream_key(self, channel_arn: str, tags: dict[str, str]) -> StreamKey:
        key = self._client.create_stream_key(channelArn=channel_arn, tags=tags)["streamKey"]
        return StreamKey(arn=key["arn"], value=key["value"])

    def delete_stream_key(self, arn: str) -> None:
        try:
            self._client.delete_stream_key(arn=arn)
        except ClientError as error:
            if _code(error) not in _GONE:
                raise

    def viewer_count(self, channel_arn: str) -> int | None:
        try:
            stream = self._client.get_stream(channelArn=channel_arn)["stream"]
        except ClientError as error:
            if _code(error) in _NOT_LIVE:
                return None
            raise
        return int(stream.get("viewerCount", 0))

    def stop_stream(self, channel_arn: str) -> None:
        try:
            self._client.stop_stream(channelArn=channel_arn)
        except ClientError as error:
            if _code(error) not in _NOT_LIVE:
                raise
