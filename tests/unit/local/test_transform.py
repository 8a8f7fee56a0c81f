"""Input paths and input transformers rendered as the EventBridge user guide documents them.

Each documented example ("Input transform examples", "Common issues", Pipes "Input transform example") is
checked against its documented output; cases the guide leaves open use outputs recorded against AWS."""

from __future__ import annotations

import base64
import json

import pytest

from local.transform import (
    RuleContext,
    TargetInputInvalid,
    TransformError,
    extract_path,
    render_pipe_template,
    render_target_input,
    validate_target_input,
)

EC2_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
RULE = RuleContext(
    rule_arn="arn:aws:events:us-east-2:123456789012:rule/example",
    rule_name="example",
    ingestion_time="2015-11-11T21:29:54Z",
)


def transform(template: str, paths: dict[str, str] | None = None, event: dict | None = None) -> str | None:
    transformer = {"InputPathsMap": PATHS if paths is None else paths, "InputTemplate": template}
    target = {"Id": "t", "Arn": "arn", "InputTransformer": transformer}
    validate_target_input(target)
    return render_target_input(target, event or EC2_EVENT, RULE)


# ---------------------------------------------------------------- the guide's examples table


def test_given_simple_string_template_when_rendered_then_values_are_inserted_inside_the_string():
    assert transform('"instance <instance> is in <state>"') == '"instance i-0123456789 is in RUNNING"'


def test_given_string_with_escaped_quotes_when_rendered_then_escapes_are_kept():
    assert (
        transform('"instance \\"<instance>\\" is in <state>"')
        == '"instance \\"i-0123456789\\" is in RUNNING"'
    )


def test_given_simple_json_with_bare_placeholders_when_rendered_then_strings_are_auto_quoted():
    template = '{\n  "instance" : <instance>,\n  "state": <state>\n}'
    assert transform(template) == '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}'


def test_given_json_with_strings_and_variables_when_rendered_then_both_forms_work():
    template = (
        '{\n "instance" : <instance>,\n "state": "<state>",\n'
        ' "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}'
    )
    assert json.loads(transform(template) or "") == {
        "instance": "i-0123456789",
        "state": "RUNNING",
        "instanceStatus": 'instance "i-0123456789" is in RUNNING',
    }


def test_given_json_mixing_variables_and_static_values_when_rendered_then_array_holds_quoted_string():
    template = '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}'
    assert json.loads(transform(template) or "") == {
        "instance": "i-0123456789",
        "state": [9, "RUNNING", True],
        "Transformed": "Yes",
    }


def test_given_reserved_variables_in_json_when_rendered_then_rule_and_original_event_appear():
    template = (
        '{"instance" : <instance>, "state": <state>, "ruleArn" : <aws.events.rule-arn>,'
        ' "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event>}'
    )
    rendered = json.loads(transform(template) or "")
    assert rendered["ruleArn"] == "arn:aws:events:us-east-2:123456789012:rule/example"
    assert rendered["ruleName"] == "example"
    assert rendered["originalEvent"]["id"] == EC2_EVENT["id"]


def test_given_reserved_variable_in_a_string_when_rendered_then_it_is_inserted_raw():
    assert transform('"<aws.events.rule-name> triggered"', paths={}) == '"example triggered"'


# ---------------------------------------------------------------- "Common issues" and recorded AWS outputs


def test_given_missing_path_inside_a_string_when_rendered_then_it_renders_as_nothing():
    rendered = transform(
        '"Event of <detail-type> type, info <command>"',
        paths={"detail-type": "$.detail-type", "command": "$.detail.notinmessage"},
    )
    assert rendered == '"Event of EC2 Instance State-change Notification type, info "'


def test_given_missing_path_as_a_json_value_when_rendered_then_it_renders_as_empty_string():
    rendered = transform('{"command": <command>}', paths={"command": "$.detail.notinmessage"})
    assert json.loads(rendered or "") == {"command": ""}


