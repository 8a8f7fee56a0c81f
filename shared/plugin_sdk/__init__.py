"""What a plugin author needs: parse an invocation, complete or fail it, read the media, write artefacts.

from shared.plugin_sdk import PluginInvoked, plugin_handler

@plugin_handler("shout")
def handler_fn(invocation: PluginInvoked) -> dict:
    return {"text": invocation.video_id.upper()}

handler = handler_fn  # the Lambda entry point: SQS batch in, Plugin.Completed out
"""

from shared.events.plugins import PluginInvoked
from shared.plugin_sdk.core import (
    Deferred,
    DeferredInvocations,
    PluginClient,
    PluginFailure,
    artefact_key,
    defer,
    deferred_ref,
    deferred_ref_for,
    media_url,
    parse_invocation,
    plugin_handler,
    plugin_input,
    read_media,
    write_artefact,
)

__all__ = [
    "Deferred",
    "DeferredInvocations",
    "PluginClient",
    "PluginFailure",
    "PluginInvoked",
    "artefact_key",
    "defer",
    "deferred_ref",
    "deferred_ref_for",
    "media_url",
    "parse_invocation",
    "plugin_handler",
    "plugin_input",
    "read_media",
    "write_artefact",
]
