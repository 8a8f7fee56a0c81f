"""The svideo CDK app: `cdk synth` runs `python -m infra.app`; offline, no AWS account, no Docker."""

import os
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk

from infra.nag import add_nag_gate
from infra.naming import PROJECT, stack_name
from infra.operations import add_operations, declare_parameter_dependencies
from infra.stacks.channel_stack import ChannelStack
from infra.stacks.core_stack import CoreStack
from infra.stacks.identity_stack import IdentityStack
from infra.stacks.live_stack import LiveStack
from infra.stacks.operations_stack import OperationsStack
from infra.stacks.plugins_stack import PluginsStack
from infra.stacks.postprocess_stack import PostprocessStack
from infra.stacks.users_stack import UsersStack
from infra.stacks.video_stack import VideoStack
from infra.stacks.web_stack import WebStack
from plugins.avatars.stack import AvatarsPluginStack
from plugins.duration.stack import DurationPluginStack
from plugins.titles.stack import TitlesPluginStack
from plugins.transcript.stack import TranscriptPluginStack

ASSET_METADATA = "aws:cdk:enable-asset-metadata"
StackFactory = Callable[..., cdk.Stack]

# One line per stack: (stable id, class taking (scope, id, *, stage, env)); `cdk deploy <id>-<stage>`.
STACKS: list[tuple[str, StackFactory]] = [
    ("OperationsStack", OperationsStack),
    ("CoreStack", CoreStack),
    ("IdentityStack", IdentityStack),
    ("VideoStack", VideoStack),
    ("PluginsStack", PluginsStack),
    ("DurationPluginStack", DurationPluginStack),
    ("TranscriptPluginStack", TranscriptPluginStack),
    ("TitlesPluginStack", TitlesPluginStack),
    ("AvatarsPluginStack", AvatarsPluginStack),
    ("LiveStack", LiveStack),
    ("ChannelStack", ChannelStack),
    ("UsersStack", UsersStack),
    ("PostprocessStack", PostprocessStack),
    ("WebStack", WebStack),
]


def build_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> cdk.App:
    # Asset paths in the template metadata: the local cloud maps each function to its staged code with them.
    app = cdk.App(outdir=outdir, context={ASSET_METADATA: True, **(context or {})})
    stage = str(app.node.try_get_context("stage") or "dev")
    env = cdk.Environment(account=os.getenv("CDK_DEFAULT_ACCOUNT"), region=os.getenv("CDK_DEFAULT_REGION"))
    # The stage is in every stack's id and name (`VideoStack-prod`): stages deploy side by side in an account.
    stacks = [factory(app, stack_name(stack_id, stage), stage=stage, env=env) for stack_id, factory in STACKS]
    operations = next((stack for stack in stacks if isinstance(stack, OperationsStack)), None)
    if operations is not None:  # an app of other stacks only (tests) has no alarm topic to wire to
        add_operations(stacks, operations)
    declare_parameter_dependencies(stacks)
    cdk.Tags.of(app).add("project", PROJECT)
    cdk.Tags.of(app).add("stage", stage)
    add_nag_gate(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
