"""HTTP API route behind the JWT authorizer: echoes who the authorizer says is calling."""

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"sub": claims["sub"], "route": event["routeKey"]}),
    }
