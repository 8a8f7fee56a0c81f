"""process_recording against real generated IVS-style recordings, filesystem storage and the real ffmpeg."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from services.postprocess.domain import process_recording
from services.postprocess.errors import ProcessingError, ReasonCode
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.models import Limits, MediaInfo
from tests.media import decode_errors, top_level_atoms
from tests.unit.postprocess.support import OUTPUT, Scene

SceneFactory = Callable[..., Scene]


def run(scene: Scene, ffmpeg: object, limits: Limits | None = None):  # type: ignore[no-untyped-def]
    return process_recording(
        scene.request,
        storage=scene.storage,
        ffmpeg=ffmpeg,
        workdir=scene.workdir,
        limits=limits,  # type: ignore[arg-type]
    )


def expect_failure(
    scene: Scene, ffmpeg: Ffmpeg, code: ReasonCode, limits: Limits | None = None
) -> ProcessingError:
    with pytest.raises(ProcessingError) as caught:
        run(scene, ffmpeg, limits or Limits(thumbnail_count=1))
    assert caught.value.reason_code is code, caught.value
    assert "Traceback" not in caught.value.message
    assert not (scene.path(scene.request.output_prefix + "/_SUCCESS.json", OUTPUT)).exists()
    return caught.value


class ExplodingFfmpeg:
    """Any call means the domain reprocessed when it should not have."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"ffmpeg.{name} was called")


def test_given_a_12s_recording_when_processed_then_a_faststart_mp4_that_plays_with_poster_and_thumbnails(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)

    result = run(s, ffmpeg)

    mp4 = s.path(result.mp4_key, OUTPUT)
    assert decode_errors(mp4) == ""
    atoms = top_level_atoms(mp4)
    assert atoms.index("moov") < atoms.index("mdat")
    assert abs(result.duration_ms - 12_000) <= 6_000
    assert abs(result.duration_ms - result.source.playlist_duration_ms) < 200
    assert (result.width, result.height, result.source.rendition) == (640, 360, "360p30")
    assert result.reencoded is False and result.reencode_reason is None
    assert result.bytes == mp4.stat().st_size == result.sizes[result.mp4_key]
    assert len(result.thumbnail_keys) == 4
    for key, (width, height) in [(result.poster_key, (640, 360))] + [
        (k, (320, 180)) for k in result.thumbnail_keys
    ]:
        assert key is not None
        image = s.path(key, OUTPUT)
        data = image.read_bytes()
        assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"
        info = ffmpeg.probe(image, timeout=10)
        assert info.video is not None and info.video.codec == "mjpeg"
        assert (info.video.width, info.video.height) == (width, height)
    assert s.storage.content_types[result.mp4_key] == "video/mp4"
    assert s.storage.content_types[result.thumbnail_keys[0]] == "image/jpeg"
    assert s.storage.content_types[result.marker_key] == "application/json"
    assert set(result.timings_s) >= {"download", "stitch", "frames", "upload", "total"}
    assert not any(s.workdir.iterdir())  # scratch space released


def test_given_a_configured_rendition_when_processed_then_that_rendition_is_stitched(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12)
    s.request = s.request.model_copy(update={"rendition": "180p30"})

    result = run(s, ffmpeg, fast_limits)

    assert (result.width, result.height, result.source.rendition) == (320, 180, "180p30")


def test_given_mp2_audio_when_processed_then_only_audio_is_reencoded_and_the_reason_recorded(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12, renditions=("180p30",), audio_codec="mp2")

    result = run(s, ffmpeg, fast_limits)

    assert result.reencoded is True
    assert result.reencode_reason == "audio codec mp2 is not AAC or MP3"
    info: MediaInfo = ffmpeg.probe(s.path(result.mp4_key, OUTPUT), timeout=10)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.audio.codec) == ("h264", "aac")
    assert decode_errors(s.path(result.mp4_key, OUTPUT)) == ""


def test_given_mpeg2_video_when_processed_then_video_is_reencoded_to_h264(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12, renditions=("180p30",), video_codec="mpeg2video")

    result = run(s, ffmpeg, fast_limits)

    assert result.reencoded is True
    assert (
        result.reencode_reason is not None and "video codec mpeg2video is not H.264" in result.reencode_reason
    )
    info = ffmpeg.probe(s.path(result.mp4_key, OUTPUT), timeout=10)
    assert info.video is not None and info.video.codec == "h264"
    assert abs(result.duration_ms - 12_000) <= 6_000


def test_given_a_processed_video_when_retried_then_the_marker_result_returns_without_ffmpeg_or_downloads(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12)
    first = run(s, ffmpeg, fast_limits)
    downloads = s.storage.downloads

    again = run(s, ExplodingFfmpeg(), fast_limits)

    assert again.replayed is True
    assert again.model_dump(exclude={"replayed", "timings_s"}) == first.model_dump(
        exclude={"replayed", "timings_s"}
    )
    assert s.storage.downloads == downloads


def test_given_partial_outputs_from_a_crashed_attempt_when_retried_then_they_are_overwritten(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12)
    for key in ("videos/vid-1/video.mp4", "videos/vid-1/poster.jpg", "videos/vid-1/thumbnails/thumb000.jpg"):
        s.path(key, OUTPUT).parent.mkdir(parents=True, exist_ok=True)
        s.path(key, OUTPUT).write_bytes(b"half-written")

    result = run(s, ffmpeg, fast_limits)

    assert result.replayed is False
    assert decode_errors(s.path(result.mp4_key, OUTPUT)) == ""
    assert s.path(result.poster_key or "", OUTPUT).read_bytes()[:2] == b"\xff\xd8"
    marker = json.loads(s.path(result.marker_key, OUTPUT).read_text())
    assert marker["bytes"] == result.bytes


