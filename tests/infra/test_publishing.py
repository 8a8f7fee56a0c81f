"""Every role of the app puts events on the bus only under its own `events:source` (`grant_publish`)."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized

# The source each stack's roles publish as (plugins: `svideo.plugin.<name>`; the titles feedback routes
# speak for the video catalog's human-feedback loop).
OWNERS = {
    "ChannelStack": {"svideo.channel"},
    "VideoStack": {"svideo.video"},
    "PostprocessStack": {"svideo.postprocess"},
    "PluginsStack": {"svideo.plugins"},
}


def _put_events_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
            continue
        documents = [resource["Properties"].get("PolicyDocument")] + [
            policy["PolicyDocument"] for policy in resource["Properties"].get("Policies", [])
        ]
        for document in filter(None, documents):
            for statement in document["Statement"]:
                action = statement["Action"]
                actions = action if isinstance(action, list) else [action]
                if any(action in ("events:PutEvents", "events:*", "*") for action in actions):
                    found.append(statement)
    return found


def test_given_every_stack_when_synthesized_then_each_put_events_grant_names_one_source(
    app_synth: Synthesized,
) -> None:
    seen = 0
    for path in app_synth.templates():
        stack = path.name.removesuffix(".template.json")
        for statement in _put_events_statements(json.loads(path.read_text())):
            seen += 1
            assert statement["Effect"] == "Allow", (stack, statement)
            source = statement.get("Condition", {}).get("StringEquals", {}).get("events:source")
            assert isinstance(source, str), f"{stack}: PutEvents without an events:source: {statement}"
            if stack in OWNERS:
                assert source in OWNERS[stack], (stack, source)
            else:
                assert source.startswith("svideo."), (stack, source)
    assert seen >= len(OWNERS)
