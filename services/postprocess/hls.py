"""HLS playlists and IVS recording metadata, parsed just enough to stitch a recording."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from .errors import ProcessingError, ReasonCode

# IVS writes recording-ended.json (or recording-failed.json) at the end; recording-started.json at the start.
IVS_METADATA_FILES = (
    "events/recording-ended.json",
    "events/recording-failed.json",
    "events/recording-started.json",
)
IVS_DEFAULT_MASTER = "media/hls/master.m3u8"

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


@dataclass(frozen=True)
class Variant:
    uri: str  # relative to the master playlist, e.g. "720p30/playlist.m3u8"
    bandwidth: int
    width: int
    height: int

    @property
    def name(self) -> str:
        """The rendition directory, which IVS names like "720p30"."""
        return posixpath.dirname(self.uri) or posixpath.splitext(self.uri)[0]


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float


def parse_attributes(text: str) -> dict[str, str]:
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(text)}


def _require_header(text: str, what: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"{what} does not start with #EXTM3U")
    return lines


def parse_master(text: str) -> list[Variant]:
    """Variants of a master (multivariant) playlist, in file order."""
    lines = _require_header(text, "master playlist")
    variants: list[Variant] = []
    pending: dict[str, str] | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = parse_attributes(line.split(":", 1)[1])
        elif not line.startswith("#") and pending is not None:
            width, _, height = pending.get("RESOLUTION", "0x0").partition("x")
            try:
                variants.append(
                    Variant(
                        uri=line,
                        bandwidth=int(pending.get("BANDWIDTH", "0")),
                        width=int(width),
                        height=int(height),
                    )
                )
            except ValueError as error:
                raise ProcessingError(
                    ReasonCode.INVALID_PLAYLIST, f"bad variant attributes for {line}"
                ) from error
            pending = None
    return variants


def best_variant(variants: list[Variant]) -> Variant:
    """Highest resolution first, then highest bandwidth."""
    return max(variants, key=lambda v: (v.width * v.height, v.bandwidth))


def parse_media(text: str) -> list[Segment]:
    """Segments of a media playlist; byte-range and encrypted playlists are refused."""
    lines = _require_header(text, "rendition playlist")
    segments: list[Segment] = []
    duration: float | None = None
    for line in lines[1:]:
        if line.startswith("#EXTINF:"):
            try:
                duration = float(line.split(":", 1)[1].split(",", 1)[0])
            except ValueError as error:
                raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"bad segment duration: {line}") from error
        elif line.startswith(("#EXT-X-BYTERANGE", "#EXT-X-KEY")) and "METHOD=NONE" not in line:
            raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"unsupported playlist feature: {line[:40]}")
        elif not line.startswith("#"):
            if duration is None:
                raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"segment {line} has no #EXTINF")
            segments.append(Segment(uri=line, duration_s=duration))
            duration = None
    return segments


def resolve(base_key: str, uri: str, *, within: str) -> str:
    """Object key of `uri` relative to the playlist at `base_key`, refusing anything outside `within`."""
    if "://" in uri or uri.startswith("/"):
        raise ProcessingError(ReasonCode.INVALID_PLAYLIST, f"playlist entry {uri!r} is not a relative path")
    key = posixpath.normpath(posixpath.join(posixpath.dirname(base_key), uri))
    if not key.startswith(within.rstrip("/") + "/"):
        raise ProcessingError(
            ReasonCode.INVALID_PLAYLIST, f"playlist entry {uri!r} points outside the recording"
        )
    return key


def master_key_from_metadata(recording_prefix: str, metadata_text: str | None) -> str:
    """Master playlist key as the IVS metadata names it; the documented default when there is none."""
    relative = IVS_DEFAULT_MASTER
    if metadata_text:
        try:
            hls = json.loads(metadata_text)["media"]["hls"]
            relative = posixpath.join(hls["path"], hls["playlist"])
        except (ValueError, KeyError, TypeError):
            relative = IVS_DEFAULT_MASTER
    return f"{recording_prefix}/{relative.strip('/')}"
