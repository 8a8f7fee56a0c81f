"""How many watch a channel's live HLS now, counted from nginx's log of playback requests.

A player fetches every live segment once, whichever rendition it plays, so the number of requests for one
segment (`/live/<channel>/<recording>/part<P>/r<rendition>/<seq>.ts`, counted across renditions) is the number
of players that were watching when it was current. The count is the most requests any segment of the channel
got among those requested in the last `window_s` seconds: a viewer who leaves drops out after the window.
IVS's `viewerCount` counts playback sessions instead; this is the local ingest's equivalent.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

# nginx's `log_format playback '$msec $status $uri'` (nginx.py)
LOG_FORMAT = "$msec $status $uri"
WINDOW_S = 20.0
TAIL_BYTES = 512 * 1024  # the log is appended to for every request; only its recent end matters
_SEGMENT = re.compile(
    r"^/live/(?P<channel>[^/]+)/(?P<recording>[^/]+)/part(?P<part>\d+)/r\d+/(?P<seq>\d+)\.ts$"
)


def viewer_count(log: Path, channel_id: str, now: float, window_s: float = WINDOW_S) -> int:
    try:
        with log.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - TAIL_BYTES))
            text = file.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return 0
    per_segment: Counter[tuple[str, str, str]] = Counter()
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or not parts[1].startswith("2"):
            continue
        try:
            at = float(parts[0])
        except ValueError:
            continue
        match = _SEGMENT.match(parts[2])
        if match is None or match["channel"] != channel_id or now - at > window_s:
            continue
        per_segment[(match["recording"], match["part"], match["seq"])] += 1
    return max(per_segment.values(), default=0)
