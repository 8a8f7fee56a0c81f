"""EventBridge on the local cloud, through boto3 only: matching, input transformers, retries and DLQs,
archives and replay, TestEventPattern parity with shared.patterns, and AWS error codes for malformed calls."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.contracts import InvokeResult
from shared.patterns import matches
from tests.integration.local.helpers import StartCloud, queue

pytestmark = pytest.mark.timeout(60)


class FakeLambdas:
    """Records async invocations; functions named in `failing` answer 500 (a retryable target error)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing: set[str] = set()
        self._lock = threading.Lock()

    def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        invocation_type: str = "RequestResponse",
        qualifier: str | None = None,
    ) -> InvokeResult:
        with self._lock:
            self.calls.append((function, json.loads(payload)))
        if function.rsplit(":", 1)[-1] in self.failing:
            return InvokeResult(status_code=500, payload=b'{"message": "Service error"}')
        return InvokeResult(status_code=202, payload=b"")


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    return start_cloud(lambdas=FakeLambdas(), events={"retry_time_scale": 0.001})


def raw_client(cloud: LocalCloud, service: str) -> Any:
    """A client that skips botocore's own parameter validation, to send what a careless caller would."""
    return boto3.client(
        service,
        endpoint_url=cloud.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def receive(cloud: LocalCloud, url: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        messages += sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if len(messages) < count:
            time.sleep(0.05)
    return messages


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def put(
    cloud: LocalCloud,
    bus: str,
    detail: dict[str, Any],
    detail_type: str = "Recording.Ended",
    source: str = "svideo.channel",
) -> str:
    result = cloud.client("events").put_events(
        Entries=[
            {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
        ]
    )
    assert result["FailedEntryCount"] == 0, result
    return str(result["Entries"][0]["EventId"])


def test_given_a_numeric_filter_rule_to_sqs_when_two_events_are_put_then_only_the_matching_one_arrives(cloud):
    events = cloud.client("events")
    events.create_event_bus(Name="numeric")
    url, arn = queue(cloud, "long-recordings")
    events.put_rule(
        Name="long",
        EventBusName="numeric",
        EventPattern=json.dumps(
            {
                "source": ["svideo.channel"],
                "detail": {"recording": {"duration_ms": [{"numeric": [">", 900000]}]}},
            }
        ),
    )
    events.put_targets(Rule="long", EventBusName="numeric", Targets=[{"Id": "q", "Arn": arn}])

    short_id = put(cloud, "numeric", {"video_id": "short", "recording": {"duration_ms": 1000}})
    long_id = put(cloud, "numeric", {"video_id": "long", "recording": {"duration_ms": 1800000}})

    messages = receive(cloud, url, 1)
    time.sleep(0.2)
    messages += receive(cloud, url, 1, timeout=0.2)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["id"] for b in bodies] == [long_id]
    assert short_id != long_id
    assert bodies[0]["detail"]["video_id"] == "long" and bodies[0]["detail-type"] == "Recording.Ended"
    journal = [json.loads(line) for line in (cloud.state_dir / "events.jsonl").read_text().splitlines()]
    assert {short_id, long_id} <= {e["id"] for e in journal}


def test_given_an_input_transformer_when_the_event_matches_then_the_body_is_rendered_as_aws_does(cloud):
    events = cloud.client("events")
    url, arn = queue(cloud, "transformed")
    events.put_rule(Name="transform", EventPattern=json.dumps({"source": ["svideo.video"]}))
    events.put_targets(
        Rule="transform",
        Targets=[
            {
                "Id": "q",
                "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {
                        "video": "$.detail.video_id",
                        "n": "$.detail.n",
                        "tags": "$.detail.tags",
                        "missing": "$.detail.nothing",
                    },
                    "InputTemplate": '{"video": <video>, "n": <n>, "tags": <tags>,'
                    ' "text": "video <video> by <aws.events.rule-name>", "missing": <missing>}',
                },
            }
        ],
    )

    put(cloud, "default", {"video_id": "abc", "n": 3, "tags": ["a", "b"]}, source="svideo.video")

    [message] = receive(cloud, url, 1)
    assert message["Body"] == (
        '{"video": "abc", "n": 3, "tags": ["a","b"], "text": "video abc by transform", "missing": ""}'
    )


