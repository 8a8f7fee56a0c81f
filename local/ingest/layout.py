"""IVS's recording layout in S3: the key prefix, rendition names, playlists and the recording metadata files.

Mirrors "IVS Auto-Record to Amazon S3":
`ivs/v1/<account>/<channel_id>/<yyyy>/<m>/<d>/<h>/<mm>/<recording_id>` with
`events/recording-started.json|recording-ended.json|recording-failed.json`, `media/hls/master.m3u8`,
`media/hls/<rendition>/playlist.m3u8` + segments, `media/thumbnails/<rendition>/thumb<N>.jpg` and
`media/latest_thumbnail/<rendition>/thumb.jpg`.
"""

from __future__ import annotations

import math
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_ALPHANUMERIC = string.ascii_letters + string.digits


def random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def new_stream_id() -> str:
    """IVS stream ids are `st-` + 23 alphanumerics (26 characters in all)."""
    return "st-" + random_id(23)


def new_recording_session_id() -> str:
    return random_id(12)


def recording_prefix(account_id: str, channel_id: str, started_at: datetime, recording_id: str) -> str:
    """IVS writes the UTC start time without zero padding except for the minutes (`2020/6/23/20/12`)."""
    at = started_at.astimezone(UTC)
    return (
        f"ivs/v1/{account_id}/{channel_id}/{at.year}/{at.month}/{at.day}/{at.hour}/{at.minute}/{recording_id}"
    )


def rendition_name(height: int, frame_rate: float) -> str:
    """IVS names renditions by height and frame rate: `1080p60`, `720p30`, `160p30`."""
    return f"{height}p{round(frame_rate)}"


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float
    discontinuity: bool = False


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    bandwidth: int


def media_playlist(segments: Sequence[Segment], *, ended: bool) -> str:
    """A rendition playlist as IVS records it: an EVENT playlist that gets its ENDLIST when the recording
    ends."""
    target = max((math.ceil(segment.duration) for segment in segments), default=6)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
    ]
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(segment.uri)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(renditions: Sequence[Rendition]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in sorted(renditions, key=lambda r: r.height, reverse=True):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f'RESOLUTION={rendition.width}x{rendition.height},NAME="{rendition.name}"'
        )
        lines.append(f"{rendition.name}/playlist.m3u8")
    return "\n".join(lines) + "\n"


def parse_media_playlist(text: str) -> tuple[list[Segment], bool]:
    """The completed segments ffmpeg listed so far, and whether it wrote ENDLIST (the part is finished)."""
    segments: list[Segment] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(uri=line, duration=duration))
            duration = None
    return segments, "#EXT-X-ENDLIST" in text


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recording_metadata(
    *,
    channel_arn: str,
    status: str,
    started_at: datetime,
    ended_at: datetime | None,
    renditions: Sequence[Rendition],
    thumbnail_renditions: Sequence[Rendition],
    latest_thumbnail_renditions: Sequence[Rendition],
    duration_ms: int | None,
) -> dict[str, Any]:
    """The `events/recording-*.json` document; `status` is RECORDING_STARTED, RECORDING_ENDED or
    RECORDING_ENDED_WITH_FAILURE."""
    hls: dict[str, Any] = {
        "path": "media/hls",
        "playlist": "master.m3u8",
        "renditions": [
            {
                "path": r.name,
                "playlist": "playlist.m3u8",
                "resolution_width": r.width,
                "resolution_height": r.height,
            }
            for r in renditions
        ],
    }
    if duration_ms is not None:
        hls = {"duration_ms": duration_ms, **hls}
    media: dict[str, Any] = {"hls": hls}
    for section, renditions in (
        ("thumbnails", thumbnail_renditions),
        ("latest_thumbnail", latest_thumbnail_renditions),
    ):
        if renditions:
            media[section] = {
                "path": f"media/{section}",
                "renditions": [
                    {"path": r.name, "resolution_width": r.width, "resolution_height": r.height}
                    for r in renditions
                ],
            }
    document: dict[str, Any] = {"version": "v1", "channel_arn": channel_arn}
    if ended_at is not None:
        document["recording_ended_at"] = _iso(ended_at)
    document["recording_started_at"] = _iso(started_at)
    document["recording_status"] = status
    document["media"] = media
    return document
