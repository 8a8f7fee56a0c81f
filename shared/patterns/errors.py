"""The one error the pattern engine raises for a pattern EventBridge would refuse."""

from __future__ import annotations


class InvalidPatternError(ValueError):
    """A pattern EventBridge would reject; the message starts with the offending field path."""

    def __init__(self, field_path: str, reason: str) -> None:
        self.field_path = field_path
        self.reason = reason
        super().__init__(f"{field_path}: {reason}")
