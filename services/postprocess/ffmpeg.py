"""The ffmpeg binary: where it is, how it is called, what its output means.

Only `ffmpeg` is required (the imageio-ffmpeg wheel used on Lambda ships no ffprobe), so probing parses
the `ffmpeg -i` banner. Every call has a timeout and turns a failure into a ProcessingError carrying
the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from .errors import ProcessingError, ReasonCode
from .models import MediaInfo, StreamInfo

_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, ([^,]+(?:,[^ ]+)*), from", re.MULTILINE)
_STREAM = re.compile(
    r"^\s*Stream #0:\d+[^:]*: (Video|Audio|Data|Subtitle): ([A-Za-z0-9_]+)(.*)$", re.MULTILINE
)
_SIZE = re.compile(r"(?<![0-9a-fA-Fx])(\d{2,5})x(\d{2,5})(?![0-9a-fA-F])")
_STDERR_TAIL_LINES = 12


class MediaTool(Protocol):
    """What the domain needs from ffmpeg; tests substitute a fake to prove it is not called."""

    def version(self) -> str: ...

    def probe(self, path: Path, *, timeout: float) -> MediaInfo: ...

    def stitch(
        self,
        playlist: Path,
        output: Path,
        *,
        reencode_video: bool,
        reencode_audio: bool,
        copy_aac: bool,
        preset: str,
        crf: int,
        timeout: float,
    ) -> None: ...

    def frame(self, source: Path, output: Path, *, at_s: float, width: int, timeout: float) -> None: ...


def locate_ffmpeg(env: Mapping[str, str] | None = None) -> str:
    """`FFMPEG_PATH`, then `ffmpeg` on PATH, then the imageio-ffmpeg wheel's binary."""
    env = os.environ if env is None else env
    configured = env.get("FFMPEG_PATH")
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise ProcessingError(
                ReasonCode.FFMPEG_UNAVAILABLE, f"FFMPEG_PATH={configured} is not an executable"
            )
        return configured
    on_path = shutil.which("ffmpeg", path=env.get("PATH"))
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ProcessingError(
            ReasonCode.FFMPEG_UNAVAILABLE,
            "no ffmpeg: set FFMPEG_PATH, put ffmpeg on PATH or install imageio-ffmpeg",
        ) from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def parse_banner(stderr: str) -> MediaInfo:
    """Container, duration and streams from the `Input #0` block ffmpeg prints for `-i`."""
    container = _INPUT.search(stderr)
    if container is None:
        raise ValueError("no 'Input #0' block in ffmpeg output")
    duration_ms: int | None = None
    if match := _DURATION.search(stderr):
        hours, minutes, seconds = match.groups()
        duration_ms = round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
    streams = []
    for kind, codec, rest in _STREAM.findall(stderr):
        size = _SIZE.search(rest) if kind == "Video" else None
        streams.append(
            StreamInfo(
                kind=kind.lower(),
                codec=codec,
                width=int(size.group(1)) if size else None,
                height=int(size.group(2)) if size else None,
            )
        )
    return MediaInfo(container=container.group(1), duration_ms=duration_ms, streams=streams)


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-_STDERR_TAIL_LINES:]) or "(no output)"


class Ffmpeg:
    """One ffmpeg binary; `Ffmpeg.locate()` finds it the way Lambda, Fargate and laptops need."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._version: str | None = None

    @classmethod
    def locate(cls, env: Mapping[str, str] | None = None) -> Ffmpeg:
        return cls(locate_ffmpeg(env))

    def run(self, args: Sequence[str], *, timeout: float, what: str) -> subprocess.CompletedProcess[str]:
        """Run ffmpeg with `args`; a non-zero exit or a timeout becomes a ProcessingError naming `what`."""
        command = [self.binary, "-hide_banner", "-nostdin", *args]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as error:
            stderr = (
                error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr
            )
            raise ProcessingError(
                ReasonCode.FFMPEG_TIMEOUT, f"{what} took longer than {timeout:g} s: {_tail(stderr or '')}"
            ) from None
        except OSError as error:
            raise ProcessingError(
                ReasonCode.FFMPEG_UNAVAILABLE, f"cannot run {self.binary}: {error}"
            ) from None
        if completed.returncode != 0:
            raise ProcessingError(
                ReasonCode.FFMPEG_FAILED,
                f"{what} failed (exit {completed.returncode}): {_tail(completed.stderr)}",
            )
        return completed

    def version(self) -> str:
        if self._version is None:
            first = self.run(["-version"], timeout=15, what="ffmpeg -version").stdout.splitlines()[:1]
            self._version = first[0] if first else "unknown"
        return self._version

    def probe(self, path: Path, *, timeout: float) -> MediaInfo:
        # `ffmpeg -i` with no output exits 1 by design, so read the banner whatever the exit code.
        command = [self.binary, "-hide_banner", "-nostdin", "-i", str(path)]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ProcessingError(
                ReasonCode.FFMPEG_TIMEOUT, f"probing {path.name} took over {timeout:g} s"
            ) from None
        try:
            return parse_banner(completed.stderr)
        except ValueError:
            raise ProcessingError(
                ReasonCode.CORRUPT_RECORDING, f"ffmpeg cannot read {path.name}: {_tail(completed.stderr)}"
            ) from None

    def stitch(
        self,
        playlist: Path,
        output: Path,
        *,
        reencode_video: bool,
        reencode_audio: bool,
        copy_aac: bool,
        preset: str,
        crf: int,
        timeout: float,
    ) -> None:
        """One MP4 from a local HLS playlist: stream copy unless told to re-encode, moov atom first."""
        video = (
            ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
            if reencode_video
            else ["-c:v", "copy"]
        )
        audio = ["-c:a", "aac", "-b:a", "128k"] if reencode_audio else ["-c:a", "copy"]
        if copy_aac and not reencode_audio:
            # ADTS framing (MPEG-TS) must become an AudioSpecificConfig in MP4; older builds do not add it.
            audio += ["-bsf:a", "aac_adtstoasc"]
        self.run(
            [
                "-v",
                "error",
                "-y",
                "-i",
                str(playlist),
                "-map",
                "0:v:0",
                "-map",
                "0:a:0?",
                "-dn",
                "-sn",
                *video,
                *audio,
                "-movflags",
                "+faststart",
                str(output),
            ],
            timeout=timeout,
            what="stitching the recording",
        )

    def frame(self, source: Path, output: Path, *, at_s: float, width: int, timeout: float) -> None:
        """One JPEG at `at_s` seconds, seeking before decoding (no full decode), scaled down to `width`."""
        self.run(
            [
                "-v",
                "error",
                "-y",
                "-ss",
                f"{max(at_s, 0.0):.3f}",
                "-i",
                str(source),
                "-frames:v",
                "1",
                "-vf",
                f"scale='min({width},iw)':-2",
                "-q:v",
                "3",
                str(output),
            ],
            timeout=timeout,
            what=f"extracting a frame at {at_s:.1f} s",
        )
