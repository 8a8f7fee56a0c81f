"""The AWS CLI test's CDK app: the real CoreStack (bus, schema registry with every svideo schema) and
LiveStack (functions that log), synthesized like `infra/app.py` does.

Run by `svideo up --app "python tests/e2e/apps/tools_app.py"` (CDK_OUTDIR and context from the caller).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import aws_cdk as cdk

from infra.stacks.core_stack import CoreStack
from infra.stacks.live_stack import LiveStack

app = cdk.App()
core = CoreStack(app, "CoreStack", stage="dev")
LiveStack(app, "LiveStack", stage="dev").add_dependency(core)
app.synth()
