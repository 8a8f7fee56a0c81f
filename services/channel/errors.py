"""The channel service's own errors; API-facing ones come from `shared.api` and `shared.auth`."""

from shared.auth import ForbiddenError, NotSignedInError
from shared.errors import BadRequestError, ConflictError, NotFoundError

__all__ = [
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "NotSignedInError",
    "RecordingNotReadableError",
    "StaleChannelError",
]


class StaleChannelError(Exception):
    """The channel changed between read and write; the event is retried."""


class RecordingNotReadableError(Exception):
    """The recording's master playlist is missing or unreadable; retried, then dead-lettered."""
