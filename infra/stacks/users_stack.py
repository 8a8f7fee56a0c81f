"""Roles for admins: the `/users` routes on the public HTTP API (owned by VideoStack) over the identity
stack's user pool. Separate from IdentityStack, which deploys before the API exists."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.http_routes import attach_http_routes
from infra.constructs.parameters import read_parameter
from infra.constructs.service_function import ServiceFunction
from infra.naming import IdentityParameter

ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("GET", "/users", True),
    ("PUT", "/users/{username}/roles/{role}", True),
    ("DELETE", "/users/{username}/roles/{role}", True),
)
READS_FROM = ("IdentityStack", "VideoStack")


class UsersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="svideo users: roles for admins", **kwargs)
        pool_id = read_parameter(self, stage, IdentityParameter.USER_POOL_ID)
        pool_arn = read_parameter(self, stage, IdentityParameter.USER_POOL_ARN)
        self.function = ServiceFunction(
            self,
            "Api",
            service="identity",
            handler="services.identity.handlers.users_api.handler",
            description="svideo identity: the /users routes (admins grant and revoke roles)",
            environment={"USER_POOL_ID": pool_id},
        )
        self.function.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "cognito-idp:ListUsers",
                    "cognito-idp:AdminGetUser",
                    "cognito-idp:AdminListGroupsForUser",
                    "cognito-idp:AdminAddUserToGroup",
                    "cognito-idp:AdminRemoveUserFromGroup",
                ],
                resources=[pool_arn],
            )
        )
        api_id = attach_http_routes(self, stage=stage, function=self.function.function, routes=ROUTES)
        lambda_.CfnPermission(
            self,
            "InvokedByHttpApi",
            action="lambda:InvokeFunction",
            function_name=self.function.function.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.format_arn(service="execute-api", resource=api_id, resource_name="*/*/users*"),
        )
        for stack_id in READS_FROM:
            other = scope.node.try_find_child(stack_id)
            if isinstance(other, cdk.Stack):
                self.add_dependency(other)
