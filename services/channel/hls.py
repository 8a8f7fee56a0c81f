"""Reading an IVS recording's master playlist: which renditions it has and where their playlists are."""

from __future__ import annotations

import re

from shared.events.channel import Rendition

MASTER_PLAYLIST = "media/hls/master.m3u8"
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_RENDITION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def master_playlist_key(prefix: str) -> str:
    return f"{prefix.rstrip('/')}/{MASTER_PLAYLIST}"


def renditions_of(prefix: str, master_playlist: str) -> list[Rendition]:
    """Each `#EXT-X-STREAM-INF` and the URI after it, named by the URI's directory (`720p30/...`)."""
    hls_dir = master_playlist_key(prefix).rsplit("/", 1)[0]
    renditions: list[Rendition] = []
    attributes: dict[str, str] | None = None
    for raw in master_playlist.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1])}
        elif line and not line.startswith("#") and attributes is not None:
            name = line.split("/")[0] if "/" in line else attributes.get("NAME", "")
            if _RENDITION_NAME.match(name):
                width, height = _resolution(attributes.get("RESOLUTION", ""))
                renditions.append(
                    Rendition(name=name, playlist_key=f"{hls_dir}/{line}", width=width, height=height)
                )
            attributes = None
    return renditions


def _resolution(value: str) -> tuple[int | None, int | None]:
    width, _, height = value.partition("x")
    if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    return None, None
