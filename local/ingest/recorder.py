"""Records one broadcast the way IVS does: ffmpeg pulls the stream from nginx and writes 6 s HLS segments
(stream copy of the source rendition, lower renditions only when the recording configuration asks for them)
and interval thumbnails; the recording mirrors completed files to S3 under the IVS layout as they appear."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from local.ingest.layout import (
    Rendition,
    Segment,
    master_playlist,
    media_playlist,
    parse_media_playlist,
    recording_metadata,
    rendition_name,
)

log = logging.getLogger("svideo.local.ingest")

SEGMENT_SECONDS = 6
# IVS's rendition tiers by height; the local ingest never upscales (ffmpeg clamps to the source height).
RENDITION_HEIGHTS = {"LOWEST_RESOLUTION": 160, "SD": 480, "HD": 720, "FULL_HD": 1080}


@dataclass(frozen=True)
class RecordingSettings:
    """What a recording configuration asks of a recording."""

    bucket: str
    reconnect_window_seconds: int = 0
    thumbnail_interval_seconds: int | None = 60  # None when recordingMode is DISABLED
    thumbnail_storage: tuple[str, ...] = ("SEQUENTIAL",)
    thumbnail_resolution: str | None = None
    extra_renditions: tuple[str, ...] = ()  # lower renditions to transcode besides the source copy


def _probe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,sample_rate,channels,profile",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    try:
        return dict(json.loads(result.stdout or "{}"))
    except ValueError:
        return {}


def _frame_rate(value: str | None) -> float:
    if not value or value == "0/0":
        return 30.0
    numerator, _, denominator = value.partition("/")
    return float(numerator) / float(denominator or 1)


@dataclass
class _RenditionOutput:
    local_dir: Path
    uploaded: int = 0  # segments of this part already mirrored


@dataclass
class RecordingPart:
    """One RTMP connection's share of a recording: its own ffmpeg process and output directories."""

    index: int
    directory: Path
    outputs: list[_RenditionOutput]
    thumbnails_dir: Path | None
    process: subprocess.Popen[bytes]
    tag: str  # the recorder's RTMP page URL, how nginx's stat page names it
    thumbnails_uploaded: int = 0

    @property
    def finished(self) -> bool:
        return self.process.poll() is not None

    def wait(self, timeout: float) -> None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def recorder_command(
    source_url: str, part_dir: Path, settings: RecordingSettings | None, *, tag: str
) -> list[str]:
    """ffmpeg reading the live stream: output 0 is the source copy, then the lower renditions, then
    thumbnails. `tag` is sent as the RTMP page URL, so the ingest can tell this recorder among nginx's
    players."""
    command = [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-rtmp_live",
        "live",
        "-rtmp_pageurl",
        tag,
        "-rw_timeout",
        "8000000",
        "-i",
        source_url,
    ]

    def hls(directory: Path) -> list[str]:
        return [
            "-f",
            "hls",
            "-hls_time",
            str(SEGMENT_SECONDS),
            "-hls_list_size",
            "0",
            "-hls_segment_type",
            "mpegts",
            "-hls_flags",
            "temp_file",
            "-hls_segment_filename",
            str(directory / "%d.ts"),
            str(directory / "playlist.m3u8"),
        ]

    command += ["-map", "0:v", "-map", "0:a?", "-c", "copy", *hls(part_dir / "r0")]
    for index, tier in enumerate(settings.extra_renditions if settings else (), start=1):
        height = RENDITION_HEIGHTS[tier]
        command += [
            "-map",
            "0:v",
            "-map",
            "0:a?",
            "-vf",
            f"scale=-2:'min(ih,{height})'",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-force_key_frames",
            "expr:gte(t,n_forced*2)",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            *hls(part_dir / f"r{index}"),
        ]
    if settings and settings.thumbnail_interval_seconds:
        scale = ""
        if settings.thumbnail_resolution in RENDITION_HEIGHTS:
            scale = f",scale=-2:'min(ih,{RENDITION_HEIGHTS[settings.thumbnail_resolution]})'"
        command += [
            "-map",
            "0:v",
            "-vf",
            f"fps=1/{settings.thumbnail_interval_seconds}{scale}",
            "-q:v",
            "3",
            "-f",
            "image2",
            "-start_number",
            "0",
            str(part_dir / "thumbnails" / "thumb%d.jpg"),
        ]
    return command


@dataclass
class _Track:
    """A rendition across all parts: its name once probed and the segments mirrored so far."""

    rendition: Rendition | None = None
    segments: list[Segment] = field(default_factory=list)
    duplicate: bool = False  # a "lower" rendition that came out at the source's height (no upscaling)


