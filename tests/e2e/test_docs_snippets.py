"""The docs' shell snippets that start the local cloud run as written, in bash, with only the tools
`make setup` installs (`scripts/env.sh` on PATH, as the docs say to source it). A comment that starts with a
status code (`# 401 ...`) is checked against the status the line prints, in order.

A snippet targets the local cloud when it starts one (`svideo up`); they run one after the other in one state
folder (each ends with `svideo down`; the synthesized app is reused), on free ports (`SVIDEO_PORT=0`), so the
test can run beside other clouds. Snippets without `svideo up` (OBS and
ffmpeg settings, AWS deploys, `make` targets) are not local-cloud snippets.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.lambda_runtime import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DOCS = REPO_ROOT / "docs"
FENCE = re.compile(r"^```(?:sh|bash|shell)\s*\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECTED = re.compile(r"#\s*(\d{3})\b(?:.*?\bnaming (\S+))?")


@dataclass(frozen=True)
class Snippet:
    page: str
    line: int
    text: str

    def logical_lines(self) -> list[tuple[str, str]]:
        """(code, comment) per command, backslash continuations joined."""
        joined = re.sub(r"\\\n\s*", " ", self.text)
        return [
            (code, comment) for code, _, comment in (line.partition("  #") for line in joined.splitlines())
        ]

    @property
    def expected_statuses(self) -> list[str]:
        """Status codes a comment names first, for the commands that print only a status (`status ...`)."""
        found = []
        for code, comment in self.logical_lines():
            match = EXPECTED.match("#" + comment) if comment else None
            if match and code.lstrip().startswith("status "):
                found.append(match.group(1))
        return found

    @property
    def named_fields(self) -> list[str]:
        """Fields a comment says the response names (`# 400 naming body.name`)."""
        found = []
        for _, comment in self.logical_lines():
            match = EXPECTED.match("#" + comment) if comment else None
            if match and match.group(2):
                found.append(match.group(2))
        return found


def local_cloud_snippets() -> list[Snippet]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for match in FENCE.finditer(text):
            if re.search(r"\bsvideo up\b", match.group(1)):
                line = text.count("\n", 0, match.start()) + 1
                found.append(Snippet(page.name, line, match.group(1)))
    return found


SNIPPETS = local_cloud_snippets()


def test_given_the_docs_then_the_local_cloud_snippets_are_found() -> None:
    pages = {snippet.page for snippet in SNIPPETS}
    assert {"api.md", "local-cloud.md"} <= pages, pages


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-snippets")


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: f"{s.page}:{s.line}")
def test_given_a_local_cloud_snippet_when_run_as_written_then_it_succeeds(
    snippet: Snippet, state_dir: Path
) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SVIDEO_"))}
    environment |= {"SVIDEO_STATE_DIR": str(state_dir / "state"), "SVIDEO_PORT": "0", "HOME": str(state_dir)}
    script = f"set -euo pipefail\nsource scripts/env.sh\n{snippet.text}"
    try:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=800,
            check=False,
        )
    finally:  # a failed snippet must not leave its cloud running
        subprocess.run(
            ["bash", "-c", "source scripts/env.sh && svideo down"],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, (
        f"{snippet.page}:{snippet.line}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    printed = re.findall(r"^(\d{3})$", result.stdout, re.MULTILINE)
    assert printed == snippet.expected_statuses, result.stdout
    for name in snippet.named_fields:
        assert name in result.stdout, f"the response names {name}: {result.stdout}"
    if snippet.page == "api.md":  # the post-confirmation trigger and `svideo users grant` both took effect
        assert '"broadcaster"' in result.stdout and '"plugin-developer"' in result.stdout, result.stdout
