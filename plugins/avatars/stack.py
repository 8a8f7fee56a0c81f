"""The avatars plugin's stack: the procedural painter (local) or a Bedrock text model for the characters and a
Bedrock image model for the pictures (aws), scoped to exactly those two model ARNs."""

from pathlib import Path
from typing import Any

from constructs import Construct

from infra.constructs.plugin import PluginStack, grant_media
from services.genai.config import GenAiSettings
from services.genai.stack_support import (
    genai_code,
    genai_mode,
    grant_bedrock,
    media_bucket,
    snap_start,
)

# Pillow paints 512 px images in a fraction of a second; the memory buys CPU for the YAKE/Pillow imports.
PLUGIN_MEMORY_MB = 1024


class AvatarsPluginStack(PluginStack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        mode = genai_mode(scope)
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            manifest_path=Path(__file__).with_name("manifest.yaml"),
            handler="plugins.avatars.handler.handler",
            memory_size=PLUGIN_MEMORY_MB,
            code=genai_code("avatars"),
            **kwargs,
        )
        bucket, bucket_arn = media_bucket(self)
        self.function.add_environment("GENAI_MODE", mode).add_environment("MEDIA_BUCKET", bucket)
        role = self.service_function.role
        grant_media(
            role,
            bucket_arn,
            read=["videos/*/plugins/transcript/*"],
            write=["videos/*/plugins/avatars/*"],
        )
        if mode == "aws":
            defaults = GenAiSettings()
            grant_bedrock(role, self, [defaults.characters_model_id, defaults.image_model_id])
        self.alias = snap_start(self)
