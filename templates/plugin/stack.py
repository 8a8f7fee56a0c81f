"""The plugin's stack: add `("WordCountPluginStack", WordCountPluginStack)` to infra/app.py's STACKS."""

from pathlib import Path
from typing import Any

from constructs import Construct

from infra.constructs.plugin import PluginStack


class WordCountPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=Path(__file__).with_name("manifest.yaml"),
            handler="plugins.word_count.handler.handler",
            **kwargs,
        )
