"""The one error post-processing raises for a recording it cannot turn into a video."""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a recording could not be processed; stable strings that end up in `Video.ProcessingFailed`."""

    MASTER_PLAYLIST_MISSING = "master_playlist_missing"
    RENDITION_MISSING = "rendition_missing"
    RENDITION_PLAYLIST_MISSING = "rendition_playlist_missing"
    INVALID_PLAYLIST = "invalid_playlist"
    SEGMENT_MISSING = "segment_missing"
    CORRUPT_RECORDING = "corrupt_recording"
    EMPTY_RECORDING = "empty_recording"
    ZERO_DURATION = "zero_duration"
    NO_VIDEO_STREAM = "no_video_stream"
    INSUFFICIENT_SPACE = "insufficient_space"
    OUTPUT_CONFLICT = "output_conflict"
    FFMPEG_UNAVAILABLE = "ffmpeg_unavailable"
    FFMPEG_FAILED = "ffmpeg_failed"
    FFMPEG_TIMEOUT = "ffmpeg_timeout"


# Codes a retry on the same compute cannot fix; the others may be transient or need bigger compute.
PERMANENT_REASONS = frozenset(
    {
        ReasonCode.MASTER_PLAYLIST_MISSING,
        ReasonCode.RENDITION_MISSING,
        ReasonCode.RENDITION_PLAYLIST_MISSING,
        ReasonCode.INVALID_PLAYLIST,
        ReasonCode.SEGMENT_MISSING,
        ReasonCode.CORRUPT_RECORDING,
        ReasonCode.EMPTY_RECORDING,
        ReasonCode.ZERO_DURATION,
        ReasonCode.NO_VIDEO_STREAM,
        ReasonCode.OUTPUT_CONFLICT,
    }
)


class ProcessingError(Exception):
    """A recording could not be processed: `reason_code` is machine-readable, `message` is for humans."""

    def __init__(self, reason_code: ReasonCode, message: str) -> None:
        super().__init__(f"{reason_code.value}: {message}")
        self.reason_code = reason_code
        self.message = message

    @property
    def permanent(self) -> bool:
        return self.reason_code in PERMANENT_REASONS
