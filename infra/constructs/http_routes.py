"""Routes of a service on the video stack's public HTTP API (its id and JWT authorizer read from SSM)."""

from collections.abc import Sequence

from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.parameters import read_parameter
from infra.nag import acknowledge
from infra.naming import VideoParameter

# (method, path, needs a signed-in caller)
Route = tuple[str, str, bool]


def route_id(method: str, path: str) -> str:
    return f"Route-{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}"


def attach_http_routes(
    scope: Construct,
    *,
    stage: str,
    function: lambda_.IFunction,
    routes: Sequence[Route],
    integration_id: str = "ApiIntegration",
    public_reason: str | None = None,
) -> str:
    """One Lambda proxy integration and a route per entry, JWT-authorized when signed-in; returns the API id
    (for the caller's invoke permission). A public route needs `public_reason` (its cdk-nag APIG4 reason)."""
    api_id = read_parameter(scope, stage, VideoParameter.API_ID)
    authorizer_id = read_parameter(scope, stage, VideoParameter.API_AUTHORIZER_ID)
    integration = apigw.CfnIntegration(
        scope,
        integration_id,
        api_id=api_id,
        integration_type="AWS_PROXY",
        integration_uri=function.function_arn,
        payload_format_version="2.0",
    )
    for method, path, signed_in in routes:
        route = apigw.CfnRoute(
            scope,
            route_id(method, path),
            api_id=api_id,
            route_key=f"{method} {path}",
            target=f"integrations/{integration.ref}",
            authorization_type="JWT" if signed_in else "NONE",
            authorizer_id=authorizer_id if signed_in else None,
        )
        if not signed_in:
            if public_reason is None:
                raise ValueError(f"{method} {path} is public: say why (public_reason)")
            acknowledge(route, "AwsSolutions-APIG4", public_reason)
    return api_id
