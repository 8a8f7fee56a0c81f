"""Tiny plugins for the plugin platform's end-to-end test: one SDK handler each (hooks, failures)."""

from __future__ import annotations

from typing import Any

from shared.plugin_sdk import PluginFailure, PluginInvoked, plugin_handler


@plugin_handler("approver")
def approver(invocation: PluginInvoked) -> dict[str, Any]:
    return {"valid": True, "approved": "duration" in invocation.inputs, "checked_by": "approver"}


@plugin_handler("tagger")
def tagger(invocation: PluginInvoked) -> dict[str, Any]:
    return {"tags": ["e2e", invocation.video.channel_id]}


@plugin_handler("notifier")
def notifier(invocation: PluginInvoked) -> dict[str, Any]:
    return {"note": f"{len(invocation.inputs)} earlier outputs"}


@plugin_handler("crasher")
def crasher(invocation: PluginInvoked) -> dict[str, Any]:
    raise PluginFailure("BrokenOnPurpose", f"cannot handle {invocation.video_id}")


@plugin_handler("sloppy")
def sloppy(invocation: PluginInvoked) -> dict[str, Any]:
    return {"score": "high"}  # the manifest says an integer


def unanswered(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Takes its invocations off the queue and answers none: a plugin that hangs (silent), or one whose
    answers come from elsewhere, the test playing that part (manual, regex-trap)."""
    return {"batchItemFailures": []}


silent = manual = regex_trap = unanswered


@plugin_handler("mood-ring")
def mood_ring(invocation: PluginInvoked) -> dict[str, Any]:
    """The plugin the browser test registers through the console (whose default schema takes `{}` only), once
    its stack is deployed."""
    return {}
