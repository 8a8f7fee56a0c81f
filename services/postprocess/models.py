"""Inputs, limits and results of post-processing."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

GIB = 1024**3
MIB = 1024**2


def _strip_slashes(value: str) -> str:
    stripped = value.strip("/")
    if not stripped or ".." in stripped.split("/"):
        raise ValueError("must be a non-empty key prefix without '..'")
    return stripped


class ProcessRequest(BaseModel):
    """One recording to turn into an on-demand video.

    `recording_prefix` is the IVS S3 prefix
    (`ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<mm>/<recording_id>`); outputs go to
    `output_bucket`/`output_prefix`, which must be deterministic per video for retries to be safe.
    """

    model_config = ConfigDict(frozen=True)

    video_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")]
    recording_bucket: Annotated[str, Field(min_length=3)]
    recording_prefix: str
    output_bucket: Annotated[str, Field(min_length=3)]
    output_prefix: str
    # A rendition directory name such as "720p30"; None picks the best one in the master playlist.
    rendition: str | None = None

    _check_recording_prefix = field_validator("recording_prefix", "output_prefix")(_strip_slashes)


class Limits(BaseModel):
    """Resource budgets and knobs; defaults suit a 10 GB-/tmp Lambda function."""

    model_config = ConfigDict(frozen=True)

    tmp_budget_bytes: Annotated[int, Field(gt=0)] = 10 * GIB
    # Segments and the MP4 coexist on disk for a moment, plus room for frames and filesystem slack.
    space_factor: Annotated[float, Field(ge=1.0)] = 2.1
    space_reserve_bytes: Annotated[int, Field(ge=0)] = 64 * MIB
    download_concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    stitch_timeout_s: Annotated[float, Field(gt=0)] = 600.0
    reencode_timeout_s: Annotated[float, Field(gt=0)] = 840.0
    frame_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    probe_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    thumbnail_count: Annotated[int, Field(ge=0, le=50)] = 4
    thumbnail_width: Annotated[int, Field(ge=16, le=1920)] = 320
    poster_width: Annotated[int, Field(ge=16, le=3840)] = 1280
    # At or below this share of unreadable segments the recording is stitched without them.
    max_skipped_segment_ratio: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    reencode_preset: str = "veryfast"
    reencode_crf: Annotated[int, Field(ge=0, le=51)] = 23


class StreamInfo(BaseModel):
    kind: str  # "video" | "audio" | "data" | "subtitle"
    codec: str
    width: int | None = None
    height: int | None = None


class MediaInfo(BaseModel):
    """What `ffmpeg -i` says about a file."""

    container: str
    duration_ms: int | None
    streams: list[StreamInfo]

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


class SourceInfo(BaseModel):
    bucket: str
    prefix: str
    master_playlist_key: str
    rendition: str
    rendition_playlist_key: str
    segment_count: int
    segment_bytes: int
    playlist_duration_ms: int


class ProcessResult(BaseModel):
    """What was produced; also the body of the `_SUCCESS.json` marker."""

    video_id: str
    source: SourceInfo
    output_bucket: str
    output_prefix: str
    mp4_key: str
    poster_key: str | None
    thumbnail_keys: list[str]
    marker_key: str
    width: int
    height: int
    duration_ms: int
    bytes: int
    sizes: dict[str, int]
    timings_s: dict[str, float]
    reencoded: bool
    reencode_reason: str | None = None
    skipped_segments: list[str] = []
    warnings: list[str] = []
    ffmpeg_version: str = ""
    # True when this result was read back from the marker of an earlier attempt instead of being computed.
    replayed: bool = False
