"""Live playback on the local cloud: the master playlist names only a rendition playlist that lists a segment,
and the app's content-security policy names the ingest's playback origin (and no other)."""

from __future__ import annotations

from pathlib import Path

from local.ingest.ingest import Ingest
from local.web import content_security_policy

PART_PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"


class LiveRecording:
    def __init__(self, playlist: Path) -> None:
        self.playlist = playlist

    def live_playlist_path(self) -> Path:
        return self.playlist


def test_given_a_new_part_when_its_playlist_has_no_segment_yet_then_there_is_no_master(
    tmp_path: Path,
) -> None:
    ingest = Ingest(
        tmp_path, account_id="1", host="127.0.0.1", rtmp_port=1, http_port=2, s3=dict, put_events=print
    )
    playlist = tmp_path / "live" / "ch1" / "rec1" / "part0" / "r0" / "playlist.m3u8"
    master = tmp_path / "live" / "ch1.m3u8"
    recording = LiveRecording(playlist)

    ingest._write_live_master("ch1", recording)  # type: ignore[arg-type]
    assert not master.exists()  # no playlist yet: a master would point at a 404
    playlist.parent.mkdir(parents=True)
    playlist.write_text(PART_PLAYLIST)
    ingest._write_live_master("ch1", recording)  # type: ignore[arg-type]
    assert not master.exists()  # a playlist without a segment cannot start a player either

    playlist.write_text(PART_PLAYLIST + "#EXTINF:6.000,\n0.ts\n")
    ingest._write_live_master("ch1", recording)  # type: ignore[arg-type]
    assert master.read_text().splitlines()[-1] == "ch1/rec1/part0/r0/playlist.m3u8"


def test_given_the_ingest_origin_then_the_policy_allows_it_for_media_and_playlists_only() -> None:
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in content_security_policy(["http://127.0.0.1:8935"]).split(";")
    )
    assert policy["media-src"] == "'self' blob: http://127.0.0.1:8935"
    assert policy["connect-src"] == "'self' ws: wss: http://127.0.0.1:8935"
    assert "8935" not in policy["script-src"] + policy["img-src"] + policy["default-src"]
    assert "http:" not in content_security_policy([])
