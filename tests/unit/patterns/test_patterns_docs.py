"""Every documented example, with the documented outcome.

Sources (named per case):
- EB-SYNTAX: EventBridge user guide, "Event pattern syntax" (eb-create-pattern)
- EB-ARRAYS: "Matching on multiple field values" (eb-event-patterns-arrays)
- EB-NULL: "Matching events on null values and empty strings" (eb-event-patterns-null-values)
- EB-OPS: "Comparison operators for use in event patterns" (eb-create-pattern-operators)
- EB-CONTENT: "Content filtering in Amazon EventBridge event patterns"
  (eb-event-patterns-content-based-filtering)
- RULER: aws/event-ruler README.md ("Ruler by Example", "$or", "JSON Array Matching")
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.patterns import compile_pattern, matches

EC2_STATE_CHANGE = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-abcd1111", "state": "pending"},
}

# The RULER README's sample event, which its examples are written against.
RULER_EVENT = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}

NULL_EVENT = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}

EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"source": "aws.ec2", "detail": fields}


# (source, description, pattern, event, expected)
CASES: list[tuple[str, str, Any, dict[str, Any], bool]] = [
    (
        "EB-SYNTAX",
        "source + detail-type + detail.state",
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["pending"]},
        },
        EC2_STATE_CHANGE,
        True,
    ),
    (
        "EB-SYNTAX",
        "state terminated does not match pending",
        {"source": ["aws.ec2"], "detail": {"state": ["terminated"]}},
        EC2_STATE_CHANGE,
        False,
    ),
    ("EB-SYNTAX", "value list is OR", {"source": ["aws.ec2", "aws.fargate"]}, EC2_STATE_CHANGE, True),
    (
        "EB-SYNTAX",
        "a field the event lacks",
        {"source": ["aws.ec2"], "detail": {"zone": ["a"]}},
        EC2_STATE_CHANGE,
        False,
    ),
    (
        "EB-SYNTAX",
        "same name at another nesting level does not match",
        {"detail": {"source": ["aws.ec2"]}},
        EC2_STATE_CHANGE,
        False,
    ),
    (
        "EB-ARRAYS",
        "pattern array intersects event array",
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-"
                "d5978ed4a025:autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    ("EB-ARRAYS", "no intersection", {"resources": ["a", "b"]}, {"resources": ["c", "d"]}, False),
    ("EB-NULL", "empty string matches empty string", {"detail": {"eventVersion": [""]}}, NULL_EVENT, True),
    ("EB-NULL", "null matches null", {"detail": {"responseElements": [None]}}, NULL_EVENT, True),
    (
        "EB-NULL",
        "empty-string pattern does not match null",
        {"detail": {"responseElements": [""]}},
        NULL_EVENT,
        False,
    ),
    (
        "EB-NULL",
        "null pattern does not match empty string",
        {"detail": {"eventVersion": [None]}},
        NULL_EVENT,
        False,
    ),
    (
        "EB-NULL",
        "null pattern does not match an absent field",
        {"detail": {"missing": [None]}},
        NULL_EVENT,
        False,
    ),
    (
        "EB-OPS",
        "And: Location and Day",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        True,
    ),
    (
        "EB-OPS",
        "And: one field differs",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Tuesday"},
        False,
    ),
    ("EB-OPS", "Empty: LastName is empty", {"LastName": [""]}, {"LastName": ""}, True),
    ("EB-OPS", "Equals: Name is Alice", {"Name": ["Alice"]}, {"Name": "Alice"}, True),
    ("EB-OPS", "Equals is case-sensitive", {"Name": ["Alice"]}, {"Name": "alice"}, False),
    ("EB-OPS", "Equals (ignore case)", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    (
        "EB-OPS",
        "Equals (ignore case) other name",
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "bob"},
        False,
    ),
    (
        "EB-CONTENT",
        "prefix on time",
        {"time": [{"prefix": "2017-10-02"}]},
        {"time": "2017-10-02T18:43:48Z"},
        True,
    ),
    (
        "EB-CONTENT",
        "prefix does not match",
        {"time": [{"prefix": "2017-10-02"}]},
        {"time": "2017-10-03T18:43:48Z"},
        False,
    ),
    (
        "EB-CONTENT",
        "prefix ignore case EventB",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        {"detail": {"service": "EVENTBRIDGE"}},
        True,
    ),
    (
        "EB-CONTENT",
        "prefix ignore case no match",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        {"detail": {"service": "lambda"}},
        False,
    ),
    ("EB-CONTENT", "suffix .png", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    (
        "EB-CONTENT",
        "suffix is case-sensitive",
        {"FileName": [{"suffix": ".png"}]},
        {"FileName": "image.PNG"},
        False,
    ),
    (
        "EB-CONTENT",
        "suffix ignore case .png",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        {"detail": {"FileName": "image.PNG"}},
        True,
    ),
    (
        "EB-OPS",
        "suffix ignore case tbridge",
        {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
        {"service": "EventBRIDGE"},
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but string, other value",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="running"),
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but string, same value",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="initializing"),
        False,
    ),
    (
        "EB-CONTENT",
        "anything-but number",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        detail(**{"x-limit": 124}),
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but number, equal value",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        detail(**{"x-limit": 123.0}),
        False,
    ),
    (
        "EB-CONTENT",
        "anything-but string list",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        detail(state="running"),
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but string list, listed",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        detail(state="stopped"),
        False,
    ),
    (
        "EB-CONTENT",
        "anything-but number list",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        detail(**{"x-limit": 301.8}),
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but number list, listed",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        detail(**{"x-limit": 3.0e2}),
        False,
    ),
    (
        "EB-CONTENT",
        "anything-but prefix init",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        detail(state="running"),
        True,
    ),
    (
        "EB-CONTENT",
        "anything-but prefix init, prefixed",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        detail(state="initializing"),
        False,
    ),
    (
        "EB-OPS",
        "anything-but prefix us- (Region is not in the US)",
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "eu-west-1"},
        True,
    ),
    (
        "EB-OPS",
        "anything-but suffix .png",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "a.png"},
        False,
    ),
    (
        "EB-OPS",
        "anything-but suffix .png, other file",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "a.jpg"},
        True,
    ),
    (
        "EB-OPS",
        "anything-but ignore case",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        "EB-OPS",
        "anything-but ignore case, other value",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "running"},
        True,
    ),
    (
        "EB-OPS",
        "anything-but ignore case list",
        {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]},
        {"state": "Stopped"},
        False,
    ),
    (
        "EB-OPS",
        "anything-but wildcard */lib/*",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/tool"},
        False,
    ),
    (
        "EB-OPS",
        "anything-but wildcard, other path",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/bin/tool"},
        True,
    ),
    (
        "EB-OPS",
        "anything-but wildcard list",
        {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"FilePath": "/usr/bin/tool"},
        False,
    ),
    (
        "EB-OPS",
        "wildcard on an event bus ARN",
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/svideo"},
        True,
    ),
    (
        "EB-OPS",
        "wildcard, other region",
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:eu-west-1:123456789012:event-bus/svideo"},
        False,
    ),
    (
        "RULER",
        "wildcard Simple*Service",
        {"source": [{"wildcard": "Simple*Service"}]},
        {"source": "SimpleQueueService"},
        True,
    ),
    (
        "RULER",
        "wildcard * matches the empty string",
        {"source": [{"wildcard": "Simple*Service"}]},
        {"source": "SimpleService"},
        True,
    ),
    (
        "RULER",
        "escaped \\* matches a literal star",
        {"source": [{"wildcard": "a\\*b"}]},
        {"source": "a*b"},
        True,
    ),
    (
        "RULER",
        "escaped \\* is not a wildcard",
        {"source": [{"wildcard": "a\\*b"}]},
        {"source": "axxb"},
        False,
    ),
    ("RULER", "escaped backslash", {"source": [{"wildcard": "a\\\\*"}]}, {"source": "a\\tail"}, True),
    (
        "EB-CONTENT",
        "numeric: all three fields (RULER sample event)",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        RULER_EVENT,
        True,
    ),
    (
        "EB-CONTENT",
        "numeric: c-count out of range",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 4]}]}},
        RULER_EVENT,
        False,
    ),
    (
        "EB-CONTENT",
        "numeric does not match a numeric string",
        {"detail": {"c-count": [{"numeric": [">", 0]}]}},
        detail(**{"c-count": "5"}),
        False,
    ),
    (
        "EB-CONTENT",
        "cidr 10.0.0.0/24 inside",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.0.255"),
        True,
    ),
    (
        "EB-CONTENT",
        "cidr 10.0.0.0/24 outside",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.1.0"),
        False,
    ),
    (
        "EB-CONTENT",
        "cidr IPv6",
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/32"}]}},
        detail(sourceIPAddress="2001:db8:1234::1"),
        True,
    ),
    (
        "EB-CONTENT",
        "cidr IPv6 outside",
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/32"}]}},
        detail(sourceIPAddress="2001:db9::1"),
        False,
    ),
    (
        "EB-CONTENT",
        "cidr IPv4 pattern vs IPv6 address",
        {"detail": {"ip": [{"cidr": "0.0.0.0/0"}]}},
        detail(ip="::1"),
        False,
    ),
    (
        "EB-CONTENT",
        "exists true: detail.state present",
        {"detail": {"state": [{"exists": True}]}},
        EC2_STATE_CHANGE,
        True,
    ),
    (
        "EB-CONTENT",
        "exists true: no detail.state",
        {"detail": {"state": [{"exists": True}]}},
        {"detail": {"c-count": {"c1": 100}}},
        False,
    ),
    (
        "EB-CONTENT",
        "exists false: no detail.c-count",
        {"detail": {"c-count": [{"exists": False}]}},
        {"detail": {"state": ["initializing", "running"]}},
        True,
    ),
    (
        "EB-CONTENT",
        "exists false also matches when c-count is not a leaf",
        {"detail": {"c-count": [{"exists": False}]}},
        {"detail": {"state": "x", "c-count": {"c1": 100}}},
        True,
    ),
    (
        "EB-CONTENT",
        "exists false: c-count present",
        {"detail": {"c-count": [{"exists": False}]}},
        RULER_EVENT,
        False,
    ),
    (
        "EB-CONTENT",
        "complex example (RULER sample event)",
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
                "source-ip": [{"cidr": "10.0.0.0/8"}],
            },
        },
        RULER_EVENT,
        True,
    ),
    (
        "EB-CONTENT",
        "duplicate key: the last one wins",
        '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
        {"detail": {"location": "eu-west"}},
        True,
    ),
    (
        "RULER",
        "simple matching: resources and state list",
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        RULER_EVENT,
        True,
    ),
    ("RULER", "suffix ec2", {"source": [{"suffix": "ec2"}]}, RULER_EVENT, True),
    ("RULER", "equals-ignore-case EC2", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, RULER_EVENT, True),
    (
        "RULER",
        "$or: source && (metricName || namespace)",
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/ES"},
        True,
    ),
    (
        "RULER",
        "$or: neither branch",
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/RDS"},
        False,
    ),
    (
        "RULER",
        "$or: parallel ors both satisfied",
        {
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {
                "$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]
            },
        },
        {"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}},
        True,
    ),
    (
        "RULER",
        "$or: parallel ors, second unsatisfied",
        {
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {
                "$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]
            },
        },
        {"namespace": "AWS/EC2", "detail": {"detail-type": "other"}},
        False,
    ),
    (
        "RULER",
        "$or with an AND inside",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
                {"scope": ["Service"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"},
        True,
    ),
    (
        "RULER",
        "$or with an AND inside, half satisfied",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
                {"scope": ["Service"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"},
        False,
    ),
    (
        "RULER",
        "nested $or and AND",
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization"]},
                {
                    "metricType": ["MetricType"],
                    "namespace": ["AWS/EC2"],
                    "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
                },
                {"scope": ["Service"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1000},
        True,
    ),
    (
        "EB-OPS",
        "$or over numeric fields",
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                    {"x-limit": [{"numeric": ["=", 3.018e2]}]},
                ]
            }
        },
        detail(**{"c-count": 50, "d-count": 50, "x-limit": 301.8}),
        True,
    ),
    ("RULER", "array of objects is crushed", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    (
        "RULER",
        "array consistency: Anna and Jones are different elements",
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        EMPLOYEES,
        False,
    ),
    (
        "RULER",
        "array consistency: Anna Smith is one element",
        {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
        EMPLOYEES,
        True,
    ),
    (
        "RULER",
        "multi-level arrays are crushed too",
        {"employees": {"firstName": ["Peter"], "lastName": ["Jones"]}},
        {
            "employees": [
                [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
                [{"firstName": "Peter", "lastName": "Jones"}],
            ]
        },
        True,
    ),
    (
        "RULER",
        "multi-level arrays keep consistency",
        {"employees": {"firstName": ["John"], "lastName": ["Jones"]}},
        {
            "employees": [
                [{"firstName": "John", "lastName": "Doe"}],
                [{"firstName": "Peter", "lastName": "Jones"}],
            ]
        },
        False,
    ),
]


@pytest.mark.parametrize(
    ("source", "description", "pattern", "event", "expected"),
    CASES,
    ids=[f"{case[0]}: {case[1]}" for case in CASES],
)
def test_given_documented_example_when_matched_then_documented_outcome(
    source: str, description: str, pattern: Any, event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected
    # The same answer through JSON text and through a compiled pattern.
    assert (
        matches(pattern if isinstance(pattern, str) else json.dumps(pattern), json.dumps(event)) is expected
    )
    assert compile_pattern(pattern).matches(event) is expected
