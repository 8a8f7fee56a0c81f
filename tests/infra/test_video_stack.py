"""VideoStack: table keys and GSIs, the API's routes and where the authorizer sits, scoped IAM, the rules."""

import json
from typing import Any

from aws_cdk.assertions import Match

from infra.stacks.video_stack import INDEXES, video_events_subscriptions
from services.video.repository import INDEX_KEYS
from services.video.routes import API_ROUTES
from shared.patterns import matches
from tests.infra.conftest import Synthesized
from tests.unit.video.support import event


def _resources(app_synth: Synthesized, kind: str) -> dict[str, Any]:
    return dict(app_synth.assertions("VideoStack").find_resources(kind))


def test_given_the_table_then_keys_and_indexes_match_what_the_repository_queries(
    app_synth: Synthesized,
) -> None:
    tables = {t["Properties"]["TableName"]: t for t in _resources(app_synth, "AWS::DynamoDB::Table").values()}
    assert set(tables) == {"dev-svideo-videos", "dev-svideo-video-search"}
    props = tables["dev-svideo-videos"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["PK", "SK"]
    indexes = {
        gsi["IndexName"]: tuple(k["AttributeName"] for k in gsi["KeySchema"])
        for gsi in props["GlobalSecondaryIndexes"]
    }
    assert indexes == dict(INDEXES) == {name: keys for name, keys in INDEX_KEYS.items() if name}


def test_given_the_search_table_then_its_keys_are_the_ones_the_search_store_reads(
    app_synth: Synthesized,
) -> None:
    tables = {t["Properties"]["TableName"]: t for t in _resources(app_synth, "AWS::DynamoDB::Table").values()}
    props = tables["dev-svideo-video-search"]["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    assert "GlobalSecondaryIndexes" not in props  # postings are read by key only, never scanned


def test_given_the_routes_then_only_signed_in_routes_carry_the_jwt_authorizer(app_synth: Synthesized) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in _resources(app_synth, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {route.key for route in API_ROUTES}
    for route in API_ROUTES:
        props = routes[route.key]
        if route.signed_in:
            assert props["AuthorizationType"] == "JWT" and "AuthorizerId" in props, route.key
        else:
            assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props, route.key
    assert not routes["GET /videos"].get("AuthorizerId")
    assert routes["DELETE /videos/{video_id}"]["AuthorizationType"] == "JWT"


def test_given_the_authorizer_then_issuer_and_audience_come_from_the_identity_parameters(
    app_synth: Synthesized,
) -> None:
    (authorizer,) = _resources(app_synth, "AWS::ApiGatewayV2::Authorizer").values()
    config = json.dumps(authorizer["Properties"]["JwtConfiguration"])
    parameters = json.dumps(app_synth.template("VideoStack")["Parameters"])
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert "identity/user-pool-issuer" in parameters and "identity/user-pool-client-id" in parameters
    assert config.count("Ref") == 2


def test_given_the_stage_then_it_throttles_and_writes_access_logs(app_synth: Synthesized) -> None:
    app_synth.assertions("VideoStack").has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "DefaultRouteSettings": {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50},
            "AccessLogSettings": Match.object_like({"DestinationArn": Match.any_value()}),
        },
    )


def test_given_the_media_bucket_then_it_is_encrypted_private_logged_and_ssl_only(
    app_synth: Synthesized,
) -> None:
    buckets = _resources(app_synth, "AWS::S3::Bucket")
    media = next(b for b in buckets.values() if "LoggingConfiguration" in b["Properties"])
    assert media["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert media["Properties"]["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["GET", "HEAD"]
    policies = json.dumps(_resources(app_synth, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies
    assert media["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in media["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["remove-expired-delete-markers"]["ExpiredObjectDeleteMarker"] is True


def test_given_the_catalog_consumer_then_it_has_reserved_concurrency(app_synth: Synthesized) -> None:
    functions = _resources(app_synth, "AWS::Lambda::Function").values()
    reserved = {
        f["Properties"]["Handler"]: f["Properties"].get("ReservedConcurrentExecutions") for f in functions
    }
    assert reserved["services.video.handlers.events.handler"] == 5
    assert reserved["services.video.handlers.sweeper.handler"] == 1


def test_given_the_functions_then_no_policy_grants_star_actions_or_other_tables(
    app_synth: Synthesized,
) -> None:
    for policy in _resources(app_synth, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith(":*") or a == "*" for a in actions), statement
            if any(a.startswith("dynamodb:") for a in actions):
                resource = json.dumps(statement["Resource"])
                assert "Catalog" in resource or "SearchIndex" in resource, statement


def test_given_the_catalog_rules_then_each_applied_event_matches_once_and_no_other_pairing() -> None:
    patterns = [dict(subscription.event_pattern) for subscription in video_events_subscriptions("dev")]
    for detail_type in (
        "Broadcast.Started",
        "Recording.Ended",
        "Video.Processed",
        "Lifecycle.Completed",
        "Video.ProcessingFailed",
        "Recording.Failed",
        "Channel.Created",
        "Titles.Generated",
        "Title.Selected",
    ):
        assert sum(matches(pattern, event(detail_type)) for pattern in patterns) == 1, detail_type
    forged = {**event("Recording.Ended"), "source": "svideo.video"}
    assert not any(matches(pattern, forged) for pattern in patterns)
    assert not any(
        matches(pattern, {**event("Broadcast.Started"), "detail-type": "Video.StatusChanged"})
        for pattern in patterns
    )


def test_given_the_queue_then_the_consumer_reports_batch_item_failures_and_has_a_dlq(
    app_synth: Synthesized,
) -> None:
    template = app_synth.assertions("VideoStack")
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"RedrivePolicy": Match.object_like({"maxReceiveCount": 8})}
    )


def test_given_the_sweeper_then_it_runs_on_a_rate_schedule(app_synth: Synthesized) -> None:
    app_synth.assertions("VideoStack").has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"}
    )


def test_given_the_stack_then_it_shares_the_api_and_media_bucket_through_ssm(app_synth: Synthesized) -> None:
    names = {p["Properties"]["Name"] for p in _resources(app_synth, "AWS::SSM::Parameter").values()}
    assert {
        "/svideo/dev/video/http-api-id",
        "/svideo/dev/video/http-api-authorizer-id",
        "/svideo/dev/video/api-url",
        "/svideo/dev/video/media-bucket-name",
        "/svideo/dev/video/media-bucket-arn",
    } <= names


def test_given_the_outbox_then_one_pipe_per_published_type_carries_inserts_from_the_stream_to_the_bus(
    app_synth: Synthesized,
) -> None:
    from services.video.domain import OUTBOX_EVENTS

    pipes = _resources(app_synth, "AWS::Pipes::Pipe")
    by_type = {
        p["Properties"]["TargetParameters"]["EventBridgeEventBusParameters"]["DetailType"]: p
        for p in pipes.values()
    }
    assert set(by_type) == {model.detail_type for model in OUTBOX_EVENTS}
    (table_id,) = [t for t in _resources(app_synth, "AWS::DynamoDB::Table") if t.startswith("Catalog")]
    dead_letters = [
        name for name in _resources(app_synth, "AWS::SQS::Queue") if name.startswith("OutboxDeadLetters")
    ]
    for detail_type, pipe in by_type.items():
        props = pipe["Properties"]
        assert props["Source"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
        assert "Bus" in json.dumps(props["Target"]) or "event-bus" in json.dumps(props["Target"])
        stream = props["SourceParameters"]["DynamoDBStreamParameters"]
        assert stream["StartingPosition"] == "TRIM_HORIZON" and stream["MaximumRetryAttempts"] > 0
        assert stream["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [dead_letters[0], "Arn"]}
        (criteria,) = props["SourceParameters"]["FilterCriteria"]["Filters"]
        pattern = json.loads(criteria["Pattern"])
        record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"outbox_type": {"S": detail_type}}}}
        assert matches(pattern, record)
        assert not matches(pattern, {**record, "eventName": "REMOVE"})  # a TTL expiry is not an event
        assert not matches(pattern, {**record, "dynamodb": {"NewImage": {"SK": {"S": "VIDEO"}}}})
        assert props["TargetParameters"]["InputTemplate"] == "<$.dynamodb.NewImage.detail.S>"
        assert props["TargetParameters"]["EventBridgeEventBusParameters"]["Source"] == "svideo.video"


def test_given_the_outbox_pipe_role_then_it_reads_only_the_stream_and_writes_only_the_bus_and_dlq(
    app_synth: Synthesized,
) -> None:
    policies = _resources(app_synth, "AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith("OutboxPipeRole")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {
        a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert actions == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "events:PutEvents",
        "sqs:SendMessage",
    }
    functions = [p for name, p in policies.items() if not name.startswith("OutboxPipeRole")]
    assert "events:PutEvents" not in json.dumps(functions)  # no function publishes: the outbox does
