"""Plugin lifecycle events: `svideo.plugins` invokes and concludes, `svideo.plugin.<name>` completes."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, JsonValue, model_validator

from shared.events.base import (
    MAX_INLINE_JSON_BYTES,
    ChannelId,
    ContractModel,
    DurationMs,
    Hook,
    Identifier,
    JsonObject,
    OwnerId,
    PluginName,
    Reason,
    SvideoEvent,
    UtcDatetime,
    VideoId,
    max_json_bytes,
)
from shared.events.postprocess import Media

PLUGINS_SOURCE = "svideo.plugins"
# A plugin publishes as `svideo.plugin.<name>`; rules match completions with {"prefix": PLUGIN_SOURCE_PREFIX}.
PLUGIN_SOURCE_PREFIX = "svideo.plugin."

PluginStatus = Literal["succeeded", "failed"]
PluginOutcome = Literal["succeeded", "failed", "timed_out", "rejected", "skipped"]
Verdict = Literal["valid", "invalid", "failed"]
# HMAC tokens are URL-safe text; the length bound keeps a pasted blob out.
InvocationToken = Annotated[str, Field(pattern=r"^[A-Za-z0-9._~+/=-]{16,512}$")]
PluginInputs = Annotated[
    dict[PluginName, dict[str, JsonValue]], AfterValidator(max_json_bytes(2 * MAX_INLINE_JSON_BYTES))
]


def plugin_source(plugin: str) -> str:
    return f"{PLUGIN_SOURCE_PREFIX}{plugin}"


class VideoRef(ContractModel):
    """What a plugin needs to know about the video it works on."""

    channel_id: ChannelId
    owner_id: OwnerId
    duration_ms: DurationMs
    media: Media


class Invocation(ContractModel):
    id: Identifier
    token: InvocationToken = Field(description="Signed for this invocation; echo it in Plugin.Completed")
    deadline: UtcDatetime


class PluginInvoked(SvideoEvent):
    """The lifecycle asks one plugin to run one hook. Plugin stacks filter their rule on `detail.plugin`."""

    source: ClassVar[str] = PLUGINS_SOURCE
    detail_type: ClassVar[str] = "Plugin.Invoked"

    video_id: VideoId
    hook: Hook
    plugin: PluginName
    video: VideoRef
    inputs: PluginInputs = Field(default_factory=dict, description="Earlier plugins' outputs, by plugin name")
    invocation: Invocation


class PluginError(ContractModel):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$", examples=["TranscriptionFailed"])
    message: Reason


class PluginCompleted(SvideoEvent):
    """A plugin finished one invocation: `output` on success, `error` on failure, never both.

    Published under `svideo.plugin.<plugin>`; consumers check the source matches `plugin`.
    """

    source: ClassVar[str] = PLUGIN_SOURCE_PREFIX.rstrip(".")
    detail_type: ClassVar[str] = "Plugin.Completed"

    video_id: VideoId
    plugin: PluginName
    invocation_id: Identifier
    token: InvocationToken
    status: PluginStatus
    output: JsonObject | None = Field(default=None, description="Small JSON; large outputs go to S3 as keys")
    error: PluginError | None = None

    def event_source(self) -> str:
        return plugin_source(self.plugin)

    @model_validator(mode="after")
    def _output_xor_error(self) -> PluginCompleted:
        if self.status == "succeeded" and (self.output is None or self.error is not None):
            raise ValueError("status 'succeeded' needs `output` and no `error`")
        if self.status == "failed" and (self.error is None or self.output is not None):
            raise ValueError("status 'failed' needs `error` and no `output`")
        return self


class PluginResult(ContractModel):
    plugin: PluginName
    hook: Hook
    status: PluginOutcome
    reason: Reason | None = None
    duration_ms: DurationMs


class LifecycleCompleted(SvideoEvent):
    """Every hook ended. `video_fields` is the plugins' outputs projected onto the video record."""

    source: ClassVar[str] = PLUGINS_SOURCE
    detail_type: ClassVar[str] = "Lifecycle.Completed"

    video_id: VideoId
    channel_id: ChannelId | None = Field(default=None, description="The channel, from Video.Processed")
    owner_id: OwnerId | None = Field(default=None, description="The broadcaster, from Video.Processed")
    verdict: Verdict
    reason: Reason | None = None
    results: list[PluginResult] = Field(max_length=200)
    video_fields: JsonObject = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reason_unless_valid(self) -> LifecycleCompleted:
        if self.verdict != "valid" and self.reason is None:
            raise ValueError(f"verdict {self.verdict!r} needs a `reason`")
        return self
