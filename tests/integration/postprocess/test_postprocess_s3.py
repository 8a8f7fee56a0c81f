"""process_recording through the S3 adapter, on moto's in-process S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.postprocess.domain import process_recording
from services.postprocess.errors import ProcessingError, ReasonCode
from services.postprocess.ffmpeg import Ffmpeg
from services.postprocess.models import Limits, ProcessRequest
from services.postprocess.storage import ObjectNotFound, S3Storage
from tests.media import decode_errors, make_ivs_recording, top_level_atoms

RECORDINGS = "svideo-recordings"
MEDIA = "svideo-media"


def request_for(prefix: str) -> ProcessRequest:
    return ProcessRequest(
        video_id="vid-42",
        recording_bucket=RECORDINGS,
        recording_prefix=prefix,
        output_bucket=MEDIA,
        output_prefix="videos/vid-42",
    )


def test_given_an_ivs_recording_in_s3_when_processed_then_outputs_land_with_content_types_and_a_marker(
    s3: Any, tmp_path: Path
) -> None:
    storage = S3Storage(s3)
    layout = make_ivs_recording(storage, 12, bucket=RECORDINGS, renditions=("180p30", "360p30"))

    result = process_recording(
        request_for(layout.prefix), storage=storage, ffmpeg=Ffmpeg.locate(), workdir=tmp_path / "work"
    )

    head = s3.head_object(Bucket=MEDIA, Key=result.mp4_key)
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == result.bytes
    for key in [result.poster_key, *result.thumbnail_keys]:
        assert s3.head_object(Bucket=MEDIA, Key=key)["ContentType"] == "image/jpeg"
    marker = s3.get_object(Bucket=MEDIA, Key="videos/vid-42/_SUCCESS.json")
    assert marker["ContentType"] == "application/json"
    assert json.loads(marker["Body"].read())["duration_ms"] == result.duration_ms
    local = tmp_path / "video.mp4"
    storage.get_to_file(MEDIA, result.mp4_key, local)
    assert decode_errors(local) == ""
    assert top_level_atoms(local).index("moov") < top_level_atoms(local).index("mdat")
    assert (result.width, result.height) == (640, 360)


def test_given_a_processed_recording_when_the_event_is_redelivered_then_the_marker_result_is_returned(
    s3: Any, tmp_path: Path
) -> None:
    storage = S3Storage(s3)
    layout = make_ivs_recording(storage, 12, bucket=RECORDINGS, renditions=("180p30",))
    limits = Limits(thumbnail_count=1)
    first = process_recording(
        request_for(layout.prefix), storage=storage, ffmpeg=Ffmpeg.locate(), workdir=tmp_path, limits=limits
    )

    again = process_recording(
        request_for(layout.prefix),
        storage=storage,
        ffmpeg=Ffmpeg("/nonexistent"),
        workdir=tmp_path,
        limits=limits,
    )

    assert again.replayed and again.mp4_key == first.mp4_key and again.bytes == first.bytes


def test_given_a_missing_segment_in_s3_when_processed_then_segment_missing(s3: Any, tmp_path: Path) -> None:
    storage = S3Storage(s3)
    layout = make_ivs_recording(storage, 12, bucket=RECORDINGS, renditions=("180p30",))
    s3.delete_object(Bucket=RECORDINGS, Key=layout.segment_key("180p30", 0))

    with pytest.raises(ProcessingError) as caught:
        process_recording(
            request_for(layout.prefix), storage=storage, ffmpeg=Ffmpeg.locate(), workdir=tmp_path
        )
    assert caught.value.reason_code is ReasonCode.SEGMENT_MISSING


def test_given_a_missing_key_when_read_through_the_s3_adapter_then_object_not_found(
    s3: Any, tmp_path: Path
) -> None:
    storage = S3Storage(s3)

    with pytest.raises(ObjectNotFound):
        storage.get_text(RECORDINGS, "nope.json")
    with pytest.raises(ObjectNotFound):
        storage.get_to_file(RECORDINGS, "nope.ts", tmp_path / "nope.ts")
