"""Sending invocation records and failed events to SQS, SNS, Lambda or EventBridge, as Lambda does."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("svideo.local.lambda")

ClientFactory = Callable[[str], Any]
AsyncInvoke = Callable[[str, bytes], None]


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    request_payload: Any,
    function_error: str | None,
    response_payload: Any,
    executed_version: str = "$LATEST",
) -> dict[str, Any]:
    """The "asynchronous invocation record" Lambda sends to OnSuccess/OnFailure destinations."""
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
    if function_error:
        response_context["functionError"] = function_error
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": request_payload,
        "responseContext": response_context,
    }
    if response_payload is not None:
        record["responsePayload"] = response_payload
    return record


def queue_url(sqs: Any, arn: str) -> str:
    parts = arn.split(":")
    return str(sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"])


def send_record(
    clients: ClientFactory,
    invoke_async: AsyncInvoke,
    destination: str,
    record: dict[str, Any],
    *,
    success: bool,
    function_arn: str,
) -> None:
    """One JSON record to a destination ARN; the service is read from the ARN like Lambda does."""
    service = destination.split(":")[2] if destination.count(":") >= 5 else ""
    body = json.dumps(record)
    if service == "sqs":
        sqs = clients("sqs")
        sqs.send_message(QueueUrl=queue_url(sqs, destination), MessageBody=body)
    elif service == "sns":
        clients("sns").publish(TopicArn=destination, Message=body)
    elif service == "lambda":
        invoke_async(destination, body.encode())
    elif service == "events":
        outcome = "Success" if success else "Failure"
        response = clients("events").put_events(
            Entries=[
                {
                    "Source": "lambda",
                    "DetailType": f"Lambda Function Invocation Result - {outcome}",
                    "Detail": body,
                    "Resources": [function_arn, destination],
                    "EventBusName": destination,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"PutEvents to {destination} failed: {response['Entries']}")
    else:
        raise ValueError(f"unsupported destination {destination}")
    log.info(
        "sent invocation record to %s (%s)", destination, record.get("requestContext", {}).get("condition")
    )


def send_dead_letter(
    clients: ClientFactory, target_arn: str, payload: bytes, *, request_id: str, error_message: str
) -> None:
    """Dead-letter queues receive the event itself, with the error in message attributes."""
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "String", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message[:1000] or "error"},
    }
    service = target_arn.split(":")[2]
    if service == "sqs":
        sqs = clients("sqs")
        sqs.send_message(
            QueueUrl=queue_url(sqs, target_arn), MessageBody=payload.decode(), MessageAttributes=attributes
        )
    elif service == "sns":
        clients("sns").publish(TopicArn=target_arn, Message=payload.decode(), MessageAttributes=attributes)
    else:
        raise ValueError(f"unsupported dead-letter target {target_arn}")
