"""Turn an IVS HLS recording into an on-demand MP4, a poster and thumbnails.

The same function runs in the Lambda function and in the Fargate task. Policies, in one place:
- the rendition is the configured one, else the best in the master playlist (resolution, then bandwidth);
- a playlist entry without an object fails the run (`segment_missing`): a hole is a broken recording;
- a segment that is not MPEG-TS (sync bytes) is skipped with a warning while skipped segments stay at or
  under `limits.max_skipped_segment_ratio` of the recording, otherwise the run fails (`corrupt_recording`);
- stream copy by default; re-encode only what MP4 playback cannot carry (video not H.264, audio not AAC/MP3),
  or everything if stream copy itself fails; the result says whether and why;
- outputs have fixed keys under the output prefix and `_SUCCESS.json` is written last, so a retry after a
  crash overwrites partial outputs and a retry after success returns the recorded result.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .errors import ProcessingError, ReasonCode
from .ffmpeg import MediaTool
from .hls import (
    IVS_METADATA_FILES,
    Segment,
    Variant,
    best_variant,
    master_key_from_metadata,
    parse_master,
    parse_media,
    resolve,
)
from .models import Limits, MediaInfo, ProcessRequest, ProcessResult, SourceInfo
from .storage import ObjectNotFound, Storage

MP4_NAME = "video.mp4"
POSTER_NAME = "poster.jpg"
MARKER_NAME = "_SUCCESS.json"
MP4_VIDEO_CODECS = frozenset({"h264"})  # what every browser plays from an MP4
MP4_AUDIO_CODECS = frozenset({"aac", "mp3"})
TS_PACKET = 188
FRAME_WORKERS = 2
_TS_SYNC = 0x47
_CHUNK = TS_PACKET * 4096

T = TypeVar("T")


def output_keys(request: ProcessRequest, thumbnail_count: int) -> dict[str, str]:
    """The deterministic keys a request writes; the same request always overwrites the same objects."""
    base = request.output_prefix
    keys = {"mp4": f"{base}/{MP4_NAME}", "poster": f"{base}/{POSTER_NAME}", "marker": f"{base}/{MARKER_NAME}"}
    keys |= {f"thumb{i}": f"{base}/thumbnails/thumb{i:03d}.jpg" for i in range(thumbnail_count)}
    return keys


def frame_times(duration_s: float, count: int) -> tuple[float, list[float]]:
    """Poster at 10 % (past intros and black frames), thumbnails at the middles of `count` equal slices."""
    last = max(duration_s - 0.5, 0.0)  # a seek to the very end yields no frame
    poster = min(duration_s * 0.1, last)
    return poster, [min(duration_s * (i + 0.5) / count, last) for i in range(count)]


def is_mpegts(path: Path) -> bool:
    """Every 188-byte packet starts with the 0x47 sync byte (a trailing partial packet is tolerated)."""
    size = path.stat().st_size
    if size < TS_PACKET:
        return False
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            complete = chunk[: len(chunk) - len(chunk) % TS_PACKET]
            syncs = complete[::TS_PACKET]
            if syncs.count(_TS_SYNC) != len(syncs):
                return False
    return True


def reencode_needs(info: MediaInfo) -> tuple[bool, bool, str | None]:
    """(re-encode video, re-encode audio, why) for input whose codecs MP4 playback cannot carry."""
    video, audio = info.video, info.audio
    if video is None:
        raise ProcessingError(ReasonCode.NO_VIDEO_STREAM, "the rendition has no video stream")
    reasons = []
    redo_video = video.codec not in MP4_VIDEO_CODECS
    if redo_video:
        reasons.append(f"video codec {video.codec} is not H.264")
    redo_audio = audio is not None and audio.codec not in MP4_AUDIO_CODECS
    if redo_audio and audio is not None:
        reasons.append(f"audio codec {audio.codec} is not AAC or MP3")
    return redo_video, redo_audio, "; ".join(reasons) or None


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 4)


def _get_text(storage: Storage, bucket: str, key: str, reason: ReasonCode, what: str) -> str:
    try:
        return storage.get_text(bucket, key)
    except ObjectNotFound:
        raise ProcessingError(reason, f"{what} s3://{bucket}/{key} does not exist") from None
    except UnicodeDecodeError as exc:  # a playlist is UTF-8 text (RFC 8216); no retry changes its bytes
        byte = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        message = f"{what} s3://{bucket}/{key} is not UTF-8 ({byte})"
        raise ProcessingError(ReasonCode.INVALID_PLAYLIST, message) from None


def _read_marker(storage: Storage, request: ProcessRequest, key: str) -> ProcessResult | None:
    try:
        text = storage.get_text(request.output_bucket, key)
    except ObjectNotFound:
        return None
    try:
        earlier = ProcessResult.model_validate_json(text)
    except ValueError:
        return None  # an unreadable marker is treated as absent: reprocess and overwrite it
    if (earlier.source.bucket, earlier.source.prefix) != (request.recording_bucket, request.recording_prefix):
        raise ProcessingError(
            ReasonCode.OUTPUT_CONFLICT,
            f"{key} records video {earlier.video_id} from s3://{earlier.source.bucket}/"
            f"{earlier.source.prefix}, not from s3://{request.recording_bucket}/{request.recording_prefix}",
        )
    return earlier.model_copy(update={"replayed": True})


def _find_master(storage: Storage, request: ProcessRequest) -> str:
    for name in IVS_METADATA_FILES:
        try:
            metadata = storage.get_text(request.recording_bucket, f"{request.recording_prefix}/{name}")
        except ObjectNotFound:
            continue
        return master_key_from_metadata(request.recording_prefix, metadata)
    return master_key_from_metadata(request.recording_prefix, None)


def _choose_variant(variants: list[Variant], wanted: str | None, master_key: str) -> Variant:
    if not variants:
        raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"{master_key} lists no renditions")
    if wanted is None:
        return best_variant(variants)
    for variant in variants:
        if variant.name == wanted:
            return variant
    names = ", ".join(v.name for v in variants)
    raise ProcessingError(
        ReasonCode.RENDITION_MISSING, f"rendition {wanted!r} is not in {master_key} ({names})"
    )


def _check_space(workdir: Path, needed: int, limits: Limits) -> None:
    free = shutil.disk_usage(workdir).free
    available = min(free, limits.tmp_budget_bytes)
    if needed > available:
        raise ProcessingError(
            ReasonCode.INSUFFICIENT_SPACE,
            f"the recording needs about {needed / 1e6:.0f} MB of scratch space, only "
            f"{available / 1e6:.0f} MB available "
            f"(budget {limits.tmp_budget_bytes / 1e6:.0f} MB, free {free / 1e6:.0f} MB)",
        )


def _parallel(function: Callable[[T], object], items: list[T], workers: int) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(function, items):
            pass


def _write_local_playlist(path: Path, segments: list[tuple[Segment, Path]]) -> None:
    target = max((s.duration_s for s, _ in segments), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{int(target + 0.999)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for segment, local in segments:
        lines += [f"#EXTINF:{segment.duration_s:.6f},", local.name]
    lines.append("#EXT-X-ENDLIST")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def process_recording(
    request: ProcessRequest,
    *,
    storage: Storage,
    ffmpeg: MediaTool,
    workdir: Path,
    limits: Limits | None = None,
) -> ProcessResult:
    """Stitch the recording into `<output_prefix>/video.mp4`, a poster and thumbnails (see module doc)."""
    limits = limits or Limits()
    keys = output_keys(request, limits.thumbnail_count)
    earlier = _read_marker(storage, request, keys["marker"])
    if earlier is not None:
        return earlier

    clock = _Clock()
    warnings: list[str] = []
    bucket, prefix = request.recording_bucket, request.recording_prefix
    with clock.step("total"):
        with clock.step("plan"):
            master_key = _find_master(storage, request)
            master = _get_text(
                storage, bucket, master_key, ReasonCode.MASTER_PLAYLIST_MISSING, "master playlist"
            )
            variant = _choose_variant(parse_master(master), request.rendition, master_key)
            playlist_key = resolve(master_key, variant.uri, within=prefix)
            playlist = _get_text(
                storage, bucket, playlist_key, ReasonCode.RENDITION_PLAYLIST_MISSING, "rendition playlist"
            )
            segments = parse_media(playlist)
            if not segments:
                raise ProcessingError(ReasonCode.EMPTY_RECORDING, f"{playlist_key} lists no segments")
            playlist_duration_s = sum(s.duration_s for s in segments)
            if playlist_duration_s <= 0:
                raise ProcessingError(ReasonCode.ZERO_DURATION, f"{playlist_key} segments last 0 s in total")
            segment_keys = [resolve(playlist_key, s.uri, within=prefix) for s in segments]
            listed = {o.key: o.size for o in storage.list(bucket, playlist_key.rsplit("/", 1)[0] + "/")}
            missing = [k.rsplit("/", 1)[-1] for k in segment_keys if k not in listed]
            if missing:
                raise ProcessingError(
                    ReasonCode.SEGMENT_MISSING,
                    f"{len(missing)} of {len(segments)} segments in {playlist_key} do not exist: "
                    f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}",
                )
            segment_bytes = sum(listed[k] for k in segment_keys)

        workdir.mkdir(parents=True, exist_ok=True)
        _check_space(workdir, int(segment_bytes * limits.space_factor) + limits.space_reserve_bytes, limits)
        scratch = Path(tempfile.mkdtemp(prefix=f"pp-{request.video_id}-", dir=workdir))
        try:
            result = _produce(
                request,
                storage,
                ffmpeg,
                scratch,
                limits,
                clock,
                warnings,
                keys,
                segments=segments,
                segment_keys=segment_keys,
                source=SourceInfo(
                    bucket=bucket,
                    prefix=prefix,
                    master_playlist_key=master_key,
                    rendition=variant.name,
                    rendition_playlist_key=playlist_key,
                    segment_count=len(segments),
                    segment_bytes=segment_bytes,
                    playlist_duration_ms=round(playlist_duration_s * 1000),
                ),
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    result.timings_s = dict(clock.timings)
    return result


def _produce(
    request: ProcessRequest,
    storage: Storage,
    ffmpeg: MediaTool,
    scratch: Path,
    limits: Limits,
    clock: _Clock,
    warnings: list[str],
    keys: dict[str, str],
    *,
    segments: list[Segment],
    segment_keys: list[str],
    source: SourceInfo,
) -> ProcessResult:
    segment_dir = scratch / "segments"
    segment_dir.mkdir()
    local = [segment_dir / f"{i:06d}.ts" for i in range(len(segments))]

    with clock.step("download"):
        _parallel(
            lambda pair: storage.get_to_file(request.recording_bucket, pair[0], pair[1]),
            list(zip(segment_keys, local, strict=True)),
            limits.download_concurrency,
        )

    with clock.step("validate"):
        kept: list[tuple[Segment, Path]] = []
        skipped: list[str] = []
        for segment, key, path in zip(segments, segment_keys, local, strict=True):
            if is_mpegts(path):
                kept.append((segment, path))
            else:
                skipped.append(key.rsplit("/", 1)[-1])
        if not kept or len(skipped) > limits.max_skipped_segment_ratio * len(segments):
            raise ProcessingError(
                ReasonCode.CORRUPT_RECORDING,
                f"{len(skipped)} of {len(segments)} segments are not readable MPEG-TS: "
                f"{', '.join(skipped[:5])}",
            )
        if skipped:
            warnings.append(f"skipped {len(skipped)} unreadable segment(s): {', '.join(skipped)}")
        info = ffmpeg.probe(kept[0][1], timeout=limits.probe_timeout_s)
        redo_video, redo_audio, reason = reencode_needs(info)

    local_playlist = segment_dir / "local.m3u8"
    _write_local_playlist(local_playlist, kept)
    mp4 = scratch / MP4_NAME
    copy_aac = info.audio is not None and info.audio.codec == "aac"
    with clock.step("stitch"):
        try:
            ffmpeg.stitch(
                local_playlist,
                mp4,
                reencode_video=redo_video,
                reencode_audio=redo_audio,
                copy_aac=copy_aac,
                preset=limits.reencode_preset,
                crf=limits.reencode_crf,
                timeout=limits.reencode_timeout_s if redo_video else limits.stitch_timeout_s,
            )
        except ProcessingError as error:
            if error.reason_code is not ReasonCode.FFMPEG_FAILED or (redo_video and redo_audio):
                raise
            reason = f"stream copy failed ({error.message[:200]})"
            redo_video = redo_audio = True
            ffmpeg.stitch(
                local_playlist,
                mp4,
                reencode_video=True,
                reencode_audio=True,
                copy_aac=False,
                preset=limits.reencode_preset,
                crf=limits.reencode_crf,
                timeout=limits.reencode_timeout_s,
            )
    shutil.rmtree(segment_dir)  # free scratch space before frames are written

    with clock.step("probe"):
        probed = ffmpeg.probe(mp4, timeout=limits.probe_timeout_s)
        video = probed.video
        if video is None or not video.width or not video.height:
            raise ProcessingError(ReasonCode.NO_VIDEO_STREAM, "the stitched MP4 has no video stream")
        if not probed.duration_ms:
            raise ProcessingError(ReasonCode.ZERO_DURATION, "the stitched MP4 lasts 0 s")
        slack_ms = max(s.duration_s for s in segments) * 1000
        if abs(probed.duration_ms - source.playlist_duration_ms) > slack_ms:
            warnings.append(
                f"MP4 lasts {probed.duration_ms} ms, playlist says {source.playlist_duration_ms} ms"
            )

    with clock.step("frames"):
        poster_at, thumb_ats = frame_times(probed.duration_ms / 1000, limits.thumbnail_count)
        frames = [("poster", poster_at, limits.poster_width)]
        frames += [(f"thumb{i}", at, limits.thumbnail_width) for i, at in enumerate(thumb_ats)]

        def extract(frame: tuple[str, float, int]) -> None:
            name, at, width = frame
            target = scratch / f"{name}.jpg"
            ffmpeg.frame(mp4, target, at_s=at, width=width, timeout=limits.frame_timeout_s)
            if not target.is_file() or target.stat().st_size == 0:
                raise ProcessingError(ReasonCode.FFMPEG_FAILED, f"no frame could be extracted at {at:.2f} s")

        # Each extraction is one short seek-and-decode process; two at a time use both cores of a small task.
        _parallel(extract, frames, FRAME_WORKERS)

    uploads = [(keys["mp4"], mp4, "video/mp4")]
    uploads += [(keys[name], scratch / f"{name}.jpg", "image/jpeg") for name, _, _ in frames]
    with clock.step("upload"):
        sizes = {key: path.stat().st_size for key, path, _ in uploads}
        for key, path, content_type in uploads:
            storage.put_file(request.output_bucket, key, path, content_type)

    result = ProcessResult(
        video_id=request.video_id,
        source=source,
        output_bucket=request.output_bucket,
        output_prefix=request.output_prefix,
        mp4_key=keys["mp4"],
        poster_key=keys["poster"],
        thumbnail_keys=[keys[f"thumb{i}"] for i in range(limits.thumbnail_count)],
        marker_key=keys["marker"],
        width=video.width,
        height=video.height,
        duration_ms=probed.duration_ms,
        bytes=sizes[keys["mp4"]],
        sizes=sizes,
        timings_s=dict(clock.timings),
        reencoded=redo_video or redo_audio,
        reencode_reason=reason,
        skipped_segments=skipped,
        warnings=warnings,
        ffmpeg_version=ffmpeg.version(),
    )
    marker = scratch / MARKER_NAME
    marker.write_text(json.dumps(result.model_dump(mode="json"), indent=2), encoding="utf-8")
    storage.put_file(request.output_bucket, keys["marker"], marker, "application/json")
    return result
