"""The plugin's stack: `app.py` beside it deploys it alone; or add `("WordCountPluginStack",
WordCountPluginStack)` to infra/app.py's STACKS to deploy it with the platform."""

from pathlib import Path
from typing import Any

from constructs import Construct

from infra.constructs.plugin import PluginStack, folder_code

HERE = Path(__file__).resolve().parent


class WordCountPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=HERE / "manifest.yaml",
            handler="handler.handler",  # handler.py's `handler`: the folder is the code's root
            code=folder_code(HERE),
            **kwargs,
        )
