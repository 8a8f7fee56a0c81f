"""EventBridge Pipes filtering, per the user guide page "Event filtering in Amazon EventBridge Pipes"."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.patterns import InvalidPatternError, matches_pipe_record


def sqs_record(body: str) -> dict[str, Any]:
    return {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def kinesis_record(data: bytes) -> dict[str, Any]:
    # The guide's example record, with its payload base64-encoded as the pipe sees it.
    return {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "1",
        "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
        "data": base64.b64encode(data).decode(),
        "approximateArrivalTimestamp": 1545084650.987,
        "eventSource": "aws:kinesis",
    }


SEATTLE = json.dumps({"City": "Seattle", "State": "WA", "Temperature": "46", "Month": "December"}).encode()

DYNAMODB_INSERT = {
    "eventID": "1",
    "eventName": "INSERT",
    "eventSource": "aws:dynamodb",
    "dynamodb": {
        "Keys": {"video_id": {"S": "v1"}},
        "NewImage": {"video_id": {"S": "v1"}, "status": {"S": "published"}, "duration_ms": {"N": "61000"}},
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}

CASES: list[tuple[str, Any, dict[str, Any], str, bool]] = [
    (
        "kinesis: guide example partitionKey + data.City",
        {"partitionKey": ["1"], "data": {"City": ["Seattle"]}},
        kinesis_record(SEATTLE),
        "kinesis",
        True,
    ),
    ("kinesis: other city", {"data": {"City": ["Portland"]}}, kinesis_record(SEATTLE), "kinesis", False),
    (
        "kinesis: metadata only on a non-JSON payload",
        {"partitionKey": ["1"]},
        kinesis_record(b"Hello, this is a test."),
        "kinesis",
        True,
    ),
    (
        "kinesis: JSON data pattern on a non-JSON payload is dropped",
        {"data": {"City": [{"exists": False}]}},
        kinesis_record(b"Hello, this is a test."),
        "kinesis",
        False,
    ),
    (
        "sqs: JSON body, JSON pattern",
        {"body": {"video_id": ["v1"]}},
        sqs_record('{"video_id": "v1", "status": "published"}'),
        "sqs",
        True,
    ),
    (
        "sqs: JSON body, operator in JSON pattern",
        {"body": {"duration_ms": [{"numeric": [">", 60000]}]}},
        sqs_record('{"duration_ms": 61000}'),
        "sqs",
        True,
    ),
    (
        "sqs: plain body, plain pattern",
        {"body": [{"prefix": "hello"}]},
        sqs_record("hello world"),
        "sqs",
        True,
    ),
    (
        "sqs: plain body, JSON pattern is dropped",
        {"body": {"x": [{"exists": False}]}},
        sqs_record("hello world"),
        "sqs",
        False,
    ),
    (
        "sqs: JSON body, plain pattern is dropped",
        {"body": [{"prefix": "{"}]},
        sqs_record('{"x": 1}'),
        "sqs",
        False,
    ),
    (
        "sqs: no body pattern filters metadata only",
        {"attributes": {"ApproximateReceiveCount": ["1"]}},
        sqs_record("not json at all"),
        "sqs",
        True,
    ),
    (
        "dynamodb: eventName and NewImage",
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["published"]}}}},
        DYNAMODB_INSERT,
        "dynamodb",
        True,
    ),
    (
        "dynamodb: other status",
        {"dynamodb": {"NewImage": {"status": {"S": ["failed"]}}}},
        DYNAMODB_INSERT,
        "dynamodb",
        False,
    ),
    ("dynamodb: MODIFY only", {"eventName": ["MODIFY"]}, DYNAMODB_INSERT, "dynamodb", False),
]


@pytest.mark.parametrize(
    ("description", "pattern", "record", "source", "expected"), CASES, ids=[case[0] for case in CASES]
)
def test_given_pipe_record_when_filtered_then_pipes_semantics(
    description: str, pattern: Any, record: dict[str, Any], source: Any, expected: bool
) -> None:
    assert matches_pipe_record(pattern, record, source) is expected
    assert matches_pipe_record(json.dumps(pattern), record, source) is expected


@pytest.mark.parametrize(
    ("source", "pattern"), [("kinesis", {"data": ["x"]}), ("dynamodb", {"dynamodb": ["x"]})]
)
def test_given_stream_source_with_plain_data_pattern_when_filtered_then_rejected(
    source: Any, pattern: Any
) -> None:
    with pytest.raises(InvalidPatternError, match="must be a JSON object"):
        matches_pipe_record(pattern, kinesis_record(SEATTLE), source)


@pytest.mark.parametrize("operator", ["prefix", "suffix", "equals-ignore-case", "wildcard"])
def test_given_anything_but_variant_pipes_lack_when_filtered_then_rejected(operator: str) -> None:
    pattern = {"body": {"state": [{"anything-but": {operator: "x"}}]}}
    with pytest.raises(InvalidPatternError, match=f"body.state: anything-but/{operator} is not supported"):
        matches_pipe_record(pattern, sqs_record('{"state": "y"}'), "sqs")


def test_given_unknown_source_when_filtered_then_value_error() -> None:
    with pytest.raises(ValueError, match="source must be"):
        matches_pipe_record({"a": ["x"]}, {"a": "x"}, "s3")  # type: ignore[arg-type]


def test_given_record_body_when_filtered_then_record_is_not_modified() -> None:
    record = sqs_record('{"video_id": "v1"}')
    matches_pipe_record({"body": {"video_id": ["v1"]}}, record, "sqs")
    assert record["body"] == '{"video_id": "v1"}'
