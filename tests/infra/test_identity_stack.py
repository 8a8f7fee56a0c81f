"""IdentityStack: email sign-in, a strong password policy, the three groups, a secretless app client, SSM."""

from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized


def test_given_the_user_pool_then_users_sign_in_with_email_and_strong_passwords(
    app_synth: Synthesized,
) -> None:
    template = app_synth.assertions("IdentityStack")
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                )
            },
        },
    )


def test_given_the_groups_then_broadcaster_plugin_developer_and_admin_exist(app_synth: Synthesized) -> None:
    groups = app_synth.assertions("IdentityStack").find_resources("AWS::Cognito::UserPoolGroup")
    assert sorted(g["Properties"]["GroupName"] for g in groups.values()) == [
        "admin",
        "broadcaster",
        "plugin-developer",
    ]


def test_given_the_app_client_then_it_has_no_secret_and_allows_srp_and_password_auth(
    app_synth: Synthesized,
) -> None:
    (client,) = app_synth.assertions("IdentityStack").find_resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False and props["PreventUserExistenceErrors"] == "ENABLED"
    assert {"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"} <= set(props["ExplicitAuthFlows"])


def test_given_the_stack_then_pool_id_client_id_and_issuer_are_in_ssm(app_synth: Synthesized) -> None:
    parameters = app_synth.assertions("IdentityStack").find_resources("AWS::SSM::Parameter")
    names = {p["Properties"]["Name"] for p in parameters.values()}
    assert {
        "/svideo/dev/identity/user-pool-id",
        "/svideo/dev/identity/user-pool-client-id",
        "/svideo/dev/identity/user-pool-issuer",
    } <= names
