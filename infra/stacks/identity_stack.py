"""Identity: the Cognito user pool (email sign-in, groups), the app client the web app and CLI share, and the
post-confirmation trigger that makes users of the stage's allowed email domains broadcasters."""

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.parameters import publish_parameters
from infra.constructs.service_function import ServiceFunction
from infra.nag import acknowledge
from infra.naming import IdentityParameter, resource_name

# Context: whose sign-ups become broadcasters at confirmation, as `{"<stage>": "example.com,b.example.org"}`
# in cdk.json or `-c identity:broadcasterEmailDomains=example.com` for one deploy. Empty: everyone starts as
# a viewer and an operator grants the role (`svideo users grant broadcaster <email>`).
BROADCASTER_DOMAINS_CONTEXT = "identity:broadcasterEmailDomains"

GROUPS: Mapping[str, str] = {
    "broadcaster": "Creates channels, goes live, manages their own videos",
    "plugin-developer": "Registers and tests plugins",
    "admin": "Sees and manages every video and channel",
}


class IdentityStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        description = "svideo identity: user pool, groups, app client"
        super().__init__(scope, construct_id, description=description, **kwargs)
        self.stage = stage
        production = stage == "prod"
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=resource_name(stage, "users"),
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=True,  # viewers sign up themselves; groups are granted by an admin
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=production,
            removal_policy=cdk.RemovalPolicy.RETAIN if production else cdk.RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP offered): viewers sign up to watch; mandatory MFA would gate viewing.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG3",
            "Threat protection needs the Plus feature plan (per-MAU cost); enable it per stage if warranted.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Essentials plan: Plus (threat protection) is a per-MAU cost decision per stage, not a default.",
        )
        self.post_confirmation = self._post_confirmation()
        for name, description in GROUPS.items():
            cognito.CfnUserPoolGroup(
                self,
                f"Group-{name}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=description,
            )
        # A public client (no secret: browsers and laptops); SRP for the web, password auth for the CLI.
        self.client = self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=resource_name(stage, "app"),
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            enable_token_revocation=True,
        )
        issuer = f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool.user_pool_id}"
        publish_parameters(
            self,
            stage,
            {
                IdentityParameter.USER_POOL_ID: self.user_pool.user_pool_id,
                IdentityParameter.USER_POOL_ARN: self.user_pool.user_pool_arn,
                IdentityParameter.USER_POOL_CLIENT_ID: self.client.user_pool_client_id,
                IdentityParameter.USER_POOL_ISSUER: issuer,
            },
        )

    def _post_confirmation(self) -> ServiceFunction:
        domains = self.node.try_get_context(BROADCASTER_DOMAINS_CONTEXT) or ""
        if isinstance(domains, dict):
            domains = domains.get(self.stage, "")
        if isinstance(domains, list | tuple):
            domains = ",".join(str(domain) for domain in domains)
        function = ServiceFunction(
            self,
            "PostConfirmation",
            service="identity",
            handler="services.identity.handlers.post_confirmation.handler",
            description="svideo identity: broadcaster role at sign-up for the stage's allowed email domains",
            environment={"BROADCASTER_EMAIL_DOMAINS": str(domains)},
            timeout=cdk.Duration.seconds(5),  # Cognito waits at most 5 s for a trigger
        )
        self.user_pool.add_trigger(cognito.UserPoolOperation.POST_CONFIRMATION, function.function)
        # A policy of its own: in the role's default policy, the pool's ARN would make the function (which
        # the pool names as its trigger) depend on the pool, a cycle.
        iam.Policy(
            self,
            "PostConfirmationGroups",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(
                    actions=["cognito-idp:AdminAddUserToGroup"], resources=[self.user_pool.user_pool_arn]
                )
            ],
        )
        return function
