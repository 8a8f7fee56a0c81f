"""Real IVS-style recordings for tests, generated with ffmpeg and cached on disk.

    layout = make_ivs_recording(tmp_path / "recordings", 12, renditions=("360p30", "180p30"))
    layout = make_ivs_recording(storage, 12, bucket="recordings")      # any object with put_file()

A recording mirrors IVS auto-record-to-S3 under `ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<mm>/<id>/`:
`events/recording-started.json`, `events/recording-ended.json`, `media/hls/master.m3u8` (BANDWIDTH,
RESOLUTION, CODECS per variant), `media/hls/<rendition>/playlist.m3u8` with `0.ts, 1.ts, …` (H.264 with a
2 s GOP, AAC 48 kHz, 6 s MPEG-TS segments) and `media/thumbnails/thumb<N>.jpg` every 60 s. Not mirrored:
IVS's byte-range playlists. A rendition name like "720p30" sets height and frame rate (16:9 width).

Generated files are cached under `.cache/media/<hash of the parameters>/` (override with SVIDEO_MEDIA_CACHE)
so a suite pays for each distinct recording once; callers get copies and may damage them freely.
Also here: `top_level_atoms` (MP4 box order) and `decode_errors` (full decode with ffmpeg).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from services.postprocess.ffmpeg import locate_ffmpeg

GENERATOR_VERSION = "1"
ACCOUNT_ID = "123456789012"
CHANNEL_ID = "AsXego4U6tnj"
SEGMENT_S = 6
GOP_S = 2
THUMBNAIL_INTERVAL_S = 60
STARTED_AT = datetime(2026, 11, 22, 9, 5, 7, tzinfo=UTC)
_BITRATE_KBPS = {1080: 4500, 720: 2500, 480: 1200, 360: 800, 240: 450, 180: 300, 160: 230}


class _PutFile(Protocol):
    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None: ...


@dataclass(frozen=True)
class RecordingLayout:
    """Where a generated recording landed: keys are relative to the bucket (or to the target directory)."""

    bucket: str
    prefix: str
    master_key: str
    renditions: tuple[str, ...]
    duration_s: float
    segment_counts: dict[str, int] = field(default_factory=dict)

    def playlist_key(self, rendition: str) -> str:
        return f"{self.prefix}/media/hls/{rendition}/playlist.m3u8"

    def segment_key(self, rendition: str, index: int) -> str:
        return f"{self.prefix}/media/hls/{rendition}/{index}.ts"


def rendition_geometry(name: str) -> tuple[int, int, int]:
    """(width, height, fps) of an IVS rendition name such as "720p30"."""
    match = re.fullmatch(r"(\d+)p(\d+)", name)
    if not match:
        raise ValueError(f"rendition names look like 720p30, not {name!r}")
    height, fps = int(match.group(1)), int(match.group(2))
    width = 852 if height == 480 else round(height * 16 / 9 / 2) * 2  # IVS calls 480p 852 wide
    return width, height, fps


def make_ivs_recording(
    target: Path | _PutFile,
    duration_s: float,
    *,
    renditions: tuple[str, ...] = ("720p30", "480p30"),
    speech_wav: Path | None = None,
    bucket: str = "recordings",
    recording_id: str = "j8Z9O91ndcVs",
    video_codec: str = "h264",
    audio_codec: str = "aac",
    base_clip_s: float | None = None,
) -> RecordingLayout:
    """Generate (or reuse) an IVS-style recording and place it in `target`.

    target: a directory standing for the bucket (files land at `target/<key>`), or a storage with `put_file`.
    speech_wav: audio looped under the video instead of a 440 Hz sine.
    video_codec/audio_codec: ffmpeg encoder names, e.g. "mpeg2video"/"mp2" for input that needs re-encoding.
    base_clip_s: encode only this many seconds and loop them by stream copy up to `duration_s`, with
        continuous timestamps (what the benchmark uses to build long recordings quickly).
    """
    params = {
        "v": GENERATOR_VERSION,
        "duration_s": duration_s,
        "renditions": list(renditions),
        "speech": _file_fingerprint(speech_wav),
        "video_codec": video_codec,
        "audio_codec": audio_codec,
        "base_clip_s": base_clip_s,
    }
    cache = _cache_root() / hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    if not (cache / "done").is_file():
        _generate(cache, duration_s, renditions, speech_wav, video_codec, audio_codec, base_clip_s)
    at = STARTED_AT
    prefix = (
        f"ivs/v1/{ACCOUNT_ID}/{CHANNEL_ID}/{at.year}/{at.month}/{at.day}/{at.hour}/{at.minute}/{recording_id}"
    )
    counts = json.loads((cache / "done").read_text())
    layout = RecordingLayout(
        bucket=bucket,
        prefix=prefix,
        master_key=f"{prefix}/media/hls/master.m3u8",
        renditions=renditions,
        duration_s=duration_s,
        segment_counts=counts,
    )
    for path in sorted((cache / "recording").rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(cache / 'recording').as_posix()}"
            if isinstance(target, Path):
                (target / key).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / key)
            else:
                target.put_file(bucket, key, path, _content_type(path))
    return layout


def top_level_atoms(path: Path) -> list[str]:
    """Names of an MP4's top-level boxes in file order (faststart puts "moov" before "mdat")."""
    names = []
    with path.open("rb") as handle:
        while header := handle.read(8):
            if len(header) < 8:
                break
            size, name = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            names.append(name)
            if size == 1:
                size = int.from_bytes(handle.read(8), "big") - 8
            elif size == 0:
                break
            handle.seek(size - 8, os.SEEK_CUR)
    return names


