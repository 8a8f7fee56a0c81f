"""Post-processing benchmark: stitch vs `cp` (the physical floor) vs a default re-encode.

    source scripts/env.sh && python benchmarks/postprocess.py [--minutes 10 60] [--reencode-sample-s 120]

Recordings are IVS-style 720p30 (H.264 ~2.5 Mb/s CBR-ish, 2 s GOP, AAC 128k, 6 s TS segments), built by
encoding one 60 s clip (libx264 ultrafast) and looping it by stream copy to 10 and 60 minutes with
continuous timestamps: the bytes, segment count and timestamps are those of a real recording of that
length, only the pictures repeat. They are cached under `.cache/bench/` (first run ~1 min, later runs reuse).

Stitch = `process_recording` with filesystem storage on the same disk (copy segments in, check them, stream
copy to a faststart MP4, probe, poster + 4 thumbnails, copy outputs out). Floor = `cp -r` of the rendition's
segments on the same disk. Re-encode = what the reference system ran: `ffmpeg -i playlist out.mp4` with no
codec flags (libx264 defaults = preset medium, crf 23, + aac), measured on the first `--reencode-sample-s`
seconds and extrapolated linearly (labelled as such); the pictures are the same in every minute, so the
per-second cost of the sample holds for the whole recording.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.postprocess.domain import process_recording  # noqa: E402
from services.postprocess.ffmpeg import Ffmpeg  # noqa: E402
from services.postprocess.models import ProcessRequest  # noqa: E402
from services.postprocess.storage import FilesystemStorage  # noqa: E402

BENCH = ROOT / ".cache" / "bench"
BUCKET = "recordings"
RENDITION = "720p30"


def prepare(minutes: int) -> tuple[str, float]:
    """Place a `minutes`-long recording in the bench bucket once; return its prefix and generation time."""
    record = BENCH / f"recording-{minutes}min.json"
    if record.is_file():
        return json.loads(record.read_text())["prefix"], 0.0
    os.environ["SVIDEO_MEDIA_CACHE"] = str(BENCH / "media")
    from tests.media import make_ivs_recording  # imported late: the cache root is read from the env

    started = time.perf_counter()
    layout = make_ivs_recording(
        BENCH / "s3" / BUCKET,
        minutes * 60,
        renditions=(RENDITION,),
        recording_id=f"bench{minutes}min",
        base_clip_s=60,
    )
    elapsed = time.perf_counter() - started
    record.write_text(json.dumps({"prefix": layout.prefix, "generation_s": elapsed}))
    return layout.prefix, elapsed


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=1800)
    return time.perf_counter() - started


def bench_one(minutes: int, ffmpeg: Ffmpeg, reencode_s_per_s: float) -> dict[str, object]:
    prefix, generated_s = prepare(minutes)
    storage = FilesystemStorage(BENCH / "s3")
    segments_dir = BENCH / "s3" / BUCKET / prefix / "media" / "hls" / RENDITION
    segment_bytes = sum(p.stat().st_size for p in segments_dir.glob("*.ts"))
    shutil.rmtree(BENCH / "s3" / "media", ignore_errors=True)  # no marker: measure a real run, not a replay
    request = ProcessRequest(
        video_id=f"bench-{minutes}",
        recording_bucket=BUCKET,
        recording_prefix=prefix,
        output_bucket="media",
        output_prefix=f"videos/bench-{minutes}",
    )
    subprocess.run(
        ["cat", *map(str, segments_dir.glob("*.ts"))], stdout=subprocess.DEVNULL, check=True
    )  # warm
    result = process_recording(request, storage=storage, ffmpeg=ffmpeg, workdir=BENCH / "work")

    copy_target = BENCH / "work" / "cp-floor"
    shutil.rmtree(copy_target, ignore_errors=True)
    cp_s = timed(["cp", "-r", str(segments_dir), str(copy_target)])
    shutil.rmtree(copy_target, ignore_errors=True)

    total_s = result.timings_s["total"]
    reencode_s = reencode_s_per_s * result.duration_ms / 1000
    return {
        "minutes": minutes,
        "segments": result.source.segment_count,
        "segment_mb": round(segment_bytes / 1e6, 1),
        "mp4_mb": round(result.bytes / 1e6, 1),
        "duration_s": result.duration_ms / 1000,
        "generated_s": round(generated_s, 1),
        "timings_s": result.timings_s,
        "cp_s": round(cp_s, 3),
        "stitch_total_over_cp": round(total_s / cp_s, 1),
        "stitch_step_over_cp": round(result.timings_s["stitch"] / cp_s, 1),
        "reencode_extrapolated_s": round(reencode_s, 1),
        "reencode_over_stitch_total": round(reencode_s / total_s),
        "reencoded": result.reencoded,
    }


def measure_reencode(sample_s: float, ffmpeg: Ffmpeg) -> tuple[float, float]:
    """Seconds of default libx264+aac re-encode per second of video, from a sample of the 10-min recording."""
    prefix, _ = prepare(10)
    playlist = BENCH / "s3" / BUCKET / prefix / "media" / "hls" / RENDITION / "playlist.m3u8"
    output = BENCH / "work" / "reencode-sample.mp4"
    output.parent.mkdir(parents=True, exist_ok=True)
    elapsed = timed([ffmpeg.binary, "-nostdin", "-y", "-v", "error", "-i", str(playlist), "-t", str(sample_s),
                     str(output)])  # fmt: skip
    output.unlink(missing_ok=True)
    return elapsed / sample_s, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--reencode-sample-s", type=float, default=120.0)
    args = parser.parse_args()

    ffmpeg = Ffmpeg.locate()
    print(f"ffmpeg: {ffmpeg.binary} ({ffmpeg.version()}); cores: {os.cpu_count()}")
    for minutes in args.minutes:
        _, generated = prepare(minutes)
        if generated:
            print(f"generated the {minutes}-minute recording in {generated:.1f} s (cached for later runs)")
    per_s, sample_elapsed = measure_reencode(args.reencode_sample_s, ffmpeg)
    print(
        f"default re-encode (libx264 medium crf 23 + aac) of a {args.reencode_sample_s:g} s sample: "
        f"{sample_elapsed:.1f} s = {per_s * 60:.1f} s per minute of video"
    )
    rows = [bench_one(minutes, ffmpeg, per_s) for minutes in args.minutes]
    print()
    header = f"{'length':>7} {'segs':>5} {'MB':>7} {'stitch total':>12} {'ffmpeg copy':>11} {'cp':>7} "
    header += f"{'total/cp':>8} {'re-encode (extrap.)':>19} {'re-enc/stitch':>13}"
    print(header)
    for row in rows:
        timings = row["timings_s"]
        assert isinstance(timings, dict)
        print(
            f"{row['minutes']:>5}min {row['segments']:>5} {row['segment_mb']:>7} {timings['total']:>11.2f}s "
            f"{timings['stitch']:>10.2f}s {row['cp_s']:>6.2f}s {row['stitch_total_over_cp']:>7}x "
            f"{row['reencode_extrapolated_s']:>18.0f}s {row['reencode_over_stitch_total']:>12}x"
        )
    print()
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