def test_given_object_variable_inside_a_string_of_a_text_template_then_its_internal_quotes_are_removed():
    rendered = transform('"Detail is <detail>"', paths={"detail": "$.detail"})
    assert rendered == '"Detail is {instance-id:i-0123456789,state:RUNNING}"'


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ('{"text": "Detail is <detail>"}', "$.detail"),
        ('{"text": "resources <detail>"}', "$.resources"),
        ('{"text": "event <aws.events.event>"}', None),
        ('{"text": "event <aws.events.event.json>"}', None),
    ],
)
def test_given_object_or_list_inside_quotes_of_a_json_template_then_the_event_is_dropped_as_invalid_json(
    template: str, path: str | None
) -> None:
    # AWS inserts the value unescaped, so its own quotes end the string: not JSON, not delivered.
    with pytest.raises(TransformError) as error:
        transform(template, paths={"detail": path} if path else {})
    assert error.value.code == "INVALID_JSON"


def test_given_predefined_variables_when_rendered_then_they_render_as_aws_renders_them():
    template = (
        '{"arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>, '
        '"at": <aws.events.event.ingestion-time>, "text": "rule <aws.events.rule-name> at '
        '<aws.events.event.ingestion-time>", "event": <aws.events.event>, "json": <aws.events.event.json>}'
    )
    rendered = json.loads(transform(template, paths={}) or "")
    assert rendered["arn"] == RULE.rule_arn
    assert rendered["name"] == "example"
    assert rendered["at"] == RULE.ingestion_time
    assert rendered["text"] == f"rule example at {RULE.ingestion_time}"
    assert rendered["json"] == EC2_EVENT
    expected = {("detailType" if k == "detail-type" else k): v for k, v in EC2_EVENT.items() if k != "detail"}
    assert rendered["event"] == expected


def test_given_object_variable_as_a_json_value_when_rendered_then_it_is_inlined():
    rendered = transform(
        '{"detail": <detail>, "resources": <resources>}',
        paths={"detail": "$.detail", "resources": "$.resources"},
    )
    assert json.loads(rendered or "") == {"detail": EC2_EVENT["detail"], "resources": EC2_EVENT["resources"]}


def test_given_numbers_and_booleans_when_rendered_then_they_stay_literal():
    event = {**EC2_EVENT, "detail": {"n": 3, "ok": True, "none": None}}
    rendered = transform(
        '{"n": <n>, "ok": <ok>, "none": <none>, "s": "n=<n>"}',
        paths={"n": "$.detail.n", "ok": "$.detail.ok", "none": "$.detail.none"},
        event=event,
    )
    assert json.loads(rendered or "") == {"n": 3, "ok": True, "none": None, "s": "n=3"}


def test_given_aws_events_event_when_rendered_then_detail_is_left_out_and_detail_type_renamed():
    template = '{"e": <aws.events.event>, "j": <aws.events.event.json>}'
    rendered = json.loads(transform(template, paths={}) or "")
    assert "detail" not in rendered["e"]
    assert rendered["e"]["detailType"] == EC2_EVENT["detail-type"]
    assert rendered["j"] == EC2_EVENT


def test_given_value_with_quotes_inside_a_json_string_when_rendered_then_invalid_json_is_not_delivered():
    event = {**EC2_EVENT, "detail": {"title": 'say "hi"'}}
    with pytest.raises(TransformError) as error:
        transform('{"text": "title <title>"}', paths={"title": "$.detail.title"}, event=event)
    assert error.value.code == "INVALID_JSON"


def test_given_plain_text_template_when_rendered_then_values_are_inserted_raw():
    assert transform("<instance> is in state <state>") == "i-0123456789 is in state RUNNING"


def test_given_undefined_placeholder_when_put_targets_validates_then_aws_message_is_raised():
    with pytest.raises(
        TargetInputInvalid, match=r"InputTemplate for target t contains invalid placeholder notdefinedkey\."
    ):
        transform(
            '"Event of <detail-type> type, with not defined key <notdefinedkey>"',
            paths={"detail-type": "$.detail-type"},
        )


def test_given_input_and_input_path_when_put_targets_validates_then_only_one_is_allowed():
    with pytest.raises(TargetInputInvalid, match="Only one of Input, InputPath, or InputTransformer"):
        validate_target_input({"Id": "t", "Input": "{}", "InputPath": "$.detail"})