def test_given_a_marker_for_another_recording_when_processed_then_output_conflict(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12)
    run(s, ffmpeg, fast_limits)
    s.request = s.request.model_copy(update={"recording_prefix": s.layout.prefix + "-other"})

    expect_failure_code = ReasonCode.OUTPUT_CONFLICT
    with pytest.raises(ProcessingError) as caught:
        run(s, ffmpeg, fast_limits)
    assert caught.value.reason_code is expect_failure_code


# --- bad input -------------------------------------------------------------------------------------------


def test_given_no_master_playlist_when_processed_then_master_playlist_missing(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.path(s.layout.master_key).unlink()

    expect_failure(s, ffmpeg, ReasonCode.MASTER_PLAYLIST_MISSING)


def test_given_no_rendition_playlist_when_processed_then_rendition_playlist_missing(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.path(s.layout.playlist_key("360p30")).unlink()

    expect_failure(s, ffmpeg, ReasonCode.RENDITION_PLAYLIST_MISSING)


def test_given_an_unknown_configured_rendition_when_processed_then_rendition_missing(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.request = s.request.model_copy(update={"rendition": "1080p60"})

    error = expect_failure(s, ffmpeg, ReasonCode.RENDITION_MISSING)
    assert "180p30, 360p30" in error.message


def test_given_a_playlist_entry_without_its_segment_when_processed_then_segment_missing_before_download(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.path(s.layout.segment_key("360p30", 1)).unlink()

    error = expect_failure(s, ffmpeg, ReasonCode.SEGMENT_MISSING)
    assert "1.ts" in error.message
    assert s.storage.downloads == 0


def test_given_one_corrupt_segment_of_two_when_processed_then_corrupt_recording(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.path(s.layout.segment_key("360p30", 1)).write_bytes(b"\x00garbage" * 50_000)

    error = expect_failure(s, ffmpeg, ReasonCode.CORRUPT_RECORDING)
    assert "1.ts" in error.message
    assert not any(s.workdir.iterdir())  # scratch space released on failure too


def test_given_a_corrupt_segment_within_the_skip_budget_when_processed_then_it_is_skipped_with_a_warning(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(18)
    s.path(s.layout.segment_key("360p30", 1)).write_bytes(b"\x00garbage" * 50_000)

    result = run(s, ffmpeg, Limits(thumbnail_count=1, max_skipped_segment_ratio=0.34))

    assert result.skipped_segments == ["1.ts"]
    assert any("skipped 1 unreadable segment" in w for w in result.warnings)
    assert decode_errors(s.path(result.mp4_key, OUTPUT)) == ""


def test_given_a_playlist_without_segments_when_processed_then_empty_recording(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    s.path(s.layout.playlist_key("360p30")).write_text("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-ENDLIST\n")

    expect_failure(s, ffmpeg, ReasonCode.EMPTY_RECORDING)


def test_given_segments_of_zero_duration_when_processed_then_zero_duration(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    playlist = s.path(s.layout.playlist_key("360p30"))
    lines = [
        "#EXTINF:0.000," if line.startswith("#EXTINF") else line for line in playlist.read_text().splitlines()
    ]
    playlist.write_text("\n".join(lines))

    expect_failure(s, ffmpeg, ReasonCode.ZERO_DURATION)


@pytest.mark.parametrize(
    "content",
    [
        "not a playlist",
        "#EXTM3U\n#EXTINF:6.0,\n../../../../../../../../../secret.ts\n",
        "#EXTM3U\nhttp://x/0.ts\n",
    ],
)
def test_given_a_malformed_or_escaping_playlist_when_processed_then_invalid_playlist(
    scene: SceneFactory, ffmpeg: Ffmpeg, content: str
) -> None:
    s = scene(12)
    s.path(s.layout.playlist_key("360p30")).write_text(content)

    expect_failure(s, ffmpeg, ReasonCode.INVALID_PLAYLIST)


def test_given_a_recording_larger_than_the_tmp_budget_when_processed_then_insufficient_space_before_download(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)

    error = expect_failure(s, ffmpeg, ReasonCode.INSUFFICIENT_SPACE, Limits(tmp_budget_bytes=1_000_000))
    assert "MB" in error.message
    assert s.storage.downloads == 0


def test_given_ivs_metadata_naming_another_master_when_processed_then_that_master_is_used(
    scene: SceneFactory, ffmpeg: Ffmpeg, fast_limits: Limits
) -> None:
    s = scene(12)
    hls_dir = s.path(s.layout.master_key).parent
    s.path(s.layout.master_key).rename(hls_dir / "renamed.m3u8")
    for name in ("recording-started.json", "recording-ended.json"):
        events = s.path(f"{s.layout.prefix}/events/{name}")
        metadata = json.loads(events.read_text())
        metadata["media"]["hls"]["playlist"] = "renamed.m3u8"
        events.write_text(json.dumps(metadata))

    result = run(s, ffmpeg, fast_limits)

    assert result.source.master_playlist_key.endswith("media/hls/renamed.m3u8")


def test_given_a_playlist_with_non_utf8_bytes_when_processed_then_invalid_playlist_which_is_permanent(
    scene: SceneFactory, ffmpeg: Ffmpeg
) -> None:
    s = scene(12)
    playlist = s.path(s.layout.playlist_key("360p30"))
    playlist.write_bytes(playlist.read_bytes().replace(b"#EXTINF", b"#EXT\xe9INF", 1))

    failure = expect_failure(s, ffmpeg, ReasonCode.INVALID_PLAYLIST)
    assert failure.permanent
    assert "is not UTF-8 (byte 0xe9" in failure.message
