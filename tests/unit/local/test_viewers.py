"""The local ingest's viewer count: players counted from nginx's playback requests, per segment."""

from __future__ import annotations

from pathlib import Path

from local.ingest.viewers import viewer_count

NOW = 1_800_000_000.0
SEGMENT = "/live/ch-0123456789ab/rec-1/part0/r{rendition}/{seq}.ts"


def _log(tmp_path: Path, lines: list[str]) -> Path:
    log = tmp_path / "playback.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    return log


def test_given_no_log_then_nobody_watches(tmp_path: Path) -> None:
    assert viewer_count(tmp_path / "missing.log", "ch-0123456789ab", NOW) == 0


def test_given_two_players_on_different_renditions_then_two_watch(tmp_path: Path) -> None:
    log = _log(
        tmp_path,
        [
            f"{NOW - 9:.3f} 200 /live/ch-0123456789ab.m3u8",  # playlists are not players
            f"{NOW - 8:.3f} 200 /live/ch-0123456789ab/rec-1/part0/r0/playlist.m3u8",
            f"{NOW - 8:.3f} 200 {SEGMENT.format(rendition=0, seq=4)}",
            f"{NOW - 7:.3f} 200 {SEGMENT.format(rendition=1, seq=4)}",
            f"{NOW - 6:.3f} 200 {SEGMENT.format(rendition=0, seq=5)}",
            f"{NOW - 6:.3f} 404 {SEGMENT.format(rendition=1, seq=6)}",  # a miss is not a view
            f"{NOW - 5:.3f} 200 /live/ch-other0000000/rec-9/part0/r0/5.ts",  # another channel
        ],
    )
    assert viewer_count(log, "ch-0123456789ab", NOW) == 2


def test_given_a_player_that_left_then_it_drops_out_after_the_window(tmp_path: Path) -> None:
    log = _log(tmp_path, [f"{NOW - 25:.3f} 200 {SEGMENT.format(rendition=0, seq=1)}"])
    assert viewer_count(log, "ch-0123456789ab", NOW, window_s=20) == 0
    assert viewer_count(log, "ch-0123456789ab", NOW - 10, window_s=20) == 1
