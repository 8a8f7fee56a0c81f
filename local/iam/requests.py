"""What one API request asks IAM for: its actions, the ARNs of the resources they act on, condition keys.

The operation is found the way AWS's front doors find it: `X-Amz-Target` for JSON protocols, `Action` for
the query protocol, method and URI template (from botocore's service models) for REST protocols, and S3's
own addressing rules. The action names and resource ARNs follow the Service Authorization Reference for
the operations the app's roles make; an operation without a known resource gets `resource=None`, which
any `Resource` element matches (its action is still checked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from xml.etree import ElementTree

from local.aws import AwsRequest


@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a request (some requests make several: CopyObject, RunTask)."""

    action: str
    resource: str | None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Where:
    account: str
    region: str
    secret_arn: Callable[[str], str | None] = lambda name: None  # Secrets Manager name -> full ARN


# ---------------------------------------------------------------------------------------------- operations

_SIGNING_TO_MODEL = {"execute-api": "apigatewaymanagementapi"}
_REST = {"lambda", "scheduler", "pipes", "ivs", "execute-api", "xray"}


@cache
def _query_members(service: str, operation: str) -> dict[str, str]:
    """Query-string names of an operation's input members (`groupName` -> `GroupName`)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(_SIGNING_TO_MODEL.get(service, service))
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return {}
    return {
        member.serialization.get("name", name): name
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring"
    }


@cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], tuple[str, ...], str]]:
    """(method, path regex, required query keys, operation) from botocore's model, most specific first."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(_SIGNING_TO_MODEL.get(service, service))
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        regex = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                regex += f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
            else:
                regex += re.escape(piece)
        keys = tuple(part.split("=")[0] for part in query.split("&") if part)
        routes.append((http["method"], re.compile(f"^{regex.rstrip('/')}/?$"), keys, name))
    routes.sort(key=lambda route: (-len(route[2]), -len(route[1].pattern.replace("[^/]+", ""))))
    return routes


def _rest_operation(
    service: str, method: str, path: str, query: dict[str, list[str]]
) -> tuple[str, dict[str, str]] | None:
    for route_method, regex, keys, name in _rest_routes(service):
        if route_method != method or any(key not in query for key in keys):
            continue
        match = regex.match(path)
        if match:
            return name, {key: unquote(value) for key, value in match.groupdict().items()}
    return None


# --------------------------------------------------------------------------------------------- public entry


def checks_for(request: AwsRequest, where: Where) -> list[Check]:
    """The authorizations `request` needs; empty when IAM does not authorize it (sts:GetCallerIdentity)."""
    service = request.service or ""
    try:
        if service == "s3":
            return _s3(request, where)
        if service in _REST:
            path = request.path
            if service == "execute-api":  # served under /_aws/execute-api/<apiId>/<stage>/
                match = re.match(r"^/_aws/execute-api/([^/]+)/([^/]+)(/@connections/.*)$", path)
                if not match:
                    return []
                api, stage, path = match.groups()
                found = _rest_operation(service, request.method, path, request.query)
                connection = path.rsplit("/", 1)[-1]
                route = f"{api}/{stage}/{request.method}/@connections/{connection}"
                arn = f"arn:aws:execute-api:{where.region}:{where.account}:{route}"
                return [Check("execute-api:ManageConnections", arn)] if found else []
            found = _rest_operation(service, request.method, path, request.query)
            if found is None:
                return []
            operation, labels = found
            body = _json_body(request)
            members = _query_members(service, operation)
            query = {members.get(k, k): v[0] for k, v in request.query.items() if v}
            params = {**query, **body, **labels}
            return _REST_HANDLERS.get(service, _generic)(service, operation, params, where)
        if request.target:  # JSON protocols
            operation = request.target
            params = _json_body(request)
            prefix = request.headers.get("x-amz-target", "")
            if service == "dynamodb" and prefix.startswith("DynamoDBStreams"):
                return _dynamodb_streams(operation, params, where)
            return _JSON_HANDLERS.get(service, _generic)(service, operation, params, where)
        params = _query_params(request)
        action = params.get("Action")
        if action:
            return _QUERY_HANDLERS.get(service, _generic)(service, action, params, where)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, ElementTree.ParseError):
        pass
    return []


