"""Every module of the web app parses: one syntax error stops the whole app from loading in the browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB_JS = Path(__file__).resolve().parents[3] / "web" / "js"
MODULES = sorted(WEB_JS.rglob("*.js"))


def test_given_the_web_app_then_it_has_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(WEB_JS)))
def test_given_a_web_module_when_parsed_as_an_es_module_then_node_accepts_it(module: Path) -> None:
    node = shutil.which("node")
    assert node, "node is installed by make setup (node_modules/.bin) and by the machine"
    result = subprocess.run(
        [node, "--input-type=module", "--check"],
        stdin=module.open("rb"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
