"""ChannelStack: IVS recording configuration, bucket, table, the IVS events subscription and IAM scope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match

from infra.stacks.channel_stack import DEFAULT_RECONNECT_WINDOW_SECONDS, ROUTES, ivs_events_subscription
from shared.patterns import matches
from tests.infra.conftest import Synthesized

STACK = "ChannelStack"


def _of_type(template: dict[str, Any], cfn_type: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == cfn_type]


def _ivs_event(detail_type: str, channel_name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e1",
        "detail-type": detail_type,
        "source": "aws.ivs",
        "account": "123456789012",
        "time": "2026-11-22T14:05:02Z",
        "region": "us-west-2",
        "resources": ["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],
        "detail": {"event_name": "Stream Start", "channel_name": channel_name, "stream_id": "st-1"},
    }


def test_given_the_recording_configuration_then_it_records_to_the_stack_bucket_with_interval_thumbnails(
    app_synth: Synthesized,
) -> None:
    app_synth.assertions(STACK).has_resource_properties(
        "AWS::IVS::RecordingConfiguration",
        {
            "DestinationConfiguration": {
                "S3": {"BucketName": {"Ref": Match.string_like_regexp("Recordings")}}
            },
            "RecordingReconnectWindowSeconds": DEFAULT_RECONNECT_WINDOW_SECONDS,
            "ThumbnailConfiguration": Match.object_like({"RecordingMode": "INTERVAL"}),
        },
    )


def test_given_the_recording_bucket_then_it_is_private_ssl_only_versioned_and_expires_raw_recordings(
    app_synth: Synthesized,
) -> None:
    template = app_synth.template(STACK)
    (bucket,) = _of_type(template, "AWS::S3::Bucket")
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {
        "expire-raw-recordings",
        "expire-noncurrent-versions",
        "remove-expired-delete-markers",
        "abort-uploads",
    }
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    (policy,) = _of_type(template, "AWS::S3::BucketPolicy")
    assert '"aws:SecureTransport": "false"' in json.dumps(policy)


def test_given_the_ivs_events_rule_then_it_matches_this_stages_channels_only(app_synth: Synthesized) -> None:
    rules = _of_type(app_synth.template(STACK), "AWS::Events::Rule")
    (rule,) = [r for r in rules if r["EventBusName"] == "default"]
    pattern = rule["EventPattern"]

    assert pattern == dict(ivs_events_subscription("dev").event_pattern)
    assert matches(pattern, _ivs_event("IVS Stream State Change", "dev-svideo-ch-0123456789ab"))
    assert matches(pattern, _ivs_event("IVS Recording State Change", "dev-svideo-ch-0123456789ab"))
    assert not matches(pattern, _ivs_event("IVS Stream State Change", "prod-svideo-ch-0123456789ab"))
    assert not matches(pattern, _ivs_event("IVS Stream Health Change", "dev-svideo-ch-0123456789ab"))
    assert rule["Targets"][0]["DeadLetterConfig"]["Arn"]


def test_given_the_ivs_events_queue_then_the_function_reports_batch_item_failures_and_the_queue_has_a_dlq(
    app_synth: Synthesized,
) -> None:
    template = app_synth.assertions(STACK)
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"RedrivePolicy": Match.object_like({"maxReceiveCount": 5})}
    )


def test_given_the_channels_table_then_it_has_the_three_indexes_ttl_and_pitr(app_synth: Synthesized) -> None:
    (table,) = _of_type(app_synth.template(STACK), "AWS::DynamoDB::Table")
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"by-owner", "by-ivs-channel", "live"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_given_the_routes_then_signed_in_ones_use_the_shared_jwt_authorizer_and_public_ones_none(
    app_synth: Synthesized,
) -> None:
    routes = {r["RouteKey"]: r for r in _of_type(app_synth.template(STACK), "AWS::ApiGatewayV2::Route")}

    assert set(routes) == {f"{method} {path}" for method, path, _ in ROUTES}
    for method, path, signed_in in ROUTES:
        route = routes[f"{method} {path}"]
        assert route["AuthorizationType"] == ("JWT" if signed_in else "NONE")
        assert ("AuthorizerId" in route) is signed_in


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in _of_type(template, "AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]


def test_given_ivs_permissions_then_every_wildcard_channel_or_key_arn_is_conditioned_on_the_stage_tag(
    app_synth: Synthesized,
) -> None:
    ivs = [s for s in _statements(app_synth.template(STACK)) if any("ivs:" in a for a in _actions(s))]

    assert ivs
    for statement in ivs:
        if "/*" in json.dumps(statement["Resource"]):
            condition = statement["Condition"]["StringEquals"]
            assert condition in ({"aws:ResourceTag/stage": "dev"}, {"aws:RequestTag/stage": "dev"})


def test_given_every_statement_then_no_resource_is_a_bare_star_except_xray(app_synth: Synthesized) -> None:
    for statement in _statements(app_synth.template(STACK)):
        if statement["Resource"] == "*":
            assert all(a.startswith("xray:") for a in _actions(statement)), statement


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_given_a_deleted_video_then_the_channel_stack_hears_of_it_on_the_svideo_bus(
    app_synth: Synthesized,
) -> None:

    rules = [
        r for r in _of_type(app_synth.template(STACK), "AWS::Events::Rule") if r["EventBusName"] != "default"
    ]
    (rule,) = rules
    changed = json.loads(
        (Path(__file__).resolve().parents[1] / "events/svideo.video/Video.StatusChanged.json").read_text()
    )
    changed["detail"] |= {"from": "published", "to": "deleted"}
    assert matches(rule["EventPattern"], changed)
    changed["detail"]["to"] = "failed"
    assert not matches(rule["EventPattern"], changed)
