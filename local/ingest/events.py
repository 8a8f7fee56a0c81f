"""The `aws.ivs` events the local ingest emits, with IVS's detail-types and field names
("Using Amazon EventBridge with IVS Low-Latency Streaming")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

SOURCE = "aws.ivs"
STREAM_STATE_CHANGE = "IVS Stream State Change"
RECORDING_STATE_CHANGE = "IVS Recording State Change"

StreamEventName = Literal["Session Created", "Stream Start", "Stream End", "Session Ended", "Stream Failure"]
RecordingStatus = Literal[
    "Recording Start", "Recording End", "Recording Start Failure", "Recording End Failure"
]


@dataclass(frozen=True)
class IvsEvent:
    detail_type: str
    detail: dict[str, Any]
    channel_arn: str

    def entry(self) -> dict[str, Any]:
        """A PutEvents request entry; `resources` carries the channel ARN as IVS does."""
        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail),
            "Resources": [self.channel_arn],
        }


def stream_state_change(
    event_name: StreamEventName, *, channel_arn: str, channel_name: str, stream_id: str
) -> IvsEvent:
    return IvsEvent(
        STREAM_STATE_CHANGE,
        {"event_name": event_name, "channel_name": channel_name, "stream_id": stream_id},
        channel_arn,
    )


def recording_state_change(
    status: RecordingStatus,
    *,
    channel_arn: str,
    channel_name: str,
    stream_id: str,
    bucket: str,
    key_prefix: str,
    duration_ms: int,
    recording_session_id: str,
    stream_ids: Sequence[str],
    reason: str = "",
) -> IvsEvent:
    return IvsEvent(
        RECORDING_STATE_CHANGE,
        {
            "channel_name": channel_name,
            "stream_id": stream_id,
            "recording_status": status,
            "recording_status_reason": reason,
            "recording_s3_bucket_name": bucket,
            "recording_s3_key_prefix": key_prefix,
            "recording_duration_ms": duration_ms,
            "recording_session_id": recording_session_id,
            "recording_session_stream_ids": list(stream_ids),
        },
        channel_arn,
    )
