"""`svideo plugins new`: the folder it writes passes its own test and synthesizes (cdk-nag gate included) as
generated, for a plugin that answers at once and one that answers later (`--deferred`). The guide's snippet
(tests/e2e/test_docs_snippets.py) walks the rest on the local cloud: deploy, register, test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.main import main as cli_main
from infra.lambda_runtime import REPO_ROOT


def _new(tmp_path: Path, name: str, *flags: str) -> Path:
    folder = tmp_path / name.replace("-", "_")
    assert cli_main(["plugins", "new", name, "--kind", "queue", "--dir", str(folder), *flags]) == 0
    return folder


def _synth(folder: Path, outdir: Path) -> dict[str, Any]:
    context = json.dumps({"stage": "dev", "aws:cdk:enable-asset-metadata": True})
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": context}
    run = subprocess.run([sys.executable, str(folder / "app.py")], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    [template] = outdir.glob("*.template.json")
    return dict(json.loads(template.read_text()))


@pytest.mark.parametrize("deferred", [False, True], ids=["at-once", "deferred"])
def test_given_a_generated_plugin_then_its_own_test_passes_and_its_stack_synthesizes(
    tmp_path: Path, deferred: bool
) -> None:
    folder = _new(tmp_path, "hello-world", *(["--deferred"] if deferred else []))
    assert sorted(p.name for p in folder.iterdir()) == [
        "app.py", "handler.py", "manifest.yaml", "stack.py", "test_handler.py"
    ]  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                         cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    template = _synth(folder, tmp_path / "out")
    functions = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    handlers = sorted(f["Handler"] for f in functions)
    assert handlers == (["handler.handler", "handler.work"] if deferred else ["handler.handler"])
    rules = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert [r["Name"] for r in rules] == ["dev-svideo-plugin-hello-world-invoked"]


def test_given_a_bad_name_or_a_folder_in_use_then_new_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["plugins", "new", "Hello World", "--dir", str(tmp_path / "x")]) == 1
    assert "name 'Hello World': lower-case letters" in capsys.readouterr().err
    _new(tmp_path, "taken")
    assert cli_main(["plugins", "new", "taken", "--dir", str(tmp_path / "taken")]) == 1
    assert (
        capsys.readouterr().err.strip() == f"svideo: {tmp_path / 'taken'} is not empty: choose another --dir"
    )