def test_given_more_than_100_paths_when_put_targets_validates_then_it_is_rejected():
    paths = {f"v{i}": "$.detail" for i in range(101)}
    with pytest.raises(TargetInputInvalid, match="more than 100"):
        validate_target_input({"Id": "t", "InputTransformer": {"InputPathsMap": paths, "InputTemplate": "x"}})


def test_given_bracket_notation_path_when_put_targets_validates_then_it_is_rejected():
    with pytest.raises(TargetInputInvalid):
        validate_target_input(
            {"Id": "t", "InputTransformer": {"InputPathsMap": {"a": "$['detail']"}, "InputTemplate": "<a>"}}
        )


def test_given_input_paths_when_rendered_then_output_matches_recorded_aws_bodies():
    target = {"Id": "t", "InputPath": "$.detail.state"}
    assert render_target_input(target, EC2_EVENT, RULE) == '"RUNNING"'
    assert (
        json.loads(render_target_input({"Id": "t", "InputPath": "$.detail"}, EC2_EVENT, RULE) or "")
        == EC2_EVENT["detail"]
    )
    assert render_target_input({"Id": "t", "InputPath": "$.detail.nothing"}, EC2_EVENT, RULE) is None
    assert render_target_input({"Id": "t", "Input": '{"fixed": 1}'}, EC2_EVENT, RULE) == '{"fixed": 1}'


def test_given_array_index_and_wildcard_paths_when_extracted_then_values_are_found():
    assert extract_path(EC2_EVENT, "$.resources[0]") == EC2_EVENT["resources"][0]
    assert extract_path({"a": [{"b": 1}, {"b": 2}]}, "$.a[*].b") == [1, 2]


# ---------------------------------------------------------------- Pipes


PIPE_CONTEXT = {
    "pipe-arn": "arn:aws:pipe:us-east-1:123456789012:pipe/example",
    "pipe-name": "example",
    "source-arn": "arn:aws:sqs:us-east-1:123456789012:q",
    "target-arn": "arn:t",
    "ingestion-time": "2015-11-11T21:29:54Z",
}


def test_given_the_pipes_guide_example_when_rendered_then_output_matches():
    template = (
        '{\n  "instance" : <$.detail.instance-id>,\n  "state": <$.detail.state>,\n'
        '  "pipeArn" : <aws.pipes.pipe-arn>,\n  "pipeName" : <aws.pipes.pipe-name>,\n'
        '  "originalEvent" : <aws.pipes.event.json>\n}'
    )
    rendered = json.loads(render_pipe_template(template, EC2_EVENT, PIPE_CONTEXT))
    assert rendered == {
        "instance": "i-0123456789",
        "state": "RUNNING",
        "pipeArn": "arn:aws:pipe:us-east-1:123456789012:pipe/example",
        "pipeName": "example",
        "originalEvent": EC2_EVENT,
    }


def test_given_sqs_record_with_json_body_when_rendered_then_body_fields_are_addressable():
    record = {"messageId": "m1", "body": json.dumps({"key": "v", "n": 2}), "attributes": {"SenderId": "s1"}}
    assert (
        render_pipe_template('{"k": <$.body.key>, "n": <$.body.n>}', record, PIPE_CONTEXT)
        == '{"k": "v", "n": 2}'
    )
    assert render_pipe_template('{"body": <$.body>}', record, PIPE_CONTEXT) == '{"body": {"key":"v","n":2}}'
    assert render_pipe_template('"Hello, <$.attributes.SenderId>"', record, PIPE_CONTEXT) == '"Hello, s1"'
    assert render_pipe_template("Hello, sender", record, PIPE_CONTEXT) == "Hello, sender"


def test_given_kinesis_record_when_rendered_then_base64_json_data_is_decoded():
    data = base64.b64encode(json.dumps({"video_id": "v1"}).encode()).decode()
    record = {"kinesis": {"data": data}, "eventSource": "aws:kinesis"}
    assert render_pipe_template('{"v": <$.kinesis.data.video_id>}', record, PIPE_CONTEXT) == '{"v": "v1"}'
