"""The local cloud's IAM evaluator against the examples of AWS's IAM User Guide (policy evaluation logic,
policy elements, condition operators) and the condition keys the app's templates use."""

from __future__ import annotations

from typing import Any

import pytest

from local.iam.policy import Policy, Principal, denial_message, evaluate

ACCOUNT = "123456789012"
ROLE = Principal(
    arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/fn",
    account=ACCOUNT,
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/worker",
)
EVENTS = Principal(arn="events.amazonaws.com", account=ACCOUNT, service="events.amazonaws.com")


def policy(*statements: dict[str, Any], name: str = "p", resource: bool = False) -> Policy:
    return Policy.parse(
        name, {"Version": "2012-10-17", "Statement": list(statements)}, resource_policy=resource
    )


def allowed(
    action: str,
    resource: str | None,
    identity: list[Policy],
    resources: list[Policy] = (),  # type: ignore[assignment]
    context: dict[str, Any] | None = None,
    principal: Principal = ROLE,
) -> bool:
    return evaluate(principal, action, resource, context or {}, identity, resources).allowed


# --- "Example identity-based and resource-based policy evaluation" (carlossalazar and the logs bucket) ---
CARLOS = Principal(
    arn=f"arn:aws:iam::{ACCOUNT}:user/carlossalazar",
    account=ACCOUNT,
    role_arn=f"arn:aws:iam::{ACCOUNT}:user/carlossalazar",
)
CARLOS_POLICY = policy(
    {
        "Sid": "AllowS3ListRead",
        "Effect": "Allow",
        "Action": [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "Resource": "arn:aws:s3:::*",
    },
    {
        "Sid": "AllowS3Self",
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar",
        ],
    },
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
)
LOGS_BUCKET_POLICY = policy(
    {
        "Sid": "AllowS3Logs",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"},
        "Action": "s3:*",
        "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
        ],
    },
    resource=True,
)


def test_given_carlos_policies_when_he_uses_the_logs_bucket_then_the_explicit_deny_wins() -> None:
    decision = evaluate(
        CARLOS,
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs",
        {},
        [CARLOS_POLICY],
        [LOGS_BUCKET_POLICY],
    )
    assert not decision.allowed and decision.reason == "explicit_deny" and decision.statement == "DenyS3Logs"


def test_given_carlos_policies_when_he_uses_his_own_bucket_then_it_is_allowed() -> None:
    assert allowed(
        "s3:PutObject",
        "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/report.csv",
        [CARLOS_POLICY],
        principal=CARLOS,
    )
    assert allowed("s3:ListAllMyBuckets", "arn:aws:s3:::x", [CARLOS_POLICY], principal=CARLOS)
    assert not allowed("s3:GetObject", "arn:aws:s3:::other-bucket/key", [CARLOS_POLICY], principal=CARLOS)


def test_given_same_account_when_only_the_resource_policy_allows_then_the_request_is_allowed() -> None:
    bucket = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE.role_arn},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
        resource=True,
    )
    assert allowed("s3:GetObject", "arn:aws:s3:::b/k", [], [bucket])


def test_given_a_resource_policy_naming_the_account_when_the_role_has_no_allow_then_it_is_denied() -> None:
    bucket = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:*",
            "Resource": "*",
        },
        resource=True,
    )
    assert not allowed("s3:GetObject", "arn:aws:s3:::b/k", [], [bucket])


def test_given_no_policy_when_anything_is_asked_then_it_is_implicitly_denied() -> None:
    decision = evaluate(ROLE, "s3:PutObject", "arn:aws:s3:::b/k", {}, [])
    assert decision.reason == "implicit_deny"
    assert denial_message(ROLE, "s3:PutObject", "arn:aws:s3:::b/k", decision) == (
        f"User: {ROLE.arn} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::b/k "
        "because no identity-based policy allows the s3:PutObject action"
    )


# --- policy elements: NotAction, NotResource, wildcards ---
def test_given_not_action_iam_when_other_services_are_called_then_only_iam_is_left_out() -> None:
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert allowed("s3:GetObject", "arn:aws:s3:::b/k", [everything_but_iam])
    assert not allowed("iam:CreateUser", "*", [everything_but_iam])


