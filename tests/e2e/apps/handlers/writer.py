"""Rule target: records each matching event in the table (pk = "event#<detail.id>")."""

import os
from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    pk = f"event#{event['detail']['id']}"
    table.put_item(Item={"pk": pk, "source": event["source"], "request_id": context.aws_request_id})
    return {"pk": pk}
