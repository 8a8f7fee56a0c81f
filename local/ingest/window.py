"""The reconnect window: a broadcast that drops and resumes within `recordingReconnectWindowSeconds`
continues the
same recording (same S3 prefix); the recording ends once the window has passed with no broadcast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RecordingSession:
    recording_id: str
    channel_arn: str
    window_seconds: float
    stream_ids: list[str] = field(default_factory=list)
    live: bool = True
    deadline: float | None = None  # clock time after which the recording ends (set while no stream is live)


class ReconnectWindows:
    """Per channel, the open recording session and its deadline; pure bookkeeping, driven by an injected
    clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._open: dict[str, RecordingSession] = {}
        self._expired_early: list[RecordingSession] = []

    def stream_started(
        self, channel_arn: str, stream_id: str, *, window_seconds: float, new_recording_id: Callable[[], str]
    ) -> tuple[RecordingSession, bool]:
        """The session the stream records into and whether it is a new recording (False = resumed in the
        window)."""
        session = self._open.get(channel_arn)
        if session is not None and session.deadline is not None and self._clock() > session.deadline:
            session = None  # expired but not collected yet: the caller ends it through `expired()`
        if session is None:
            session = RecordingSession(new_recording_id(), channel_arn, window_seconds)
            resumed = False
        else:
            resumed = True
        session.stream_ids.append(stream_id)
        session.live = True
        session.deadline = None
        if not resumed:
            previous = self._open.get(channel_arn)
            if previous is not None:
                self._expired_early.append(previous)
            self._open[channel_arn] = session
        return session, not resumed

    def stream_ended(self, channel_arn: str) -> RecordingSession | None:
        session = self._open.get(channel_arn)
        if session is None:
            return None
        session.live = False
        session.deadline = self._clock() + session.window_seconds
        return session

    def expired(self) -> list[RecordingSession]:
        """Sessions whose window has passed, removed from the open set: each gets one Recording End."""
        now = self._clock()
        done = list(self._expired_early)
        self._expired_early.clear()
        for channel_arn, session in list(self._open.items()):
            if not session.live and session.deadline is not None and now >= session.deadline:
                done.append(self._open.pop(channel_arn))
        return done

    def close_all(self) -> list[RecordingSession]:
        done = list(self._expired_early) + list(self._open.values())
        self._expired_early.clear()
        self._open.clear()
        return done

    def discard(self, channel_arn: str) -> None:
        """Forget a session that never recorded (Recording Start Failure): it gets no Recording End."""
        self._open.pop(channel_arn, None)

    def current(self, channel_arn: str) -> RecordingSession | None:
        return self._open.get(channel_arn)
