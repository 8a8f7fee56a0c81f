"""Text that people type and others read (channel names, plugin descriptions, feedback): no control
characters and no bidirectional controls, which can make a name read differently from what it is
(U+202E RIGHT-TO-LEFT OVERRIDE turns `evil\u202etxt.exe` into `evilexe.txt`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

# Unicode's Bidi_Control characters (ALM, LRM, RLM, the embeddings and overrides, the isolates).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f]+$"  # no C0/C1 controls, no DEL
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+$"  # tab, line feed and carriage return allowed


def no_bidi_controls(text: str) -> str:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI_CONTROLS})
    if found:
        raise ValueError(f"contains bidirectional control characters ({', '.join(found)}), which are refused")
    return text


def display_text(max_length: int, *, multi_line: bool = False) -> object:
    """`Annotated[str, display_text(100)]`: 1..max_length characters, no controls, no bidi controls."""
    return Field(min_length=1, max_length=max_length, pattern=MULTI_LINE if multi_line else SINGLE_LINE)


DisplayName = Annotated[str, display_text(100), AfterValidator(no_bidi_controls)]
