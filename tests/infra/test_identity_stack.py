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


def test_given_the_pool_then_a_post_confirmation_trigger_may_only_add_users_to_groups_of_this_pool(
    app_synth: Synthesized,
) -> None:
    template = app_synth.template("IdentityStack")
    (pool,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPool"]
    trigger = pool["Properties"]["LambdaConfig"]["PostConfirmation"]
    function_id = trigger["Fn::GetAtt"][0]
    assert template["Resources"][function_id]["Properties"]["Handler"].endswith("post_confirmation.handler")
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (groups,) = [s for s in statements if "cognito-idp:AdminAddUserToGroup" in str(s["Action"])]
    assert groups["Action"] == "cognito-idp:AdminAddUserToGroup"
    assert groups["Resource"] == {
        "Fn::GetAtt": [next(k for k, r in template["Resources"].items() if r is pool), "Arn"]
    }


def test_given_the_users_stack_then_its_routes_need_a_signed_in_caller_and_its_role_only_this_pool(
    app_synth: Synthesized,
) -> None:
    template = app_synth.template("UsersStack")
    routes = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Route"
    ]
    assert sorted(r["RouteKey"] for r in routes) == [
        "DELETE /users/{username}/roles/{role}",
        "GET /users",
        "PUT /users/{username}/roles/{role}",
    ]
    assert {r["AuthorizationType"] for r in routes} == {"JWT"}
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    cognito = [s for s in statements if "cognito-idp" in str(s["Action"])]
    assert len(cognito) == 1
    pool_arn = template["Parameters"][cognito[0]["Resource"]["Ref"]]["Default"]
    assert pool_arn == "/svideo/dev/identity/user-pool-arn"  # the identity stack's pool, from SSM