def test_given_a_template_with_an_undefined_placeholder_when_put_targets_then_validation_exception(cloud):
    events = cloud.client("events")
    events.put_rule(Name="bad-template", EventPattern=json.dumps({"source": ["x"]}))
    with pytest.raises(ClientError) as error:
        events.put_targets(
            Rule="bad-template",
            Targets=[
                {
                    "Id": "t1",
                    "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
                    "InputTransformer": {"InputPathsMap": {"a": "$.detail"}, "InputTemplate": '{"b": <b>}'},
                }
            ],
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "InputTemplate for target t1 contains invalid placeholder b." in str(error.value)


def test_given_a_failing_lambda_target_when_retries_run_out_then_the_event_reaches_the_dlq_with_attributes(
    cloud,
):
    events = cloud.client("events")
    lambdas: FakeLambdas = cloud.lambdas  # type: ignore[assignment]
    lambdas.failing.add("broken")
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:broken"
    dlq_url, dlq_arn = queue(cloud, "broken-dlq")
    events.put_rule(Name="to-broken", EventPattern=json.dumps({"detail-type": ["Plugin.Invoked"]}))
    events.put_targets(
        Rule="to-broken",
        Targets=[
            {
                "Id": "fn",
                "Arn": function_arn,
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )

    event_id = put(
        cloud, "default", {"plugin": "titles"}, detail_type="Plugin.Invoked", source="svideo.plugins"
    )

    [message] = receive(cloud, dlq_url, 1)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == "arn:aws:events:us-east-1:123456789012:rule/to-broken"
    assert attributes["TARGET_ARN"] == function_arn
    assert attributes["ERROR_CODE"] == "INTERNAL_ERROR"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert "ERROR_MESSAGE" in attributes
    assert json.loads(message["Body"])["id"] == event_id
    assert sum(1 for f, _ in lambdas.calls if f == function_arn) == 3


def test_given_a_missing_queue_target_when_delivered_then_it_goes_to_the_dlq_without_retries(cloud):
    events = cloud.client("events")
    dlq_url, dlq_arn = queue(cloud, "gone-dlq")
    events.put_rule(Name="to-gone", EventPattern=json.dumps({"detail-type": ["Gone"]}))
    events.put_targets(
        Rule="to-gone",
        Targets=[
            {
                "Id": "q",
                "Arn": "arn:aws:sqs:us-east-1:123456789012:nope",
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )
    put(cloud, "default", {"x": 1}, detail_type="Gone")
    [message] = receive(cloud, dlq_url, 1)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_given_a_template_rendering_invalid_json_when_delivered_then_the_dlq_gets_invalid_json(cloud):
    events = cloud.client("events")
    dlq_url, dlq_arn = queue(cloud, "invalid-json-dlq")
    _, target_arn = queue(cloud, "invalid-json-target")
    events.put_rule(Name="invalid-json", EventPattern=json.dumps({"detail-type": ["Quoted"]}))
    events.put_targets(
        Rule="invalid-json",
        Targets=[
            {
                "Id": "q",
                "Arn": target_arn,
                "DeadLetterConfig": {"Arn": dlq_arn},
                "InputTransformer": {
                    "InputPathsMap": {"t": "$.detail.title"},
                    "InputTemplate": '{"text": "title <t>"}',
                },
            }
        ],
    )
    put(cloud, "default", {"title": 'say "hi"'}, detail_type="Quoted")
    [message] = receive(cloud, dlq_url, 1)
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "INVALID_JSON"


def test_given_an_object_inside_quotes_when_delivered_then_that_target_is_dropped_not_the_others(cloud):
    events = cloud.client("events")
    dlq_url, dlq_arn = queue(cloud, "quoted-object-dlq")
    bad_url, bad_arn = queue(cloud, "quoted-object-target")
    good_url, good_arn = queue(cloud, "quoted-object-good")
    events.put_rule(Name="quoted-object", EventPattern=json.dumps({"detail-type": ["QuotedObject"]}))
    template = '{"rule": <aws.events.rule-name>, "text": "detail is <d>"}'
    events.put_targets(
        Rule="quoted-object",
        Targets=[
            {
                "Id": "bad",
                "Arn": bad_arn,
                "DeadLetterConfig": {"Arn": dlq_arn},
                "InputTransformer": {"InputPathsMap": {"d": "$.detail"}, "InputTemplate": template},
            },
            {
                "Id": "good",
                "Arn": good_arn,
                "InputTransformer": {
                    "InputPathsMap": {"d": "$.detail"},
                    "InputTemplate": '{"rule": <aws.events.rule-name>, "detail": <d>}',
                },
            },
        ],
    )
    put(cloud, "default", {"k": "v"}, detail_type="QuotedObject")
    [delivered] = receive(cloud, good_url, 1)
    assert json.loads(delivered["Body"]) == {"rule": "quoted-object", "detail": {"k": "v"}}
    [dead] = receive(cloud, dlq_url, 1)
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "INVALID_JSON"
    assert receive(cloud, bad_url, 1, timeout=1.0) == []


def test_given_dotted_and_list_forms_when_rules_are_put_then_delivery_follows_aws(cloud):
    events = cloud.client("events")
    url, arn = queue(cloud, "dotted-forms")
    pattern = {
        "detail.recording.bucket": ["media"],
        "detail": {"channel_id": [{"anything-but": {"prefix": ["test-", "tmp-"]}}]},
    }
    events.put_rule(Name="dotted-forms", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="dotted-forms", Targets=[{"Id": "q", "Arn": arn, "InputPath": "$.detail.n"}])
    put(cloud, "default", {"n": 1, "channel_id": "ch-1", "recording": {"bucket": "media"}}, detail_type="D")
    put(cloud, "default", {"n": 2, "channel_id": "tmp-1", "recording": {"bucket": "media"}}, detail_type="D")
    put(cloud, "default", {"n": 3, "channel_id": "ch-2", "recording.bucket": "media"}, detail_type="D")
    put(cloud, "default", {"n": 4, "channel_id": "ch-3", "recording": {"bucket": "other"}}, detail_type="D")
    bodies = sorted(int(message["Body"]) for message in receive(cloud, url, 2))
    assert bodies == [1, 3]
    assert receive(cloud, url, 1, timeout=1.0) == []
    with pytest.raises(ClientError) as refused:
        events.put_rule(Name="too-complex", EventPattern=json.dumps({"a": [{"wildcard": "*a" * 60}]}))
    assert refused.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert "Rule is too complex" in refused.value.response["Error"]["Message"]


def test_given_an_archive_when_replayed_then_events_are_redelivered_with_replay_name(cloud):
    events = cloud.client("events")
    events.create_event_bus(Name="archived")
    bus_arn = events.describe_event_bus(Name="archived")["Arn"]
    url, arn = queue(cloud, "replayed")
    archive_arn = events.create_archive(
        ArchiveName="all", EventSourceArn=bus_arn, EventPattern=json.dumps({"source": ["svideo.video"]})
    )["ArchiveArn"]
    start = time.time() - 1
    first = put(cloud, "archived", {"video_id": "v1"}, source="svideo.video")
    put(cloud, "archived", {"video_id": "other"}, source="svideo.other")
    assert wait_for(lambda: events.describe_archive(ArchiveName="all")["EventCount"] == 1)
    rule_arn = events.put_rule(
        Name="late", EventBusName="archived", EventPattern=json.dumps({"source": ["svideo.video"]})
    )["RuleArn"]
    events.put_targets(Rule="late", EventBusName="archived", Targets=[{"Id": "q", "Arn": arn}])

    events.start_replay(
        ReplayName="again",
        EventSourceArn=archive_arn,
        EventStartTime=start,
        EventEndTime=time.time() + 1,
        Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )

    assert wait_for(lambda: events.describe_replay(ReplayName="again")["State"] == "COMPLETED")
    [message] = receive(cloud, url, 1)
    body = json.loads(message["Body"])
    assert body["id"] == first and body["replay-name"] == "again"


PATTERN_CASES = [
    ({"source": ["svideo.channel"]}, {"source": "svideo.channel"}),
    ({"source": ["svideo.channel"]}, {"source": "svideo.video"}),
    ({"detail": {"duration_ms": [{"numeric": [">", 900000]}]}}, {"detail": {"duration_ms": 900001}}),
    ({"detail": {"duration_ms": [{"numeric": [">", 900000]}]}}, {"detail": {"duration_ms": 900000}}),
    ({"detail": {"plugin": [{"prefix": "tit"}]}}, {"detail": {"plugin": "titles"}}),
    ({"detail": {"plugin": [{"anything-but": ["titles"]}]}}, {"detail": {"plugin": "titles"}}),
    ({"detail": {"plugin": [{"exists": False}]}}, {"detail": {}}),
    ({"detail": {"tags": ["a"]}}, {"detail": {"tags": ["b", "a"]}}),
    ({"detail": {"flag": [True]}}, {"detail": {"flag": "true"}}),
    ({"$or": [{"source": ["a"]}, {"detail": {"x": [1]}}]}, {"source": "b", "detail": {"x": 1}}),
    ({"detail": {"name": [{"equals-ignore-case": "VIDEO"}]}}, {"detail": {"name": "video"}}),
    ({"detail": {"name": [{"wildcard": "*.mp4"}]}}, {"detail": {"name": "a/b.mp4"}}),
]


@pytest.mark.parametrize(("pattern", "partial"), PATTERN_CASES)
def test_given_a_pattern_when_tested_through_the_api_then_result_equals_shared_patterns(
    cloud, pattern, partial
):
    event = {
        "id": "1",
        "account": "123456789012",
        "source": "svideo.test",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail-type": "T",
        "detail": {},
        **partial,
    }
    result = cloud.client("events").test_event_pattern(
        EventPattern=json.dumps(pattern), Event=json.dumps(event)
    )
    assert result["Result"] is matches(pattern, event)


@pytest.mark.parametrize(
    ("operation", "arguments", "code"),
    [
        (
            "put_rule",
            {"Name": "p", "EventPattern": '{"source": "not-a-list"}'},
            "InvalidEventPatternException",
        ),
        (
            "put_rule",
            {"Name": "p", "EventPattern": '{"detail": {"n": [{"bogus": 1}]}}'},
            "InvalidEventPatternException",
        ),
        ("put_rule", {"Name": "p"}, "ValidationException"),
        ("test_event_pattern", {"EventPattern": "{not json", "Event": "{}"}, "InvalidEventPatternException"),
        ("describe_rule", {"Name": "nobody"}, "ResourceNotFoundException"),
        (
            "put_targets",
            {"Rule": "nobody", "Targets": [{"Id": "a", "Arn": "arn:aws:sqs:us-east-1:1:q"}]},
            "ResourceNotFoundException",
        ),
        (
            "put_events",
            {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11},
            "ValidationException",
        ),
        ("describe_event_bus", {"Name": "missing-bus"}, "ResourceNotFoundException"),
        ("create_event_bus", {"Name": "default"}, "ValidationException"),
        ("describe_archive", {"ArchiveName": "none"}, "ResourceNotFoundException"),
    ],
)
def test_given_a_malformed_call_when_sent_then_aws_error_code_and_never_500(
    cloud, operation, arguments, code
):
    with pytest.raises(ClientError) as error:
        getattr(raw_client(cloud, "events"), operation)(**arguments)
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500


def test_given_bad_entries_when_put_then_each_gets_its_own_error_and_good_ones_pass(cloud):
    result = raw_client(cloud, "events").put_events(
        Entries=[
            {"Source": "s", "DetailType": "d", "Detail": "{}"},
            {"Source": "s", "DetailType": "d", "Detail": "[1, 2]"},
            {"Source": "s", "DetailType": "d"},
            {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "nope"},
        ]
    )
    assert result["FailedEntryCount"] == 3
    assert "EventId" in result["Entries"][0]
    assert result["Entries"][1]["ErrorCode"] == "MalformedDetail"
    assert result["Entries"][2]["ErrorCode"] == "InvalidArgument"
    assert "ErrorCode" in result["Entries"][3]


def test_given_a_rule_with_targets_when_deleted_then_aws_refuses_until_targets_are_removed(cloud):
    events = cloud.client("events")
    events.put_rule(Name="sticky", EventPattern=json.dumps({"source": ["x"]}))
    events.put_targets(Rule="sticky", Targets=[{"Id": "a", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}])
    with pytest.raises(ClientError) as error:
        events.delete_rule(Name="sticky")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    events.remove_targets(Rule="sticky", Ids=["a"])
    events.delete_rule(Name="sticky")
    assert "sticky" not in [r["Name"] for r in events.list_rules(NamePrefix="sti")["Rules"]]


def test_given_many_rules_when_listed_with_a_prefix_then_pages_cover_them_all(cloud):
    events = cloud.client("events")
    events.create_event_bus(Name="paged")
    for number in range(7):
        events.put_rule(
            Name=f"page-{number}", EventBusName="paged", EventPattern=json.dumps({"source": ["p"]})
        )
    events.put_rule(Name="other", EventBusName="paged", EventPattern=json.dumps({"source": ["p"]}))
    names = [
        r["Name"]
        for page in events.get_paginator("list_rules").paginate(
            EventBusName="paged", NamePrefix="page-", PaginationConfig={"PageSize": 3}
        )
        for r in page["Rules"]
    ]
    assert names == [f"page-{n}" for n in range(7)]


def test_given_a_disabled_rule_when_an_event_matches_then_nothing_is_delivered(cloud):
    events = cloud.client("events")
    url, arn = queue(cloud, "disabled-target")
    events.put_rule(Name="off", EventPattern=json.dumps({"detail-type": ["Off"]}), State="DISABLED")
    events.put_targets(Rule="off", Targets=[{"Id": "q", "Arn": arn}])
    put(cloud, "default", {}, detail_type="Off")
    assert receive(cloud, url, 1, timeout=0.5) == []
    events.enable_rule(Name="off")
    put(cloud, "default", {}, detail_type="Off")
    assert len(receive(cloud, url, 1)) == 1


def test_given_a_bus_to_bus_target_when_an_event_matches_then_it_is_put_on_the_other_bus(cloud):
    events = cloud.client("events")
    events.create_event_bus(Name="downstream")
    url, arn = queue(cloud, "downstream-target")
    events.put_rule(Name="forward", EventPattern=json.dumps({"detail-type": ["Forward"]}))
    events.put_targets(
        Rule="forward",
        Targets=[{"Id": "bus", "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/downstream"}],
    )
    events.put_rule(
        Name="land", EventBusName="downstream", EventPattern=json.dumps({"detail-type": ["Forward"]})
    )
    events.put_targets(Rule="land", EventBusName="downstream", Targets=[{"Id": "q", "Arn": arn}])
    put(cloud, "default", {"hop": 1}, detail_type="Forward")
    [message] = receive(cloud, url, 1)
    assert json.loads(message["Body"])["detail"] == {"hop": 1}


def test_given_a_lambda_target_with_input_path_when_matched_then_the_function_gets_the_detail(cloud):
    events = cloud.client("events")
    lambdas: FakeLambdas = cloud.lambdas  # type: ignore[assignment]
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:catalog"
    events.put_rule(Name="to-catalog", EventPattern=json.dumps({"detail-type": ["Video.Processed"]}))
    events.put_targets(
        Rule="to-catalog", Targets=[{"Id": "fn", "Arn": function_arn, "InputPath": "$.detail"}]
    )
    put(cloud, "default", {"video_id": "v9"}, detail_type="Video.Processed", source="svideo.postprocess")
    assert wait_for(lambda: (function_arn, {"video_id": "v9"}) in lambdas.calls)


def test_given_tags_when_listed_then_they_round_trip(cloud):
    events = cloud.client("events")
    arn = events.put_rule(
        Name="tagged", EventPattern=json.dumps({"source": ["t"]}), Tags=[{"Key": "stack", "Value": "core"}]
    )["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "owner", "Value": "video"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "owner", "Value": "video"},
        {"Key": "stack", "Value": "core"},
    ]


def test_given_unknown_operation_when_called_then_unknown_operation_exception(cloud):
    with pytest.raises(ClientError) as error:
        cloud.client("events").list_endpoints()
    assert error.value.response["Error"]["Code"] == "UnknownOperationException"


def test_given_journal_path_when_events_are_put_then_one_json_line_each(cloud):
    before = len(Path(cloud.state_dir / "events.jsonl").read_text().splitlines())
    put(cloud, "default", {"line": True}, detail_type="Journal")
    lines = Path(cloud.state_dir / "events.jsonl").read_text().splitlines()
    assert len(lines) == before + 1 and json.loads(lines[-1])["detail"] == {"line": True}


def test_given_a_caller_putting_an_aws_source_then_that_entry_alone_is_refused_as_aws_does(cloud):
    events = cloud.client("events")
    events.create_event_bus(Name="sources")
    url, arn = queue(cloud, "sources-all")
    events.put_rule(Name="all", EventBusName="sources", EventPattern=json.dumps({"detail-type": ["Probe"]}))
    events.put_targets(Rule="all", EventBusName="sources", Targets=[{"Id": "q", "Arn": arn}])

    result = events.put_events(
        Entries=[
            {"EventBusName": "sources", "Source": source, "DetailType": "Probe", "Detail": "{}"}
            for source in ["aws.ivs", "svideo.channel", "aws.ecs"]
        ]
    )

    assert result["FailedEntryCount"] == 2
    assert [e.get("ErrorCode") for e in result["Entries"]] == [
        "NotAuthorizedForSourceException", None, "NotAuthorizedForSourceException",
    ]  # fmt: skip
    [message] = receive(cloud, url, 1)
    assert json.loads(message["Body"])["source"] == "svideo.channel"
