"""SQS consumer with partial batch failures: bodies with "poison" fail, the others count their deliveries."""

import json
import os
from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        table.update_item(
            Key={"pk": f"batch#{body['id']}"},
            UpdateExpression="ADD deliveries :one",
            ExpressionAttributeValues={":one": 1},
        )
    return {"batchItemFailures": failures}
