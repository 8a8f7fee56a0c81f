"""cfn-lint with the serverless rules finds nothing in any template; each skipped check says why."""

import json
import shutil
import subprocess

from infra.nag import LINT_REASONS
from tests.infra.conftest import Synthesized


def test_given_every_synthesized_template_when_linted_then_cfn_lint_reports_nothing(
    app_synth: Synthesized, constructs_synth: Synthesized
) -> None:
    templates = [str(p) for p in app_synth.templates() + constructs_synth.templates()]
    cfn_lint = shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is a dev dependency: run `make setup`"
    # `--` ends --append-rules' list of values; without it the first template is read as a rules module.
    result = subprocess.run(
        [cfn_lint, "--append-rules", "cfn_lint_serverless.rules", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == result.stderr == ""


def test_given_a_skipped_lint_check_then_the_resource_carries_the_reason(
    app_synth: Synthesized, constructs_synth: Synthesized
) -> None:
    skipped = 0
    for path in app_synth.templates() + constructs_synth.templates():
        for logical_id, resource in json.loads(path.read_text())["Resources"].items():
            metadata = resource.get("Metadata", {})
            for check in metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []):
                skipped += 1
                reason = metadata.get(LINT_REASONS, {}).get(check, "")
                assert len(reason) >= 20, (path.name, logical_id, check)
    assert skipped > 0
