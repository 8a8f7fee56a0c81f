"""A fresh local cloud with the app's stacks deployed, for the benchmarks that measure the platform itself."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def deployed_cloud(stacks: Sequence[str] | None = None, stage: str = "dev") -> Iterator[tuple[Any, int]]:
    """The app synthesized and `stacks` (names without the stage; None: all) deployed into a new cloud in a
    temporary directory; yields the running cloud and how many stacks it holds. Everything goes at exit."""
    from infra.app import build_app
    from infra.naming import stack_name
    from local.deploy import deploy_assembly
    from local.wiring import build_cloud

    with tempfile.TemporaryDirectory() as directory:
        assembly = Path(directory) / "cdk.out"
        cloud = build_cloud(Path(directory) / "state", port=0)
        with cloud:
            build_app(outdir=str(assembly)).synth()
            names = [stack_name(stack, stage) for stack in stacks] if stacks is not None else None
            yield cloud, len(deploy_assembly(cloud, assembly, stacks=names))
