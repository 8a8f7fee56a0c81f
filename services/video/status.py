"""The video's status machine: which moves are allowed, and what to do with a move that is not."""

from __future__ import annotations

from enum import StrEnum
from typing import get_args

from shared.events.base import VideoStatus

STATUSES: tuple[VideoStatus, ...] = get_args(VideoStatus)
TERMINAL: frozenset[VideoStatus] = frozenset({"published", "invalid", "failed", "deleted"})
NON_TERMINAL: tuple[VideoStatus, ...] = tuple(s for s in STATUSES if s not in TERMINAL)
# Statuses a video may be created in: the first event seen for it (Broadcast.Started, or Recording.Ended if
# the start was missed, or a failure naming its owner: Recording.Failed, Video.ProcessingFailed).
INITIAL: frozenset[VideoStatus] = frozenset({"recording", "processing", "failed"})

# Forward skips are allowed because events arrive out of order (a Video.Processed before Recording.Ended).
TRANSITIONS: dict[VideoStatus, frozenset[VideoStatus]] = {
    "recording": frozenset({"processing", "enriching", "failed", "deleted"}),
    "processing": frozenset({"enriching", "published", "invalid", "failed", "deleted"}),
    "enriching": frozenset({"published", "invalid", "failed", "deleted"}),
    "published": frozenset({"deleted"}),
    "invalid": frozenset({"deleted"}),
    "failed": frozenset({"deleted"}),
    "deleted": frozenset(),
}


class Move(StrEnum):
    APPLY = "apply"  # change the status
    LATE = "late"  # an older fact: record it in the history, keep the status


def decide(current: VideoStatus, target: VideoStatus) -> Move:
    """Apply an allowed move; anything else is a late or superseded fact that never moves the status back."""
    return Move.APPLY if target in TRANSITIONS[current] else Move.LATE
