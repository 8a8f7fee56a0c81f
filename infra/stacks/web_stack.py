"""The web app's hosting: a private S3 bucket behind CloudFront (OAC), security headers, SPA routing."""

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.nag import acknowledge

LOG_RETENTION = cdk.Duration.days(90)
# Context: `web:domainName` + `web:certificateArn` (ACM, us-east-1) serve the app on a custom domain with
# TLS 1.2 as the minimum; `web:waf=true` puts a WAF web ACL in front (scope CLOUDFRONT: deploy in us-east-1).
DOMAIN_CONTEXT, CERTIFICATE_CONTEXT, WAF_CONTEXT = "web:domainName", "web:certificateArn", "web:waf"
WAF_RATE_LIMIT = 2000  # requests per 5 minutes per client IP
WAF_MANAGED_RULES = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                     "AWSManagedRulesAmazonIpReputationList")  # fmt: skip
# The app calls the API, Cognito and the WebSocket on other hosts, named at run time by config.json.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; "
    "media-src 'self' https: blob:; connect-src 'self' https: wss:; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


class WebStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="svideo web app: S3 + CloudFront", **kwargs)
        self.stage = stage
        logs = self._log_bucket()
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="s3/",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        domain = self.node.try_get_context(DOMAIN_CONTEXT)
        certificate_arn = self.node.try_get_context(CERTIFICATE_CONTEXT)
        custom_domain = bool(domain and certificate_arn)
        waf = str(self.node.try_get_context(WAF_CONTEXT) or "false").lower() == "true"
        self.web_acl = self._web_acl() if waf else None
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"svideo web app ({stage})",
            domain_names=[str(domain)] if custom_domain else None,
            certificate=(
                acm.Certificate.from_certificate_arn(self, "Certificate", str(certificate_arn))
                if custom_domain
                else None
            ),
            # Only a custom certificate can pin TLS; the default *.cloudfront.net one ignores it.
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if custom_domain else None
            ),
            web_acl_id=self.web_acl.attr_arn if self.web_acl else None,
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self._headers(),
                compress=True,
            ),
            # Deep links (/watch/<id>) are app routes: the bucket answers 403/404, the app answers 200.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path="/index.html",
                    ttl=cdk.Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
        )
        cdk.CfnOutput(self, "BucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(self, "Url", value=f"https://{self.distribution.distribution_domain_name}")
        self._acknowledge(custom_domain=custom_domain, waf=waf)

    def _web_acl(self) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        managed = [
            wafv2.CfnWebACL.RuleProperty(
                name=name, priority=index, override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name)),
                visibility_config=visibility(name),
            )
            for index, name in enumerate(WAF_MANAGED_RULES)
        ]  # fmt: skip
        rate = wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp", priority=len(managed), action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=WAF_RATE_LIMIT, aggregate_key_type="IP")),
            visibility_config=visibility("RateLimitPerIp"),
        )  # fmt: skip
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[*managed, rate],
            visibility_config=visibility(f"svideo-web-{self.stage}"),
        )

    def _log_bucket(self) -> s3.Bucket:
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,  # CloudFront writes its logs with ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=LOG_RETENTION)],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            logs, "AwsSolutions-S1", "This is the access-log bucket; logging it into itself would loop"
        )
        return logs

    def _headers(self) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="svideo web app security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )

    def _acknowledge(self, *, custom_domain: bool, waf: bool) -> None:
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "A public video platform for viewers anywhere: no country is restricted",
        )
        if not waf:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR2",
                "Static, read-only, cached files; `-c web:waf=true` adds a WAF web ACL (managed rules)",
            )
        if not custom_domain:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "The default *.cloudfront.net certificate cannot pin TLS; with `-c web:domainName=... "
                "-c web:certificateArn=...` the distribution requires TLSv1.2_2021",
            )
