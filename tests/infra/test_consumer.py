"""QueueConsumer: rule → encrypted TLS-only queue with a redrive → function by partial batches."""

from typing import Any

from infra.constructs.consumer import DEAD_LETTER_RETENTION
from infra.constructs.service_function import DEFAULT_TIMEOUT
from tests.infra.conftest import CONSUMER_STACK, RECORDING_ENDED, Synthesized


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r.get("Properties", {}) for k, r in template["Resources"].items() if r["Type"] == kind}


def test_given_a_consumer_then_its_queue_is_encrypted_redriven_and_six_function_timeouts_visible(
    constructs_synth: Synthesized,
) -> None:
    queues = _of_type(constructs_synth.template(CONSUMER_STACK), "AWS::SQS::Queue")
    (queue_id,) = [k for k, q in queues.items() if "RedrivePolicy" in q]
    queue = queues[queue_id]
    dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    dlq = queues[dlq_id]
    assert queue["VisibilityTimeout"] == 6 * DEFAULT_TIMEOUT.to_seconds()
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION.to_seconds()
    policies = _of_type(constructs_synth.template(CONSUMER_STACK), "AWS::SQS::QueuePolicy").values()
    tls_only = [
        p for p in policies
        for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]  # fmt: skip
    assert len(tls_only) == len(queues)


def test_given_a_consumer_then_its_rule_targets_the_queue_and_dead_letters_where_told(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template(CONSUMER_STACK)
    (rule,) = _of_type(template, "AWS::Events::Rule").values()
    (target,) = rule["Targets"]
    assert rule["Name"] == RECORDING_ENDED.name and rule["EventPattern"] == RECORDING_ENDED.event_pattern
    assert "RedrivePolicy" in _of_type(template, "AWS::SQS::Queue")[target["Arn"]["Fn::GetAtt"][0]]
    assert "dev-svideo-events-dlq" in str(target["DeadLetterConfig"])


def test_given_a_consumer_then_the_function_reads_batches_reporting_item_failures(
    constructs_synth: Synthesized,
) -> None:
    template = constructs_synth.template(CONSUMER_STACK)
    (mapping,) = _of_type(template, "AWS::Lambda::EventSourceMapping").values()
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (10, ["ReportBatchItemFailures"])
    assert (
        "RedrivePolicy" in _of_type(template, "AWS::SQS::Queue")[mapping["EventSourceArn"]["Fn::GetAtt"][0]]
    )
