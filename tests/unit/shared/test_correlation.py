"""Logs that connect: while a consumer handles a record, and while a plugin runs, the logger carries the
event's `meta.correlation_id` (an AWS service's event: its own id), and forgets it afterwards."""

import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.events.testing import FakePublisher
from shared.observability import correlated, correlation_id_of, logger
from shared.plugin_sdk import PluginClient, plugin_handler

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _sqs_record(event: dict[str, Any]) -> SQSRecord:
    return SQSRecord(
        {"messageId": "m1", "body": json.dumps(event), "attributes": {}, "messageAttributes": {}}
    )


def test_given_an_svideo_event_in_a_record_when_handled_then_logs_carry_its_correlation_id() -> None:
    event = json.loads((EVENTS / "svideo.plugins" / "Plugin.Invoked.json").read_text())
    seen: list[str | None] = []
    correlated(lambda record: seen.append(logger.get_correlation_id()))(_sqs_record(event))
    assert seen == [event["detail"]["meta"]["correlation_id"]]
    assert logger.get_correlation_id() is None


def test_given_an_aws_service_event_when_its_id_is_read_then_that_is_the_correlation_id() -> None:
    event = json.loads((EVENTS / "aws.ivs" / "IVSStreamStateChange.json").read_text())
    assert correlation_id_of(_sqs_record(event)) == event["id"]
    assert correlation_id_of(SQSRecord({"messageId": "m2", "body": "not json"})) is None


def test_given_a_plugin_when_it_runs_then_its_logs_carry_the_lifecycles_correlation_id() -> None:
    event = json.loads((EVENTS / "svideo.plugins" / "Plugin.Invoked.json").read_text())
    plugin = event["detail"]["plugin"]
    publisher = FakePublisher()
    seen: list[tuple[str | None, Any]] = []

    @plugin_handler(plugin, client=PluginClient(plugin, publisher))
    def handler(invocation: Any) -> dict[str, Any]:
        seen.append((logger.get_correlation_id(), invocation.video_id))
        return {}

    handler({"Records": [{"messageId": "m1", "body": json.dumps(event)}]})
    assert seen == [(event["detail"]["meta"]["correlation_id"], event["detail"]["video_id"])]
    assert logger.get_correlation_id() is None
