"""The prompt catalog: one text file per prompt, with a header that names its version and the sha256 of its
body. Loading checks the hash, so a prompt cannot change without its version changing with it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_DIR = Path(__file__).parent
_HEADER = re.compile(r"^version: (?P<version>[A-Za-z0-9._/-]{1,64})\nsha256: (?P<sha>[0-9a-f]{64})\n---\n")


class PromptVersionError(Exception):
    """A prompt's body no longer matches the hash in its header: bump `version:` and the hash together."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user_template: str

    def user(self, **values: str) -> str:
        return self.user_template.format(**values)


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def parse(name: str, text: str) -> Prompt:
    match = _HEADER.match(text)
    if match is None:
        raise PromptVersionError(f"prompt {name!r} has no 'version:/sha256:/---' header")
    body = text[match.end() :]
    if body_sha256(body) != match["sha"]:
        raise PromptVersionError(f"prompt {name!r} changed without a new version (body sha256 differs)")
    system, sep, user = body.partition("\n=== user ===\n")
    if not sep or not system.startswith("=== system ===\n"):
        raise PromptVersionError(f"prompt {name!r} needs '=== system ===' and '=== user ===' sections")
    return Prompt(name, match["version"], system.removeprefix("=== system ===\n").strip(), user.strip())


@cache
def load(name: str) -> Prompt:
    return parse(name, (CATALOG_DIR / f"{name}.prompt").read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(p.stem for p in CATALOG_DIR.glob("*.prompt"))
