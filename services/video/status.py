"""The video's status machine: which moves are allowed, and what to do with a move that is not."""

from __future__ import annotations

from enum import StrEnum
from typing import get_args

from shared.events.base import VideoStatus

STATUSES: tuple[VideoStatus, ...] = get_args(VideoStatus)
TERMINAL: frozenset[VideoStatus] = frozenset({"published", "invalid", "failed", "deleted"})
NON_TERMINAL: tuple[VideoStatus, ...] = tuple(s for s in STATUSES if s not in TERMINAL)
# Statuses a video may be created in: the first event seen for it that names its owner (Broadcast.Started,
# Recording.Ended, Video.Processed, Lifecycle.Completed, Recording.Failed, Video.ProcessingFailed).
INITIAL: frozenset[VideoStatus] = frozenset({"recording", "processing", "enriching", "failed"})
# A verdict seen before the video is known creates it in `processing`: the status the verdict proves the
# video reached, and the one whose successor (Video.Processed, with the media) the verdict waits for.
CREATED_AS: dict[VideoStatus, VideoStatus] = {"published": "processing", "invalid": "processing"}
# How far along its life a status is; a fact whose target is further along than the video can reach
# directly is kept (parked) until its predecessor lands, never recorded as late and forgotten.
STAGE: dict[VideoStatus, int] = {
    "recording": 0, "processing": 1, "enriching": 2, "published": 3, "invalid": 3, "failed": 3, "deleted": 4,
}  # fmt: skip

# Forward skips are allowed because events arrive out of order (a Video.Processed before Recording.Ended);
# a verdict (published/invalid) is only taken from `enriching`, once the media is on the record.
TRANSITIONS: dict[VideoStatus, frozenset[VideoStatus]] = {
    "recording": frozenset({"processing", "enriching", "failed", "deleted"}),
    "processing": frozenset({"enriching", "failed", "deleted"}),
    "enriching": frozenset({"published", "invalid", "failed", "deleted"}),
    "published": frozenset({"deleted"}),
    "invalid": frozenset({"deleted"}),
    "failed": frozenset({"deleted"}),
    "deleted": frozenset(),
}


class Move(StrEnum):
    APPLY = "apply"  # change the status
    LATE = "late"  # an older fact: record it in the history, keep the status
    PARK = "park"  # a fact ahead of the video: keep it, apply it when its predecessor lands


def decide(current: VideoStatus, target: VideoStatus) -> Move:
    """Apply an allowed move; keep a fact that is ahead for later; a fact that is behind never moves the
    status back."""
    if target in TRANSITIONS[current]:
        return Move.APPLY
    if current not in TERMINAL and STAGE[target] > STAGE[current]:
        return Move.PARK
    return Move.LATE