class Recording:
    """One recording session (one S3 prefix), made of one part per RTMP connection within the reconnect
    window.

    With `s3` None it only feeds live playback (channels without a recording configuration).
    """

    def __init__(
        self,
        *,
        recording_id: str,
        work_dir: Path,
        source_url: str,
        channel_arn: str,
        started_at: datetime,
        settings: RecordingSettings | None,
        prefix: str,
        s3: Any | None,
    ) -> None:
        self.recording_id = recording_id
        self.work_dir = work_dir
        self.source_url = source_url
        self.channel_arn = channel_arn
        self.started_at = started_at
        self.settings = settings
        self.prefix = prefix
        self._s3 = s3
        self.parts: list[RecordingPart] = []
        self._tracks: list[_Track] = [
            _Track() for _ in range(1 + len(settings.extra_renditions if settings else ()))
        ]
        self._thumbnail_rendition: Rendition | None = None
        self._thumbnail_count = 0
        self._started_document_written = False
        self.failure: str | None = None
        self.stream_info: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- parts ---------------------------------------------------------------------------------------------
    def add_part(self) -> RecordingPart:
        index = len(self.parts)
        part_dir = self.work_dir / f"part{index}"
        outputs = [_RenditionOutput(part_dir / f"r{i}") for i in range(len(self._tracks))]
        for output in outputs:
            output.local_dir.mkdir(parents=True, exist_ok=True)
        thumbnails = part_dir / "thumbnails"
        thumbnails.mkdir(parents=True, exist_ok=True)
        tag = f"svideo-recorder/{self.recording_id}/{index}"
        process = subprocess.Popen(
            recorder_command(self.source_url, part_dir, self.settings, tag=tag),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(part_dir / "ffmpeg.log").open("wb"),
        )
        part = RecordingPart(index, part_dir, outputs, thumbnails, process, tag)
        self.parts.append(part)
        return part

    @property
    def current_part(self) -> RecordingPart | None:
        return self.parts[-1] if self.parts else None

    def live_playlist_path(self) -> Path | None:
        part = self.current_part
        return part.outputs[0].local_dir / "playlist.m3u8" if part else None

    # -- mirroring -----------------------------------------------------------------------------------------
    @property
    def duration_ms(self) -> int:
        return round(sum(segment.duration for segment in self._tracks[0].segments) * 1000)

    def sync(self) -> None:
        """Mirror every completed segment and thumbnail to S3 and rewrite the playlists."""
        with self._lock:
            for part in list(self.parts):
                self._sync_part(part)

    def _sync_part(self, part: RecordingPart) -> None:
        changed = False
        for track_index, output in enumerate(part.outputs):
            playlist = output.local_dir / "playlist.m3u8"
            if not playlist.exists():
                continue
            segments, _ = parse_media_playlist(playlist.read_text())
            for segment in segments[output.uploaded :]:
                self._mirror_segment(track_index, part, output, segment)
                output.uploaded += 1
                changed = True
        self._sync_thumbnails(part)
        if changed and self._s3 is not None:
            self._write_playlists(ended=False)
            self._write_started_document()

    def _mirror_segment(
        self, track_index: int, part: RecordingPart, output: _RenditionOutput, segment: Segment
    ) -> None:
        track = self._tracks[track_index]
        local = output.local_dir / segment.uri
        if track.rendition is None:
            track.rendition = self._describe(local, segment.duration, track_index)
            source = self._tracks[0].rendition
            track.duplicate = (
                track_index > 0 and source is not None and track.rendition.height >= source.height
            )
        discontinuity = output.uploaded == 0 and part.index > 0
        mirrored = Segment(
            uri=f"{len(track.segments)}.ts", duration=segment.duration, discontinuity=discontinuity
        )
        track.segments.append(mirrored)
        if self._s3 is not None and not track.duplicate:
            self._put(f"media/hls/{track.rendition.name}/{mirrored.uri}", local.read_bytes(), "video/MP2T")

    def _describe(self, segment_path: Path, duration: float, track_index: int) -> Rendition:
        probe = _probe(segment_path)
        streams: list[dict[str, Any]] = probe.get("streams", [])
        video: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "video"), {})
        audio: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "audio"), {})
        width, height = int(video.get("width", 0)), int(video.get("height", 0))
        fps = _frame_rate(video.get("avg_frame_rate") or video.get("r_frame_rate"))
        if track_index == 0:
            self.stream_info = {"video": video, "audio": audio, "frame_rate": fps}
        bandwidth = int(segment_path.stat().st_size * 8 / max(duration, 0.1) * 1.1)
        return Rendition(rendition_name(height, fps), width, height, bandwidth)

    def _sync_thumbnails(self, part: RecordingPart) -> None:
        if part.thumbnails_dir is None or self.settings is None:
            return
        finished = part.finished
        while True:
            current = part.thumbnails_dir / f"thumb{part.thumbnails_uploaded}.jpg"
            following = part.thumbnails_dir / f"thumb{part.thumbnails_uploaded + 1}.jpg"
            if not current.exists() or not (following.exists() or finished):
                return  # ffmpeg may still be writing the newest one
            self._mirror_thumbnail(current)
            part.thumbnails_uploaded += 1

    def _mirror_thumbnail(self, local: Path) -> None:
        assert self.settings is not None
        if self._thumbnail_rendition is None:
            probe = _probe(local)
            image: dict[str, Any] = next(iter(probe.get("streams", [])), {})
            fps = float(self.stream_info.get("frame_rate", 30.0))
            height = int(image.get("height", 0))
            self._thumbnail_rendition = Rendition(
                rendition_name(height, fps), int(image.get("width", 0)), height, 0
            )
        name = self._thumbnail_rendition.name
        body = local.read_bytes()
        if self._s3 is not None:
            if "SEQUENTIAL" in self.settings.thumbnail_storage:
                self._put(f"media/thumbnails/{name}/thumb{self._thumbnail_count}.jpg", body, "image/jpeg")
            if "LATEST" in self.settings.thumbnail_storage:
                self._put(f"media/latest_thumbnail/{name}/thumb.jpg", body, "image/jpeg")
        self._thumbnail_count += 1

    def _renditions(self) -> list[Rendition]:
        return [t.rendition for t in self._tracks if t.rendition is not None and not t.duplicate]

    def _write_playlists(self, *, ended: bool) -> None:
        for track in self._tracks:
            if track.rendition is not None and not track.duplicate:
                self._put(
                    f"media/hls/{track.rendition.name}/playlist.m3u8",
                    media_playlist(track.segments, ended=ended).encode(),
                    "application/x-mpegURL",
                )
        renditions = self._renditions()
        if renditions:
            self._put("media/hls/master.m3u8", master_playlist(renditions).encode(), "application/x-mpegURL")

    def _metadata(self, status: str, ended_at: datetime | None) -> dict[str, Any]:
        thumbs: Sequence[Rendition] = [self._thumbnail_rendition] if self._thumbnail_rendition else []
        storage = self.settings.thumbnail_storage if self.settings else ()
        return recording_metadata(
            channel_arn=self.channel_arn,
            status=status,
            started_at=self.started_at,
            ended_at=ended_at,
            renditions=self._renditions(),
            thumbnail_renditions=thumbs if "SEQUENTIAL" in storage else [],
            latest_thumbnail_renditions=thumbs if "LATEST" in storage else [],
            duration_ms=self.duration_ms if ended_at else None,
        )

    def _write_started_document(self) -> None:
        if self._started_document_written or self._tracks[0].rendition is None:
            return
        self._put(
            "events/recording-started.json",
            json.dumps(self._metadata("RECORDING_STARTED", None), indent=2).encode(),
            "application/json",
        )
        self._started_document_written = True

    def finish(self, ended_at: datetime) -> None:
        """Wait for every part's recorder, mirror what is left, close the playlists, write
        recording-ended.json."""
        for part in self.parts:
            part.wait(timeout=15)
        self.sync()
        if self._s3 is None:
            return
        with self._lock:
            self._write_started_document()
            self._write_playlists(ended=True)
            if self.failure is None and self._tracks[0].segments:
                self._put(
                    "events/recording-ended.json",
                    json.dumps(self._metadata("RECORDING_ENDED", ended_at), indent=2).encode(),
                    "application/json",
                )
            else:
                self.failure = self.failure or "no media was received"
                self._put(
                    "events/recording-failed.json",
                    json.dumps(self._metadata("RECORDING_ENDED_WITH_FAILURE", ended_at), indent=2).encode(),
                    "application/json",
                )

    def discard_local(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def _put(self, relative_key: str, body: bytes, content_type: str) -> None:
        assert self._s3 is not None and self.settings is not None
        try:
            self._s3.put_object(
                Bucket=self.settings.bucket,
                Key=f"{self.prefix}/{relative_key}",
                Body=body,
                ContentType=content_type,
            )
        except Exception as exc:  # the bucket vanished or S3 refused: IVS reports it as Recording End Failure
            if self.failure is None:
                log.warning("recording %s: upload of %s failed: %s", self.recording_id, relative_key, exc)
            self.failure = f"S3 upload failed: {exc}"