def _json_body(request: AwsRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        payload = json.loads(request.body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _query_params(request: AwsRequest) -> dict[str, str]:
    params = {key: values[0] for key, values in request.query.items() if values}
    if request.body and "x-www-form-urlencoded" in request.headers.get("content-type", ""):
        params.update({k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()})
    return params


def _arn(service: str, where: Where, resource: str) -> str:
    return f"arn:aws:{service}:{where.region}:{where.account}:{resource}"


def _generic(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    prefix = {"monitoring": "cloudwatch"}.get(service, service)
    if (prefix, operation) == ("sts", "GetCallerIdentity"):
        return []  # always allowed, even with an explicit Deny
    arn = next(
        (v for k, v in params.items() if k.lower() in ("arn", "resourcearn") and isinstance(v, str)), None
    )
    return [Check(f"{prefix}:{operation}", arn)]


# --------------------------------------------------------------------------------------------------- S3

_S3_BUCKET_SUBRESOURCES = {
    "policy": "BucketPolicy",
    "cors": "BucketCORS",
    "notification": "BucketNotification",
    "lifecycle": "LifecycleConfiguration",
    "versioning": "BucketVersioning",
    "tagging": "BucketTagging",
    "encryption": "EncryptionConfiguration",
    "publicAccessBlock": "BucketPublicAccessBlock",
    "ownershipControls": "BucketOwnershipControls",
    "acl": "BucketAcl",
    "website": "BucketWebsite",
    "logging": "BucketLogging",
}


def _s3(request: AwsRequest, where: Where) -> list[Check]:
    path = unquote(request.path)
    bucket, _, key = path.lstrip("/").partition("/")
    query, method = request.query, request.method
    headers = request.headers
    if not bucket:
        return [Check("s3:ListAllMyBuckets", "*")]
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if not key:
        if method == "POST" and "delete" in query:
            keys = [
                element.text or ""
                for element in ElementTree.fromstring(request.body).iter()
                if element.tag.endswith("Key")
            ]
            return [Check("s3:DeleteObject", f"{bucket_arn}/{name}") for name in keys]
        if method == "POST":  # browser-based upload (presigned POST): the key is in the form
            return [Check("s3:PutObject", None)]
        if method in ("GET", "HEAD"):
            for name in ("versions", "uploads", "location"):
                if name in query:
                    action = {
                        "versions": "ListBucketVersions",
                        "uploads": "ListBucketMultipartUploads",
                        "location": "GetBucketLocation",
                    }[name]
                    return [Check(f"s3:{action}", bucket_arn)]
            for name, suffix in _S3_BUCKET_SUBRESOURCES.items():
                if name in query:
                    return [Check(f"s3:Get{suffix}", bucket_arn)]
            context = {
                f"s3:{name}": query[name][0] for name in ("prefix", "delimiter", "max-keys") if name in query
            }
            return [Check("s3:ListBucket", bucket_arn, context)]
        if method == "PUT":
            for name, suffix in _S3_BUCKET_SUBRESOURCES.items():
                if name in query:
                    return [Check(f"s3:Put{suffix}", bucket_arn)]
            return [Check("s3:CreateBucket", bucket_arn)]
        if method == "DELETE":
            for name, suffix in _S3_BUCKET_SUBRESOURCES.items():
                if name in query:
                    return [
                        Check(f"s3:Delete{suffix}" if name == "policy" else f"s3:Put{suffix}", bucket_arn)
                    ]
            return [Check("s3:DeleteBucket", bucket_arn)]
        return []
    object_arn = f"{bucket_arn}/{key}"
    if method in ("GET", "HEAD"):
        if "uploadId" in query:
            return [Check("s3:ListMultipartUploadParts", object_arn)]
        if "tagging" in query:
            return [Check("s3:GetObjectTagging", object_arn)]
        if "acl" in query:
            return [Check("s3:GetObjectAcl", object_arn)]
        return [Check("s3:GetObject", object_arn)]
    if method == "PUT":
        if "tagging" in query:
            return [Check("s3:PutObjectTagging", object_arn)]
        if "acl" in query:
            return [Check("s3:PutObjectAcl", object_arn)]
        checks = [Check("s3:PutObject", object_arn)]
        source = headers.get("x-amz-copy-source")
        if source:
            source_path = unquote(source.split("?", 1)[0]).lstrip("/")
            checks.append(Check("s3:GetObject", f"arn:aws:s3:::{source_path}"))
        return checks
    if method == "POST":  # CreateMultipartUpload, CompleteMultipartUpload, RestoreObject
        if "restore" in query:
            return [Check("s3:RestoreObject", object_arn)]
        return [Check("s3:PutObject", object_arn)]
    if method == "DELETE":
        if "uploadId" in query:
            return [Check("s3:AbortMultipartUpload", object_arn)]
        if "tagging" in query:
            return [Check("s3:DeleteObjectTagging", object_arn)]
        return [Check("s3:DeleteObject", object_arn)]
    return []


# --------------------------------------------------------------------------------------------- DynamoDB

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _table_arn(name: str, where: Where) -> str:
    return name if name.startswith("arn:") else _arn("dynamodb", where, f"table/{name}")


def _dynamodb(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Check(f"dynamodb:{operation}", _table_arn(t, where)) for t in params.get("RequestItems", {})]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                checks.append(
                    Check(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(body["TableName"], where))
                )
        return checks
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Check(f"dynamodb:{operation}", "*")]
    table = params.get("TableName") or params.get("ResourceArn")
    if not table:
        return [Check(f"dynamodb:{operation}", None)]
    arn = _table_arn(str(table), where)
    if params.get("IndexName"):
        arn = f"{arn}/index/{params['IndexName']}"
    return [Check(f"dynamodb:{operation}", arn)]


def _dynamodb_streams(operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if operation == "ListStreams":
        return [Check("dynamodb:ListStreams", "*")]
    return [Check(f"dynamodb:{operation}", params.get("StreamArn"))]


# ---------------------------------------------------------------------------------------- SQS, SNS, events


def _queue_arn(url: str, where: Where) -> str:
    parts = urlparse(url).path.strip("/").split("/")
    return _arn("sqs", where, parts[-1]).replace(f":{where.account}:", f":{parts[-2]}:")


_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    action = f"sqs:{_SQS_BATCH.get(operation, operation)}"
    if operation == "ListQueues":
        return [Check(action, "*")]
    if params.get("QueueUrl"):
        return [Check(action, _queue_arn(str(params["QueueUrl"]), where))]
    if params.get("QueueName"):
        owner = params.get("QueueOwnerAWSAccountId") or where.account
        return [Check(action, f"arn:aws:sqs:{where.region}:{owner}:{params['QueueName']}")]
    return [Check(action, None)]


def _sns(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
    return [Check(action, params.get("TopicArn") or params.get("ResourceArn"))]


def _bus_arn(name: str | None, where: Where) -> str:
    name = name or "default"
    return name if name.startswith("arn:") else _arn("events", where, f"event-bus/{name}")


def _events(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if operation == "PutEvents":
        return [
            Check(
                "events:PutEvents",
                _bus_arn(entry.get("EventBusName"), where),
                {"events:source": entry.get("Source", ""), "events:detail-type": entry.get("DetailType", "")},
            )
            for entry in params.get("Entries", [])
        ]
    if "Rule" in params or operation in (
        "PutRule",
        "DescribeRule",
        "DeleteRule",
        "EnableRule",
        "DisableRule",
    ):
        name = params.get("Rule") or params.get("Name")
        bus = params.get("EventBusName")
        resource = f"rule/{bus}/{name}" if bus and bus != "default" else f"rule/{name}"
        return [Check(f"events:{operation}", _arn("events", where, resource))]
    if operation in ("DescribeEventBus", "CreateEventBus", "DeleteEventBus"):
        return [Check(f"events:{operation}", _bus_arn(params.get("Name"), where))]
    return _generic("events", operation, params, where)


# ------------------------------------------------------------------------------- Lambda, Step Functions, ...


def _function_arn(name: str, qualifier: str | None, where: Where) -> str:
    if name.startswith("arn:"):
        arn = name
    elif ":" in name:  # "123456789012:function:name" or "name:alias"
        parts = name.split(":")
        arn = (
            _arn("lambda", where, f"function:{parts[-1]}")
            if len(parts) == 3
            else _arn("lambda", where, f"function:{name}")
        )
    else:
        arn = _arn("lambda", where, f"function:{name}")
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    return arn


_LAMBDA_ACTIONS = {
    "Invoke": "InvokeFunction",
    "InvokeAsync": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
}


def _lambda(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    action = f"lambda:{_LAMBDA_ACTIONS.get(operation, operation)}"
    name = params.get("FunctionName")
    if not name:
        return [Check(action, "*" if operation.startswith("List") else None)]
    return [Check(action, _function_arn(str(name), params.get("Qualifier"), where))]


def _states(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "ListStateMachines"):
        return [Check(f"states:{operation}", "*")]
    arn = params.get("stateMachineArn") or params.get("executionArn") or params.get("resourceArn")
    return [Check(f"states:{operation}", arn)]


def _ssm(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    names = params.get("Names") or ([params["Name"]] if params.get("Name") else [])
    if operation == "GetParametersByPath":
        names = [params.get("Path", "/")]
    if not names:
        return [Check(f"ssm:{operation}", None)]
    return [
        Check(
            f"ssm:{operation}",
            n if n.startswith("arn:") else _arn("ssm", where, f"parameter/{n.lstrip('/')}"),
        )
        for n in names
    ]


def _secretsmanager(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    secret = params.get("SecretId") or params.get("Name")
    if not secret:
        return [Check(f"secretsmanager:{operation}", "*" if operation == "ListSecrets" else None)]
    arn = secret if secret.startswith("arn:") else where.secret_arn(secret)
    return [Check(f"secretsmanager:{operation}", arn)]


def _scheduler(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    group = params.get("GroupName") or "default"
    if operation.endswith("ScheduleGroup"):
        arn = _arn("scheduler", where, f"schedule-group/{params['Name']}")
        return [Check(f"scheduler:{operation}", arn)]
    if "Name" not in params:
        return [Check(f"scheduler:{operation}", params.get("ResourceArn"))]
    checks = [Check(f"scheduler:{operation}", _arn("scheduler", where, f"schedule/{group}/{params['Name']}"))]
    role = (params.get("Target") or {}).get("RoleArn")
    if role and operation in ("CreateSchedule", "UpdateSchedule"):
        checks.append(Check("iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"}))
    return checks


def _pipes(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if "Name" in params:
        return [Check(f"pipes:{operation}", _arn("pipes", where, f"pipe/{params['Name']}"))]
    return _generic(service, operation, params, where)


def _ecs(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    if operation not in ("RunTask", "StartTask"):
        return _generic(service, operation, params, where)
    definition = str(params.get("taskDefinition", ""))
    arn = definition if definition.startswith("arn:") else _arn("ecs", where, f"task-definition/{definition}")
    cluster = str(params.get("cluster") or "default")
    cluster_arn = cluster if cluster.startswith("arn:") else _arn("ecs", where, f"cluster/{cluster}")
    checks = [Check(f"ecs:{operation}", arn, {"ecs:cluster": cluster_arn})]
    overrides = params.get("overrides") or {}
    for role in (overrides.get("taskRoleArn"), overrides.get("executionRoleArn")):
        if role:
            checks.append(Check("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}))
    return checks


def _cognito(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    pool = params.get("UserPoolId")
    arn = _arn("cognito-idp", where, f"userpool/{pool}") if pool else None
    return [Check(f"cognito-idp:{operation}", arn)]


def request_tags(tags: Any) -> dict[str, Any]:
    """`aws:RequestTag/<key>` and `aws:TagKeys` for the tags a request sets."""
    if not isinstance(tags, dict) or not tags:
        return {}
    return {**{f"aws:RequestTag/{key}": str(value) for key, value in tags.items()}, "aws:TagKeys": list(tags)}


def _ivs(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    context = request_tags(params.get("tags"))
    arn = params.get("arn") or params.get("channelArn") or params.get("resourceArn")
    if isinstance(arn, str):
        return [Check(f"ivs:{operation}", arn, context)]
    if operation == "CreateChannel":
        return [Check("ivs:CreateChannel", _arn("ivs", where, "channel/*"), context)]
    if operation.startswith("Create"):
        return [Check(f"ivs:{operation}", None, context)]
    return [Check(f"ivs:{operation}", "*" if operation.startswith("List") else None)]


def _kms(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    key = params.get("KeyId")
    arn = (
        key
        if isinstance(key, str) and key.startswith("arn:")
        else (_arn("kms", where, f"key/{key}") if key else None)
    )
    return [Check(f"kms:{operation}", arn)]


def _xray(service: str, operation: str, params: dict[str, Any], where: Where) -> list[Check]:
    return [Check(f"xray:{operation}", "*")]


_JSON_HANDLERS: dict[str, Callable[[str, str, dict[str, Any], Where], list[Check]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "events": _events,
    "states": _states,
    "ssm": _ssm,
    "secretsmanager": _secretsmanager,
    "ecs": _ecs,
    "cognito-idp": _cognito,
    "kms": _kms,
}
_QUERY_HANDLERS: dict[str, Callable[[str, str, dict[str, Any], Where], list[Check]]] = {
    "sqs": _sqs,
    "sns": _sns,
}
_REST_HANDLERS: dict[str, Callable[[str, str, dict[str, Any], Where], list[Check]]] = {
    "lambda": _lambda,
    "scheduler": _scheduler,
    "pipes": _pipes,
    "ivs": _ivs,
    "xray": _xray,
}
