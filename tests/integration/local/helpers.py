"""Small helpers for the local cloud tests: zip a handler source, create a function, make and drain queues,
wait for a condition."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

from local.cloud import LocalCloud

ROLE = "arn:aws:iam::123456789012:role/test"
T = TypeVar("T")
# The `start_cloud` fixture (conftest.py): builds and serves a module's partial cloud.
StartCloud = Callable[..., LocalCloud]


def zipped(source: str, name: str = "app.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


def create_function(lambda_client: Any, name: str, source: str, **extra: Any) -> dict[str, Any]:
    return dict(
        lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zipped(source)},
            **extra,
        )
    )


def wait_for(probe: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def drain(sqs: Any, url: str, expected: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Receives (and deletes) messages until `expected` arrived."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            received.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(received) < expected:
            time.sleep(0.1)
    return received


def queue(cloud: LocalCloud, name: str, **attributes: str) -> tuple[str, str]:
    """Creates an SQS queue on `cloud`; returns its URL and ARN."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, **({"Attributes": attributes} if attributes else {}))["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
