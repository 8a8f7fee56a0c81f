"""The duration check's stack: the whole of it is the construct's defaults and one setting."""

from pathlib import Path
from typing import Any

from constructs import Construct

from infra.constructs.plugin import PluginStack

MIN_DURATION_MS = 10_000


class DurationPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=Path(__file__).with_name("manifest.yaml"),
            handler="plugins.duration.handler.handler",
            environment={"MIN_DURATION_MS": str(MIN_DURATION_MS)},
            **kwargs,
        )
