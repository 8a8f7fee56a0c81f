"""Fixtures for post-processing unit tests: a real ffmpeg, filesystem storage, generated recordings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.models import Limits, ProcessRequest
from tests.media import make_ivs_recording
from tests.unit.postprocess.support import OUTPUT, RECORDINGS, SMALL, RecordingStorage, Scene


@pytest.fixture(scope="session")
def ffmpeg() -> Ffmpeg:
    return Ffmpeg.locate()


@pytest.fixture
def fast_limits() -> Limits:
    return Limits(thumbnail_count=1)


@pytest.fixture
def scene(tmp_path: Path) -> Callable[..., Scene]:
    """Build a storage holding one generated recording; keyword arguments go to make_ivs_recording."""

    def build(duration_s: float = 12, **options: object) -> Scene:
        options.setdefault("renditions", SMALL)
        storage = RecordingStorage(tmp_path / "s3")
        layout = make_ivs_recording(tmp_path / "s3" / RECORDINGS, duration_s, bucket=RECORDINGS, **options)  # type: ignore[arg-type]
        request = ProcessRequest(
            video_id="vid-1",
            recording_bucket=RECORDINGS,
            recording_prefix=layout.prefix,
            output_bucket=OUTPUT,
            output_prefix="videos/vid-1",
        )
        return Scene(storage=storage, layout=layout, request=request, workdir=tmp_path / "work")

    return build
