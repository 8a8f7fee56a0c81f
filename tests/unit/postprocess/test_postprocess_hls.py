"""Playlist and IVS metadata parsing."""

from __future__ import annotations

import json

import pytest

from services.postprocess.errors import ProcessingError, ReasonCode
from services.postprocess.hls import (
    best_variant,
    master_key_from_metadata,
    parse_master,
    parse_media,
    resolve,
)

IVS_MASTER = """#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=630000,RESOLUTION=852x480,CODECS="avc1.4D401F,mp4a.40.2",VIDEO="480p30"
480p30/playlist.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2600000,RESOLUTION=1280x720,CODECS="avc1.4D401F,mp4a.40.2",VIDEO="720p60"
720p60/playlist.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2400000,RESOLUTION=1280x720,CODECS="avc1.4D401F,mp4a.40.2",VIDEO="720p30"
720p30/playlist.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=160000,RESOLUTION=284x160,CODECS="avc1.4D401F,mp4a.40.2",VIDEO="160p30"
160p30/playlist.m3u8
"""


def test_given_an_ivs_master_when_choosing_then_highest_resolution_then_bandwidth_wins() -> None:
    variants = parse_master(IVS_MASTER)

    assert [v.name for v in variants] == ["480p30", "720p60", "720p30", "160p30"]
    assert best_variant(variants).name == "720p60"


def test_given_a_media_playlist_when_parsed_then_segments_keep_order_and_durations() -> None:
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.000,\n0.ts\n#EXTINF:2.5,\n1.ts\n#EXT-X-ENDLIST\n"

    segments = parse_media(text)

    assert [(s.uri, s.duration_s) for s in segments] == [("0.ts", 6.0), ("1.ts", 2.5)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0.ts\n",
        "#EXTM3U\n0.ts\n",
        "#EXTM3U\n#EXTINF:abc,\n0.ts\n",
        "#EXTM3U\n#EXT-X-BYTERANGE:100@0\n#EXTINF:6,\n0.ts\n",
        '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:6,\n0.ts\n',
    ],
)
def test_given_a_malformed_or_unsupported_media_playlist_when_parsed_then_invalid_playlist(text: str) -> None:
    with pytest.raises(ProcessingError) as caught:
        parse_media(text)
    assert caught.value.reason_code is ReasonCode.INVALID_PLAYLIST


@pytest.mark.parametrize(
    "uri", ["../../../../other/0.ts", "/abs/0.ts", "s3://bucket/0.ts", "https://evil/0.ts"]
)
def test_given_an_entry_outside_the_recording_when_resolved_then_refused(uri: str) -> None:
    with pytest.raises(ProcessingError) as caught:
        resolve("rec/media/hls/720p30/playlist.m3u8", uri, within="rec")
    assert caught.value.reason_code is ReasonCode.INVALID_PLAYLIST


def test_given_a_relative_entry_when_resolved_then_key_is_beside_the_playlist() -> None:
    assert resolve("rec/media/hls/master.m3u8", "720p30/playlist.m3u8", within="rec") == (
        "rec/media/hls/720p30/playlist.m3u8"
    )


def test_given_ivs_metadata_when_locating_the_master_then_its_path_and_playlist_are_used() -> None:
    metadata = json.dumps({"media": {"hls": {"path": "media/hls-v2", "playlist": "main.m3u8"}}})

    assert master_key_from_metadata("ivs/v1/x", metadata) == "ivs/v1/x/media/hls-v2/main.m3u8"
    assert master_key_from_metadata("ivs/v1/x", None) == "ivs/v1/x/media/hls/master.m3u8"
    assert master_key_from_metadata("ivs/v1/x", "{not json") == "ivs/v1/x/media/hls/master.m3u8"
