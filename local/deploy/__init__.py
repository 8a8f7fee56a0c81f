"""CloudFormation for the local cloud: deploys synthesized CDK templates by calling the local APIs."""

from local.deploy.intrinsics import DeployError, Intrinsics, creation_order
from local.deploy.stack import (
    ResourceRecord,
    StackOutput,
    StackResult,
    bootstrap,
    deploy_assembly,
    deploy_template,
    read_assembly,
    upload_assets,
)

__all__ = [
    "DeployError",
    "Intrinsics",
    "ResourceRecord",
    "StackOutput",
    "StackResult",
    "bootstrap",
    "creation_order",
    "deploy_assembly",
    "deploy_template",
    "read_assembly",
    "upload_assets",
]