def decode_errors(path: Path, *, timeout: float = 120) -> str:
    """Decode every frame of `path`; return ffmpeg's error output ("" means it played cleanly)."""
    completed = subprocess.run(
        [locate_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return completed.stderr.strip() or ("" if completed.returncode == 0 else f"exit {completed.returncode}")


def _cache_root() -> Path:
    configured = os.environ.get("SVIDEO_MEDIA_CACHE")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / ".cache" / "media"


def _file_fingerprint(path: Path | None) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _content_type(path: Path) -> str:
    return {
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".json": "application/json",
        ".jpg": "image/jpeg",
    }.get(path.suffix, "application/octet-stream")


def _ffmpeg(*args: str, timeout: float = 600) -> None:
    completed = subprocess.run(
        [locate_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {completed.stderr[-2000:]}")


def _generate(
    cache: Path,
    duration_s: float,
    renditions: tuple[str, ...],
    speech_wav: Path | None,
    video_codec: str,
    audio_codec: str,
    base_clip_s: float | None,
) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gen-", dir=cache.parent))
    try:
        clip_s = min(base_clip_s or duration_s, duration_s)
        geometry = {name: rendition_geometry(name) for name in renditions}
        top_w, top_h, top_fps = max(geometry.values(), key=lambda g: g[1])
        audio_input = (
            ["-stream_loop", "-1", "-i", str(speech_wav)]
            if speech_wav
            else ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
        )
        split = f"[0:v]split={len(renditions)}" + "".join(f"[s{i}]" for i in range(len(renditions)))
        scales = [f"[s{i}]fps={fps},scale={w}:{h}[o{i}]" for i, (w, h, fps) in enumerate(geometry.values())]
        outputs: list[str] = []
        for i, (name, (_, h, fps)) in enumerate(geometry.items()):
            kbps = _BITRATE_KBPS.get(h, 1000)
            outputs += [
                "-map",
                f"[o{i}]",
                "-map",
                "1:a",
                "-c:v",
                video_codec,
                "-b:v",
                f"{kbps}k",
                "-maxrate",
                f"{kbps}k",
                "-bufsize",
                f"{2 * kbps}k",
                "-g",
                str(GOP_S * fps),
                "-pix_fmt",
                "yuv420p",
                *(
                    ["-preset", "ultrafast", "-keyint_min", str(GOP_S * fps), "-sc_threshold", "0"]
                    if video_codec == "libx264" or video_codec == "h264"
                    else []
                ),
                "-c:a",
                "aac" if audio_codec == "aac" else audio_codec,
                "-b:a",
                "128k",
                "-ar",
                "48000",
                "-ac",
                "2",
                "-t",
                f"{clip_s}",
                "-f",
                "mpegts",
                str(work / f"{name}.ts"),
            ]
        _ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={top_w}x{top_h}:rate={top_fps}",
            *audio_input,
            "-filter_complex",
            ";".join([split, *scales]),
            *outputs,
        )
        recording = work / "recording"
        counts = {}
        for name in renditions:
            out = recording / "media" / "hls" / name
            out.mkdir(parents=True)
            loop = ["-stream_loop", "-1"] if clip_s < duration_s else []
            _ffmpeg(
                *loop,
                "-i",
                str(work / f"{name}.ts"),
                "-t",
                f"{duration_s}",
                "-map",
                "0",
                "-c",
                "copy",
                "-f",
                "hls",
                "-hls_time",
                str(SEGMENT_S),
                "-hls_playlist_type",
                "vod",
                "-hls_segment_type",
                "mpegts",
                "-hls_segment_filename",
                str(out / "%d.ts"),
                str(out / "playlist.m3u8"),
            )
            counts[name] = len(list(out.glob("*.ts")))
        _write_master(recording / "media" / "hls" / "master.m3u8", geometry, video_codec)
        _write_thumbnails(
            recording / "media" / "thumbnails",
            work / f"{max(geometry, key=lambda n: geometry[n][1])}.ts",
            duration_s,
            clip_s,
        )
        _write_events(recording / "events", geometry, duration_s, (top_w, top_h))
        (work / "done").write_text(json.dumps(counts))
        # A concurrent run may have generated the same recording first; theirs is identical.
        with contextlib.suppress(OSError):
            work.rename(cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_master(path: Path, geometry: dict[str, tuple[int, int, int]], video_codec: str) -> None:
    codecs = "avc1.42C01E,mp4a.40.2" if video_codec in {"h264", "libx264"} else "mp2v,mp4a.40.2"
    lines = ["#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, (w, h, fps) in geometry.items():
        bandwidth = (_BITRATE_KBPS.get(h, 1000) + 128) * 1000
        lines += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={w}x{h},FRAME-RATE={fps}.000,"
            f'CODECS="{codecs}",VIDEO="{name}"',
            f"{name}/playlist.m3u8",
        ]
    path.write_text("\n".join(lines) + "\n")


def _write_thumbnails(folder: Path, source: Path, duration_s: float, clip_s: float) -> None:
    folder.mkdir(parents=True)
    made: dict[float, Path] = {}
    for index in range(int(duration_s // THUMBNAIL_INTERVAL_S) + 1):
        at = (index * THUMBNAIL_INTERVAL_S) % clip_s
        target = folder / f"thumb{index}.jpg"
        if at in made:
            shutil.copyfile(made[at], target)  # a looped recording shows the same picture again
        else:
            _ffmpeg("-ss", f"{at}", "-i", str(source), "-frames:v", "1", "-q:v", "4", str(target))
            made[at] = target


def _write_events(
    folder: Path, geometry: dict[str, tuple[int, int, int]], duration_s: float, thumb: tuple[int, int]
) -> None:
    folder.mkdir(parents=True)
    hls = {
        "path": "media/hls",
        "playlist": "master.m3u8",
        "renditions": [
            {"path": name, "playlist": "playlist.m3u8", "resolution_height": h, "resolution_width": w}
            for name, (w, h, _) in geometry.items()
        ],
    }
    thumbnails = {"path": "media/thumbnails", "resolution_height": thumb[1], "resolution_width": thumb[0]}
    base = {
        "version": "v1",
        "channel_arn": f"arn:aws:ivs:us-east-1:{ACCOUNT_ID}:channel/{CHANNEL_ID}",
        "recording_started_at": STARTED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    started = base | {
        "recording_status": "RECORDING_STARTED",
        "media": {"hls": hls, "thumbnails": thumbnails},
    }
    ended = base | {
        "recording_ended_at": (STARTED_AT + timedelta(seconds=duration_s)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recording_status": "RECORDING_ENDED",
        "media": {"hls": hls | {"duration_ms": round(duration_s * 1000)}, "thumbnails": thumbnails},
    }
    (folder / "recording-started.json").write_text(json.dumps(started, indent=2))
    (folder / "recording-ended.json").write_text(json.dumps(ended, indent=2))
