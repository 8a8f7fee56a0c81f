"""WebStack: a private bucket read only by CloudFront through OAC, security headers, SPA routing, logs."""

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def template(app_synth: Synthesized) -> Template:
    return app_synth.assertions("WebStack")


def _distribution(template: Template) -> dict[str, Any]:
    (resource,) = template.find_resources("AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = resource["Properties"]["DistributionConfig"]
    return config


def test_given_the_site_bucket_then_it_is_private_and_ssl_only(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_given_the_distribution_then_it_reads_the_bucket_through_origin_access_control(
    template: Template,
) -> None:
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    (origin,) = _distribution(template)["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:GetObject",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Condition": {"StringEquals": {"AWS:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_given_a_deep_link_when_the_bucket_has_no_such_object_then_the_app_answers(
    template: Template,
) -> None:
    responses = {item["ErrorCode"]: item for item in _distribution(template)["CustomErrorResponses"]}
    assert set(responses) == {403, 404}
    for response in responses.values():
        assert response["ResponseCode"] == 200
        assert response["ResponsePagePath"] == "/index.html"
    assert _distribution(template)["DefaultRootObject"] == "index.html"


def test_given_any_response_then_security_headers_are_sent(template: Template) -> None:
    (policy,) = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    behavior = _distribution(template)["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "ResponseHeadersPolicyId" in behavior


def test_given_the_distribution_then_it_logs_to_the_access_log_bucket(template: Template) -> None:
    logging = _distribution(template)["Logging"]
    assert logging["Prefix"] == "cloudfront/"
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"LoggingConfiguration": {"DestinationBucketName": Match.any_value(), "LogFilePrefix": "s3/"}},
    )


def _web_stack(cdk_context: dict[str, Any], tmp_path: Any, **context: str) -> Template:
    import aws_cdk as cdk

    from infra.nag import add_nag_gate
    from infra.stacks.web_stack import WebStack

    app = cdk.App(outdir=str(tmp_path), context={**cdk_context, **context})
    add_nag_gate(app)
    stack = WebStack(app, "WebStack", stage="prod", env=cdk.Environment(region="us-east-1"))
    app.synth()  # the cdk-nag gate: every finding acknowledged or fixed
    return Template.from_stack(stack)


def test_given_the_default_context_then_no_waf_and_the_default_certificate(template: Template) -> None:
    template.resource_count_is("AWS::WAFv2::WebACL", 0)
    config = _distribution(template)
    assert "WebACLId" not in config
    assert "ViewerCertificate" not in config  # the *.cloudfront.net certificate


def test_given_a_custom_domain_and_the_waf_flag_then_tls_1_2_is_the_minimum_and_a_web_acl_fronts_it(
    cdk_context: dict[str, Any], tmp_path: Any
) -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
    template = _web_stack(cdk_context, tmp_path, **{"web:domainName": "watch.example.com",
                          "web:certificateArn": certificate, "web:waf": "true"})  # fmt: skip
    config = _distribution(template)
    assert config["Aliases"] == ["watch.example.com"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["AcmCertificateArn"] == certificate
    (acl_id,) = template.find_resources("AWS::WAFv2::WebACL")
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (acl,) = template.find_resources("AWS::WAFv2::WebACL").values()
    rules = {rule["Name"] for rule in acl["Properties"]["Rules"]}
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "RateLimitPerIp"} <= rules