def test_given_a_deny_with_not_resource_when_outside_the_payroll_folder_then_it_is_denied() -> None:
    documents = [
        policy(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
            },
        )
    ]
    assert allowed("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv", documents)
    assert not allowed("s3:GetObject", "arn:aws:s3:::HRBucket/Other/jan.csv", documents)


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("iam:*AccessKey*", "iam:ListAccessKeys", True),
        ("S3:getobject", "s3:GetObject", True),  # action names are case-insensitive
        ("sqs:?eceiveMessage", "sqs:ReceiveMessage", True),
        ("sqs:?eceiveMessage", "sqs:XXeceiveMessage", False),
        ("*", "dynamodb:PutItem", True),
    ],
)
def test_given_wildcards_in_action_when_matched_then_as_aws_matches(
    pattern: str, action: str, expected: bool
) -> None:
    assert allowed(action, "*", [policy({"Effect": "Allow", "Action": pattern, "Resource": "*"})]) is expected


def test_given_a_resource_wildcard_when_matched_then_it_crosses_slashes_and_is_case_sensitive() -> None:
    grant = [policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/videos/*"})]
    assert allowed("s3:GetObject", "arn:aws:s3:::b/videos/v1/poster.jpg", grant)
    assert not allowed("s3:GetObject", "arn:aws:s3:::b/Videos/v1/poster.jpg", grant)
    assert not allowed("s3:GetObject", "arn:aws:s3:::b/recordings/x", grant)


# --- conditions ---
def test_given_multiple_values_they_are_ored_and_multiple_keys_are_anded() -> None:
    grant = [
        policy(
            {
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "events:source": ["svideo.video", "svideo.channel"],
                        "events:detail-type": "Video.Published",
                    }
                },
            }
        )
    ]
    assert allowed(
        "events:PutEvents",
        "*",
        grant,
        context={"events:source": "svideo.channel", "events:detail-type": "Video.Published"},
    )
    assert not allowed(
        "events:PutEvents",
        "*",
        grant,
        context={"events:source": "svideo.channel", "events:detail-type": "Other"},
    )
    assert not allowed(
        "events:PutEvents",
        "*",
        grant,
        context={"events:source": "svideo.plugins", "events:detail-type": "Video.Published"},
    )


def test_given_a_key_missing_from_the_request_then_positive_operators_fail_and_negated_ones_hold() -> None:
    positive = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        )
    ]
    negated = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:SourceAccount": "999"}},
            }
        )
    ]
    if_exists = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}},
            }
        )
    ]
    assert not allowed("s3:GetObject", "*", positive)
    assert allowed("s3:GetObject", "*", negated)
    assert allowed("s3:GetObject", "*", if_exists)
    assert not allowed("s3:GetObject", "*", if_exists, context={"ec2:InstanceType": "m5.large"})


def test_given_null_and_bool_operators_then_presence_and_booleans_are_checked() -> None:
    ssl_only = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    assert allowed("s3:GetObject", "*", [ssl_only], context={"aws:SecureTransport": True})
    assert not allowed("s3:GetObject", "*", [ssl_only], context={"aws:SecureTransport": False})
    no_tag = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Null": {"aws:TokenIssueTime": "true"}},
            }
        )
    ]
    assert allowed("s3:GetObject", "*", no_tag)
    assert not allowed("s3:GetObject", "*", no_tag, context={"aws:TokenIssueTime": "2026-12-04T00:00:00Z"})


def test_given_set_operators_then_for_all_values_holds_on_empty_and_for_any_value_does_not() -> None:
    def grant(operator: str) -> list[Policy]:
        return [
            policy(
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {operator: {"aws:TagKeys": ["environment", "cost-center"]}},
                }
            )
        ]

    assert allowed("s3:TagResource", "*", grant("ForAllValues:StringEquals"))
    assert allowed(
        "s3:TagResource", "*", grant("ForAllValues:StringEquals"), context={"aws:TagKeys": ["environment"]}
    )
    assert not allowed(
        "s3:TagResource",
        "*",
        grant("ForAllValues:StringEquals"),
        context={"aws:TagKeys": ["environment", "x"]},
    )
    assert not allowed("s3:TagResource", "*", grant("ForAnyValue:StringEquals"))
    assert allowed(
        "s3:TagResource",
        "*",
        grant("ForAnyValue:StringEquals"),
        context={"aws:TagKeys": ["x", "cost-center"]},
    )


def test_given_numeric_date_and_ip_operators_then_values_are_compared_by_type() -> None:
    def grant(condition: dict[str, Any]) -> list[Policy]:
        return [policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition})]

    assert allowed(
        "s3:ListBucket",
        "*",
        grant({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        context={"s3:max-keys": "9"},
    )
    assert not allowed(
        "s3:ListBucket",
        "*",
        grant({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        context={"s3:max-keys": "11"},
    )
    window = {
        "DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
        "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
    }
    assert allowed("s3:GetObject", "*", grant(window), context={"aws:CurrentTime": "2026-12-04T01:00:00Z"})
    assert not allowed(
        "s3:GetObject", "*", grant(window), context={"aws:CurrentTime": "2027-02-01T00:00:00Z"}
    )
    assert allowed(
        "s3:GetObject",
        "*",
        grant({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        context={"aws:SourceIp": "203.0.113.7"},
    )
    assert not allowed(
        "s3:GetObject",
        "*",
        grant({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        context={"aws:SourceIp": "198.51.100.1"},
    )


def test_given_condition_keys_are_case_insensitive_and_values_are_not() -> None:
    grant = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}},
            }
        )
    ]
    assert allowed("sqs:SendMessage", "*", grant, context={"aws:sourceaccount": ACCOUNT})
    ignore_case = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEqualsIgnoreCase": {"events:source": "SVIDEO.VIDEO"}},
            }
        )
    ]
    assert allowed("events:PutEvents", "*", ignore_case, context={"events:source": "svideo.video"})


def test_given_s3_prefix_condition_when_listing_then_only_the_granted_prefix_is_listed() -> None:
    grant = [
        policy(
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::media",
                "Condition": {"StringLike": {"s3:prefix": ["videos/*"]}},
            }
        )
    ]
    assert allowed("s3:ListBucket", "arn:aws:s3:::media", grant, context={"s3:prefix": "videos/v1/"})
    assert not allowed("s3:ListBucket", "arn:aws:s3:::media", grant, context={"s3:prefix": "recordings/"})
    assert not allowed("s3:ListBucket", "arn:aws:s3:::media", grant)


def test_given_a_lambda_permission_for_a_rule_when_eventbridge_invokes_then_the_source_arn_decides() -> None:
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/svideo/on-video"
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
    permission = policy(
        {
            "Sid": "events",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": function,
            "Condition": {"ArnLike": {"AWS:SourceArn": rule}},
        },
        resource=True,
    )
    assert allowed("lambda:InvokeFunction", function, [], [permission], {"aws:SourceArn": rule}, EVENTS)
    other = {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/svideo/other"}
    assert not allowed("lambda:InvokeFunction", function, [], [permission], other, EVENTS)
    # a role of the account is not the service principal the permission names
    assert not allowed("lambda:InvokeFunction", function, [], [permission], {"aws:SourceArn": rule})


def test_given_arn_like_then_each_arn_part_is_matched_on_its_own() -> None:
    grant = [
        policy(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:123456789012:rule/*"}},
            }
        )
    ]
    assert allowed(
        "sqs:SendMessage",
        "*",
        grant,
        context={"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/r"},
    )
    assert not allowed(
        "sqs:SendMessage",
        "*",
        grant,
        context={"aws:SourceArn": "arn:aws:events:us-east-1:999999999999:rule/r"},
    )


def test_given_policy_variables_then_they_are_replaced_from_the_request_context() -> None:
    grant = [
        policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::home/${aws:PrincipalAccount}/*",
            }
        )
    ]
    assert allowed(
        "s3:GetObject", f"arn:aws:s3:::home/{ACCOUNT}/f", grant, context={"aws:PrincipalAccount": ACCOUNT}
    )
    assert not allowed(
        "s3:GetObject", "arn:aws:s3:::home/999/f", grant, context={"aws:PrincipalAccount": ACCOUNT}
    )
    assert not allowed("s3:GetObject", f"arn:aws:s3:::home/{ACCOUNT}/f", grant)


def test_given_an_explicit_deny_in_a_resource_policy_then_it_overrides_the_identity_allow() -> None:
    identity = [policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})]
    queue = policy(
        {"Sid": "NoOne", "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"},
        resource=True,
    )
    decision = evaluate(ROLE, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", {}, identity, [queue])
    assert decision.reason == "explicit_deny" and decision.resource_policy
    assert "with an explicit deny in a resource-based policy" in denial_message(
        ROLE, "sqs:SendMessage", "q", decision
    )
