"""The ffmpeg adapter: finding the binary, parsing its banner, bounding every call."""

from __future__ import annotations

import stat
import sys
import time
import types
from pathlib import Path

import pytest

from services.postprocess.errors import ProcessingError, ReasonCode
from services.postprocess.ffmpeg import Ffmpeg, locate_ffmpeg, parse_banner

MP4_BANNER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'video.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:01:02.53, start: 0.000000, bitrate: 873 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 739 kb/s, 30 fps, 30 tbr, 15360 tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)
At least one output file must be specified
"""  # noqa: E501

TS_BANNER = """Input #0, mpegts, from '0.ts':
  Duration: 00:00:06.00, start: 1.400000, bitrate: 1032 kb/s
  Program 1
  Stream #0:0[0x100]: Video: mpeg2video (Main) ([2][0][0][0] / 0x0002), yuv420p(tv, progressive), 320x180 [SAR 1:1 DAR 16:9], 30 fps, 30 tbr, 90k tbn
  Stream #0:1[0x101]: Audio: mp2 ([3][0][0][0] / 0x0003), 48000 Hz, stereo, fltp, 128 kb/s
"""  # noqa: E501


def executable(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_given_an_mp4_banner_when_parsed_then_duration_size_and_codecs_are_read() -> None:
    info = parse_banner(MP4_BANNER)

    assert info.duration_ms == 62_530
    assert info.video is not None and (info.video.codec, info.video.width, info.video.height) == (
        "h264",
        1280,
        720,
    )
    assert info.audio is not None and info.audio.codec == "aac"


def test_given_a_ts_banner_with_hex_stream_ids_when_parsed_then_they_are_not_taken_for_a_size() -> None:
    info = parse_banner(TS_BANNER)

    assert info.container == "mpegts"
    assert info.video is not None and (info.video.codec, info.video.width, info.video.height) == (
        "mpeg2video",
        320,
        180,
    )
    assert info.audio is not None and info.audio.codec == "mp2"


def test_given_output_without_an_input_block_when_parsed_then_value_error() -> None:
    with pytest.raises(ValueError):
        parse_banner("x.ts: Invalid data found when processing input\n")


def test_given_ffmpeg_path_when_locating_then_it_wins_over_path(tmp_path: Path) -> None:
    custom = executable(tmp_path / "my-ffmpeg", "exit 0")

    assert locate_ffmpeg({"FFMPEG_PATH": str(custom), "PATH": "/usr/bin"}) == str(custom)


def test_given_a_bad_ffmpeg_path_when_locating_then_ffmpeg_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ProcessingError) as caught:
        locate_ffmpeg({"FFMPEG_PATH": str(tmp_path / "missing")})
    assert caught.value.reason_code is ReasonCode.FFMPEG_UNAVAILABLE


def test_given_nothing_on_path_when_locating_then_the_imageio_ffmpeg_binary_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = types.SimpleNamespace(get_ffmpeg_exe=lambda: "/opt/imageio/ffmpeg-linux-x86_64-v9")
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", wheel)

    assert locate_ffmpeg({"PATH": str(tmp_path)}) == "/opt/imageio/ffmpeg-linux-x86_64-v9"


def test_given_no_ffmpeg_anywhere_when_locating_then_ffmpeg_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # makes the import fail

    with pytest.raises(ProcessingError) as caught:
        locate_ffmpeg({"PATH": str(tmp_path)})
    assert caught.value.reason_code is ReasonCode.FFMPEG_UNAVAILABLE


def test_given_a_hanging_ffmpeg_when_run_then_it_is_killed_at_the_timeout(tmp_path: Path) -> None:
    hanging = Ffmpeg(str(executable(tmp_path / "ffmpeg", "echo starting >&2; sleep 30")))

    started = time.monotonic()
    with pytest.raises(ProcessingError) as caught:
        hanging.run(["-i", "x"], timeout=0.5, what="stitching")
    assert caught.value.reason_code is ReasonCode.FFMPEG_TIMEOUT
    assert time.monotonic() - started < 5


def test_given_a_failing_ffmpeg_when_run_then_the_error_carries_the_stderr_tail(tmp_path: Path) -> None:
    failing = Ffmpeg(str(executable(tmp_path / "ffmpeg", "echo 'seg.ts: Invalid data found' >&2; exit 1")))

    with pytest.raises(ProcessingError) as caught:
        failing.run(["-i", "seg.ts"], timeout=5, what="stitching the recording")
    assert caught.value.reason_code is ReasonCode.FFMPEG_FAILED
    assert "stitching the recording failed (exit 1)" in caught.value.message
    assert "Invalid data found" in caught.value.message


def test_given_a_file_that_is_not_media_when_probed_then_corrupt_recording(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x00" * 5000)

    with pytest.raises(ProcessingError) as caught:
        Ffmpeg.locate().probe(junk, timeout=10)
    assert caught.value.reason_code is ReasonCode.CORRUPT_RECORDING
