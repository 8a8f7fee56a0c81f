"""docs/costs.md's table is what its own command prints from the committed usage and prices, and the model
adds up: per 1,000 videos is 1,000 times a video's share, and the price file is what changes the figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import costs  # noqa: E402  (scripts/ is not a package)


def test_given_the_committed_usage_when_the_docs_command_runs_then_its_table_is_the_one_in_the_docs() -> None:
    printed = subprocess.run(
        [sys.executable, "scripts/costs.py", "model", "docs/costs-usage.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed.startswith("| USD | per broadcast hour | per 1,000 videos of 30 min |")
    assert printed in (REPO_ROOT / "docs" / "costs.md").read_text()


def test_given_a_usage_when_modelled_then_per_thousand_videos_scales_the_hour_by_the_video_length() -> None:
    usage = json.loads((REPO_ROOT / "docs" / "costs-usage.json").read_text())
    prices = json.loads((REPO_ROOT / "docs" / "aws-prices.json").read_text())
    result = costs.model(usage, prices, video_minutes=30)
    hour, thousand = result["per broadcast hour"], result["per 1,000 videos of 30 min"]
    assert hour["Transcribe"] == pytest.approx(60 * prices["transcribe_minute"])
    assert thousand["Transcribe"] == pytest.approx(1000 * 0.5 * hour["Transcribe"])
    assert thousand["Bedrock images (avatars)"] == pytest.approx(1000 * usage["images_per_video"] * 0.008)
    cheaper = costs.model(usage, {**prices, "ivs_standard_input_hour": 1.0}, video_minutes=30)
    assert cheaper["per broadcast hour"]["IVS channel input (standard)"] == 1.0
