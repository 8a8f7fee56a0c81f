"""Events for the video service's tests, built from the canonical payloads in tests/events/."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
VIDEO_ID = "vid-01J9ZQ4M8K2X7T3N5R6W0Y1B2C"
CHANNEL_ID = "ch-4f7d2a9e"
OWNER_ID = "3c1e8f52-7a4b-4d0e-9f21-6b8a0c5d7e13"
T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)

CANONICAL = {
    "Broadcast.Started": "svideo.channel/Broadcast.Started.json",
    "Recording.Ended": "svideo.channel/Recording.Ended.json",
    "Recording.Failed": "svideo.channel/Recording.Failed.json",
    "Channel.Created": "svideo.channel/Channel.Created.json",
    "Channel.Deleted": "svideo.channel/Channel.Deleted.json",
    "Video.Processed": "svideo.postprocess/Video.Processed.json",
    "Video.ProcessingFailed": "svideo.postprocess/Video.ProcessingFailed.json",
    "Lifecycle.Completed": "svideo.plugins/Lifecycle.Completed.json",
    "Titles.Generated": "svideo.plugin.titles/Titles.Generated.json",
    "Title.Selected": "svideo.video/Title.Selected.json",
}


def event(
    detail_type: str,
    *,
    video_id: str = VIDEO_ID,
    at: datetime | None = None,
    event_id: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """A canonical event with a fresh id, its video/channel/owner ids set to ours, and `detail` overrides."""
    raw: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / CANONICAL[detail_type]).read_text()))
    raw["id"] = event_id or str(uuid.uuid4())
    body = raw["detail"]
    for key, value in (("video_id", video_id), ("channel_id", CHANNEL_ID), ("owner_id", OWNER_ID)):
        if key in body or (key == "video_id" and detail_type == "Broadcast.Started"):
            body[key] = value
    if at is not None:
        body["meta"]["occurred_at"] = at.isoformat()
    body.update(detail)
    return raw


def sqs_batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(raw),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "events",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:video-events",
                "awsRegion": "us-east-1",
            }
            for raw in events
        ]
    }


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def accepted_titles_fields() -> dict[str, Any]:
    """The fields Lifecycle.Completed projects when it accepted the canonical titles run (round 1)."""
    titles = event("Titles.Generated")["detail"]
    candidates = [
        {"candidate_id": c["candidate_id"], "title": c["title"], "evidence": [0]}
        for c in titles["candidates"]
    ]
    return {
        "title_candidates": candidates,
        "provisional_title": candidates[0]["title"],
        "description": titles["description"],
        "tags": titles["tags"],
    }
