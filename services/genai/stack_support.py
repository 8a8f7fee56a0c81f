"""CDK parts the three generative plugin stacks share (synth-time only; no handler imports this module).

The plugin functions ship `services/genai/` beside `shared/` and their plugin package; third-party code comes
from the stack's dependencies layer (requirements-lambda.txt), which holds boto3/pydantic/Powertools but none
of the local adapters' packages, so on AWS only the AWS adapters can load (the local ones import lazily)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.http_routes import attach_http_routes
from infra.constructs.packaging import code_files, code_from_files
from infra.constructs.plugin import PluginStack

GenAiMode = Literal["local", "aws"]
MODE_CONTEXT = "genai_mode"


def genai_mode(scope: Construct) -> GenAiMode:
    """`cdk synth -c genai_mode=aws` (or GENAI_MODE) selects the AWS adapters; the default is offline."""
    value = str(scope.node.try_get_context(MODE_CONTEXT) or os.environ.get("GENAI_MODE") or "local")
    if value not in ("local", "aws"):
        raise ValueError(f"{MODE_CONTEXT} must be 'local' or 'aws', not {value!r}")
    return cast(GenAiMode, value)


def media_bucket(stack: PluginStack) -> tuple[str, str]:
    """The media bucket (name, ARN) the plugin stack reads from SSM at deploy time."""
    return stack.media_bucket_name, stack.media_bucket_arn


def genai_code(package: str) -> lambda_.Code:
    """`shared/`, `plugins/<package>/` and `services/genai/` (with the package markers), without Docker."""
    plugin_dir = Path("plugins", package)
    files = code_files(plugin_dir) + [
        f for f in code_files(Path("services", "genai")) if f.parts[0] != "shared"
    ]
    return code_from_files(plugin_dir, sorted(set(files)))


def snap_start(stack: PluginStack) -> lambda_.Alias:
    """SnapStart on published versions, an alias on the current version, and the SQS mapping on the alias
    (SnapStart applies only to invocations of a published version)."""
    function = stack.function
    cfn = cast(lambda_.CfnFunction, function.node.default_child)
    cfn.snap_start = lambda_.CfnFunction.SnapStartProperty(apply_on="PublishedVersions")
    cdk.Annotations.of(function).acknowledge_warning(
        "@aws-cdk/aws-lambda:snapStartRequirePublish", "the alias below publishes current_version"
    )
    alias = lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
    mapping = function.node.find_child(f"SqsEventSource:{cdk.Names.node_unique_id(stack.queue.node)}")
    cast(cdk.CfnResource, mapping.node.default_child).add_property_override(
        "FunctionName", alias.function_arn
    )
    return alias


def bedrock_model_arn(stack: cdk.Stack, model_id: str) -> str:
    return stack.format_arn(
        service="bedrock",
        account="",
        resource="foundation-model",
        resource_name=model_id,
        arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
    )


def grant_bedrock(role: iam.IRole, stack: cdk.Stack, model_ids: list[str]) -> None:
    """`InvokeModel` covers both InvokeModel and Converse; scoped to exactly the configured models."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["bedrock:InvokeModel"],
            resources=sorted({bedrock_model_arn(stack, m) for m in model_ids}),
        )
    )


def attach_routes(
    stack: cdk.Stack,
    stage: str,
    function: lambda_.IFunction,
    routes: tuple[tuple[str, str], ...],
    source_path: str,
) -> None:
    """Routes on the video stack's HTTP API behind its JWT authorizer, proxied to `function`."""
    api_id = attach_http_routes(
        stack,
        stage=stage,
        function=function,
        routes=[(method, path, True) for method, path in routes],
        integration_id="FeedbackIntegration",
    )
    cdk.Annotations.of(function).acknowledge_warning(
        "@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias",
        "The HTTP API integration invokes the unqualified function ARN that this permission covers.",
    )
    function.add_permission(
        "InvokedByHttpApi",
        principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
        source_arn=stack.format_arn(service="execute-api", resource=api_id, resource_name=source_path),
    )
