"""Numbers in one written form: spoken number words become digits ("twenty minutes" -> "20 minutes") with
text2num, in captions, in what the title writer reads, and before the guardrails look for phone numbers."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Digit groups a speaker says one by one ("5 5 5 1 2 3 4") join up, so a phone number reads as one.
_SPACED_DIGITS = re.compile(r"\b\d(?:[ -]\d){3,}\b")


@cache
def _alpha2digit() -> Any:
    from text_to_num import alpha2digit

    return alpha2digit


def to_digits(text: str, language: str = "en") -> str:
    """`text` with number words as digits; "one" and other small counts stay words (text2num's threshold)."""
    if not text.strip():
        return text
    try:
        converted = str(_alpha2digit()(text, language[:2] or "en"))
    except (ValueError, KeyError):  # a language text2num does not know
        converted = text
    return _SPACED_DIGITS.sub(lambda m: re.sub(r"[ -]", "", m.group()), converted)
