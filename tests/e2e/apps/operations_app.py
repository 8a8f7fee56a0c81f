"""The alarm test's CDK app: `infra.app` itself, limited to the operations and core stacks.

Run by `svideo up --app "python tests/e2e/apps/operations_app.py"`: the real `build_app` (alarms, dashboards,
the stage's topic, dependencies), without the service stacks the test does not need.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import infra.app

STACKS = ("OperationsStack", "CoreStack")

if __name__ == "__main__":
    infra.app.STACKS = [(stack_id, factory) for stack_id, factory in infra.app.STACKS if stack_id in STACKS]
    infra.app.main()
