"""The Lambda API on the local cloud: function CRUD, Invoke, async invocation, event source mappings."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest
from local.contracts import InvokeResult
from local.lambdas import destinations
from local.lambdas.asyncq import AsyncEvent, AsyncQueue
from local.lambdas.functions import Function, FunctionStore, FunctionVersion, split_function_name
from local.lambdas.runtime import Outcome, Throttled, WorkerPool, WorkerSpec

if TYPE_CHECKING:
    from local.cloud import LocalCloud
    from local.lambdas.esm import EventSourceMappings

log = logging.getLogger("svideo.local.lambda")

# Lambda retries a failed asynchronous event after about 1 and then 2 minutes; locally those delays (and event
# ages) are multiplied by this factor so a retry takes seconds, not minutes.
DEFAULT_TIME_SCALE = 1 / 60
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
DEFAULT_ASYNC_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_S = 6 * 3600

Handler = Callable[..., Response]
_FN = r"(?P<name>[^/]+)"
# A name, a partial ARN or a full ARN (with an optional qualifier): what Lambda's FunctionName accepts.
_FUNCTION_NAME = re.compile(
    r"^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_FUNCTION_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/(?P<rest>.+)$")
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "create_function"),
    ("GET", re.compile(r"^/2015-03-31/functions/?$"), "list_functions"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/?$"), "get_function"),
    ("DELETE", re.compile(rf"^/2015-03-31/functions/{_FN}/?$"), "delete_function"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/configuration/?$"), "get_configuration"),
    ("PUT", re.compile(rf"^/2015-03-31/functions/{_FN}/configuration/?$"), "update_configuration"),
    ("PUT", re.compile(rf"^/2015-03-31/functions/{_FN}/code/?$"), "update_code"),
    ("POST", re.compile(rf"^/2015-03-31/functions/{_FN}/invocations/?$"), "invoke_api"),
    ("POST", re.compile(rf"^/2014-11-13/functions/{_FN}/invoke-async/?$"), "invoke_async_api"),
    ("POST", re.compile(rf"^/2015-03-31/functions/{_FN}/versions/?$"), "publish_version"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/versions/?$"), "list_versions"),
    ("POST", re.compile(rf"^/2015-03-31/functions/{_FN}/aliases/?$"), "create_alias"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/aliases/?$"), "list_aliases"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/aliases/(?P<alias>[^/]+)$"), "get_alias"),
    ("PUT", re.compile(rf"^/2015-03-31/functions/{_FN}/aliases/(?P<alias>[^/]+)$"), "update_alias"),
    ("DELETE", re.compile(rf"^/2015-03-31/functions/{_FN}/aliases/(?P<alias>[^/]+)$"), "delete_alias"),
    ("POST", re.compile(rf"^/2015-03-31/functions/{_FN}/policy/?$"), "add_permission"),
    ("GET", re.compile(rf"^/2015-03-31/functions/{_FN}/policy/?$"), "get_policy"),
    ("DELETE", re.compile(rf"^/2015-03-31/functions/{_FN}/policy/(?P<sid>[^/]+)$"), "remove_permission"),
    ("PUT", re.compile(rf"^/2017-10-31/functions/{_FN}/concurrency/?$"), "put_concurrency"),
    ("DELETE", re.compile(rf"^/2017-10-31/functions/{_FN}/concurrency/?$"), "delete_concurrency"),
    ("GET", re.compile(rf"^/2019-09-30/functions/{_FN}/concurrency/?$"), "get_concurrency"),
    ("PUT", re.compile(rf"^/2019-09-25/functions/{_FN}/event-invoke-config/?$"), "put_invoke_config"),
    ("POST", re.compile(rf"^/2019-09-25/functions/{_FN}/event-invoke-config/?$"), "update_invoke_config"),
    ("GET", re.compile(rf"^/2019-09-25/functions/{_FN}/event-invoke-config/?$"), "get_invoke_config"),
    ("DELETE", re.compile(rf"^/2019-09-25/functions/{_FN}/event-invoke-config/?$"), "delete_invoke_config"),
    ("GET", re.compile(rf"^/2019-09-25/functions/{_FN}/event-invoke-config/list/?$"), "list_invoke_configs"),
    ("POST", re.compile(r"^/2017-03-31/tags/(?P<arn>.+)$"), "tag_resource"),
    ("GET", re.compile(r"^/2017-03-31/tags/(?P<arn>.+)$"), "list_tags"),
    ("DELETE", re.compile(r"^/2017-03-31/tags/(?P<arn>.+)$"), "untag_resource"),
    ("POST", re.compile(r"^/2015-03-31/event-source-mappings/?$"), "esm_create"),
    ("GET", re.compile(r"^/2015-03-31/event-source-mappings/?$"), "esm_list"),
    ("GET", re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)$"), "esm_get"),
    ("PUT", re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)$"), "esm_update"),
    ("DELETE", re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)$"), "esm_delete"),
]


def _reject_malformed_function_name(path: str) -> None:
    """A FunctionName that is no name or ARN (a queue URL, say) is a validation error, not moto's echo."""
    match = _FUNCTION_PATH.match(path)
    if match is None:
        return
    name = unquote(match.group("rest")).split("/")[0]
    if not _FUNCTION_NAME.match(name):
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_FUNCTION_NAME.pattern}",
            400,
        )


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(payload), status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class LambdaService:
    """A `LocalService` for signing name "lambda" and the cloud's `LambdaInvoker`."""

    signing_names = ("lambda",)

    def __init__(
        self, cloud: LocalCloud, *, time_scale: float = DEFAULT_TIME_SCALE, async_dispatchers: int = 4
    ) -> None:
        from local.lambdas.esm import EventSourceMappings

        self.cloud = cloud
        self.time_scale = time_scale
        self.store = FunctionStore(
            cloud.state_dir / "functions", cloud.arn("lambda", "function:"), self._fetch_s3
        )
        self.pool = WorkerPool(cloud.child_env, cloud.state_dir / "logs")
        self.async_queue = AsyncQueue(self._process_async, dispatchers=async_dispatchers)
        self.mappings: EventSourceMappings = EventSourceMappings(self)

    # -- LocalService --------------------------------------------------------------------------------------
    def start(self) -> None:
        self.async_queue.start()
        self.mappings.start()

    def stop(self) -> None:
        self.mappings.stop()
        self.pool.close()
        self.async_queue.stop()

    def handle(self, request: AwsRequest) -> Response | None:
        for method, pattern, name in _ROUTES:
            if request.method != method:
                continue
            match = pattern.match(request.path)
            if match:
                params = {key: unquote(value) for key, value in match.groupdict().items()}
                handler: Handler = getattr(self, name)
                return handler(request, **params)
        _reject_malformed_function_name(request.path)
        return None  # layers, function URLs, account settings...: moto answers

    def _fetch_s3(self, bucket: str, key: str, version: str | None) -> bytes:
        s3: Any = self.cloud.client("s3")
        extra = {"VersionId": version} if version else {}
        try:
            return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())
        except Exception as exc:
            raise AwsError(
                "InvalidParameterValueException",
                f"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
                f"could not read s3://{bucket}/{key}: {exc}",
                400,
            ) from exc

    def _qualifier(self, request: AwsRequest, name_value: str) -> tuple[Function, str | None]:
        _, qualifier_in_name = split_function_name(name_value)
        function = self.store.get(name_value)
        return function, request.query_one("Qualifier") or qualifier_in_name

    # -- functions -----------------------------------------------------------------------------------------
    def create_function(self, request: AwsRequest) -> Response:
        function = self.store.create(request.json())
        log.info("created function %s", function.name)
        return _json(function.latest.config, 201)

    def list_functions(self, request: AwsRequest) -> Response:
        return _json({"Functions": [function.latest.config for function in self.store.all()]})

    def get_function(self, request: AwsRequest, name: str) -> Response:
        function, qualifier = self._qualifier(request, name)
        version = function.resolve(qualifier)
        payload: dict[str, Any] = {
            "Configuration": version.config,
            "Code": {"RepositoryType": "S3", "Location": f"file://{version.code_dir}"},
            "Tags": function.tags,
        }
        if function.reserved_concurrency is not None:
            payload["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
        return _json(payload)

    def get_configuration(self, request: AwsRequest, name: str) -> Response:
        function, qualifier = self._qualifier(request, name)
        return _json(function.resolve(qualifier).config)

    def delete_function(self, request: AwsRequest, name: str) -> Response:
        function, qualifier = self._qualifier(request, name)
        self.store.delete(function, qualifier)
        self.pool.retire(function.name)
        return Response(status=204)

    def update_configuration(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        config = self.store.update_configuration(function, request.json())
        self.pool.retire(function.name)
        return _json(config)

    def update_code(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        config = self.store.update_code(function, request.json())
        self.pool.retire(function.name)
        return _json(config)

    def publish_version(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        return _json(self.store.publish(function, request.json().get("Description", "")), 201)

    def list_versions(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        configs = [function.latest.config] + [v.config for v in function.versions.values()]
        return _json({"Versions": configs})

    # -- aliases -------------------------------------------------------------------------------------------
    def _alias_config(self, function: Function, body: dict[str, Any], alias: str) -> dict[str, Any]:
        version = body.get("FunctionVersion")
        if version is None or (version != "$LATEST" and version not in function.versions):
            raise AwsError(
                "ResourceNotFoundException",
                f"Function not found: {self.store.arn(function.name, str(version))}",
                404,
            )
        config = {
            "AliasArn": self.store.arn(function.name, alias),
            "Name": alias,
            "FunctionVersion": version,
            "Description": body.get("Description", ""),
            "RevisionId": str(uuid.uuid4()),
        }
        if body.get("RoutingConfig"):
            config["RoutingConfig"] = body["RoutingConfig"]
        return config

    def create_alias(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        body = request.json()
        alias = body.get("Name") or ""
        if alias in function.aliases:
            raise AwsError(
                "ResourceConflictException", f"Alias already exists: {self.store.arn(name, alias)}", 409
            )
        function.aliases[alias] = self._alias_config(function, body, alias)
        return _json(function.aliases[alias], 201)

    def _alias(self, function: Function, alias: str) -> dict[str, Any]:
        if alias not in function.aliases:
            raise AwsError(
                "ResourceNotFoundException", f"Alias not found: {self.store.arn(function.name, alias)}", 404
            )
        return function.aliases[alias]

    def get_alias(self, request: AwsRequest, name: str, alias: str) -> Response:
        return _json(self._alias(self.store.get(name), alias))

    def list_aliases(self, request: AwsRequest, name: str) -> Response:
        return _json({"Aliases": list(self.store.get(name).aliases.values())})

    def update_alias(self, request: AwsRequest, name: str, alias: str) -> Response:
        function = self.store.get(name)
        current = self._alias(function, alias)
        body = {
            "FunctionVersion": current["FunctionVersion"],
            "Description": current["Description"],
            **request.json(),
        }
        function.aliases[alias] = self._alias_config(function, body, alias)
        return _json(function.aliases[alias])

    def delete_alias(self, request: AwsRequest, name: str, alias: str) -> Response:
        self.store.get(name).aliases.pop(alias, None)
        return Response(status=204)

    # -- permissions, concurrency, tags --------------------------------------------------------------------
    def add_permission(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        body = request.json()
        sid = body.get("StatementId")
        if not sid or not body.get("Action") or not body.get("Principal"):
            raise AwsError(
                "InvalidParameterValueException", "StatementId, Action and Principal are required", 400
            )
        if any(statement["Sid"] == sid for statement in function.policy):
            raise AwsError(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement.",
                409,
            )
        principal = body["Principal"]
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": principal}
            if principal.endswith(".amazonaws.com")
            else {"AWS": principal},
            "Action": body["Action"],
            "Resource": self.store.arn(function.name, request.query_one("Qualifier")),
        }
        conditions: dict[str, Any] = {}
        if body.get("SourceArn"):
            conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = body["SourceArn"]
        if body.get("SourceAccount"):
            conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = body["SourceAccount"]
        if conditions:
            statement["Condition"] = conditions
        function.policy.append(statement)
        return _json({"Statement": json.dumps(statement)}, 201)

    def get_policy(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        if not function.policy:
            raise AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": function.policy}
        return _json({"Policy": json.dumps(policy), "RevisionId": function.latest.config["RevisionId"]})

    def remove_permission(self, request: AwsRequest, name: str, sid: str) -> Response:
        function = self.store.get(name)
        before = len(function.policy)
        function.policy[:] = [s for s in function.policy if s["Sid"] != sid]
        if len(function.policy) == before:
            raise AwsError(
                "ResourceNotFoundException", f"Statement {sid} is not found in resource policy.", 404
            )
        return Response(status=204)

    def put_concurrency(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        value = request.json().get("ReservedConcurrentExecutions")
        if not isinstance(value, int) or value < 0:
            raise AwsError(
                "InvalidParameterValueException",
                "ReservedConcurrentExecutions must be a non-negative integer",
                400,
            )
        function.reserved_concurrency = value
        return _json({"ReservedConcurrentExecutions": value})

    def delete_concurrency(self, request: AwsRequest, name: str) -> Response:
        self.store.get(name).reserved_concurrency = None
        return Response(status=204)

    def get_concurrency(self, request: AwsRequest, name: str) -> Response:
        value = self.store.get(name).reserved_concurrency
        return _json({} if value is None else {"ReservedConcurrentExecutions": value})

    def _tagged(self, arn: str) -> Function:
        return self.store.get(arn)

    def tag_resource(self, request: AwsRequest, arn: str) -> Response:
        self._tagged(arn).tags.update(request.json().get("Tags") or {})
        return Response(status=204)

    def list_tags(self, request: AwsRequest, arn: str) -> Response:
        return _json({"Tags": self._tagged(arn).tags})

    def untag_resource(self, request: AwsRequest, arn: str) -> Response:
        function = self._tagged(arn)
        for key in request.query.get("tagKeys", []):
            function.tags.pop(key, None)
        return Response(status=204)

    # -- event invoke config -------------------------------------------------------------------------------
    def _invoke_config_key(self, request: AwsRequest, name: str) -> tuple[Function, str]:
        function, qualifier = self._qualifier(request, name)
        if qualifier not in (None, "", "$LATEST"):
            function.resolve(qualifier)
        return function, qualifier or "$LATEST"

    def _write_invoke_config(self, request: AwsRequest, name: str, *, merge: bool) -> Response:
        function, qualifier = self._invoke_config_key(request, name)
        body = request.json()
        retries = body.get("MaximumRetryAttempts")
        if retries is not None and not (isinstance(retries, int) and 0 <= retries <= 2):
            raise AwsError(
                "InvalidParameterValueException",
                "1 validation error detected: Value at 'maximumRetryAttempts' failed to satisfy "
                "constraint: Member must have value less than or equal to 2",
                400,
            )
        age = body.get("MaximumEventAgeInSeconds")
        if age is not None and not (isinstance(age, int) and 60 <= age <= 21600):
            raise AwsError(
                "InvalidParameterValueException",
                "1 validation error detected: Value at 'maximumEventAgeInSeconds' failed to satisfy "
                "constraint: Member must have value between 60 and 21600",
                400,
            )
        for outcome in ("OnSuccess", "OnFailure"):
            destination = ((body.get("DestinationConfig") or {}).get(outcome) or {}).get("Destination")
            if destination and destination.split(":")[2:3] not in (["sqs"], ["sns"], ["lambda"], ["events"]):
                raise AwsError(
                    "InvalidParameterValueException", f"The destination ARN {destination} is invalid.", 400
                )
        if merge:
            if qualifier not in function.event_invoke_configs:
                raise AwsError(
                    "ResourceNotFoundException",
                    f"The function {self.store.arn(function.name, qualifier)} doesn't have an "
                    "EventInvokeConfig",
                    404,
                )
            config = {**function.event_invoke_configs[qualifier], **body}
        else:
            config = dict(body)
        config.update(FunctionArn=self.store.arn(function.name, qualifier), LastModified=time.time())
        config.setdefault("DestinationConfig", {})
        function.event_invoke_configs[qualifier] = config
        return _json(config)

    def put_invoke_config(self, request: AwsRequest, name: str) -> Response:
        return self._write_invoke_config(request, name, merge=False)

    def update_invoke_config(self, request: AwsRequest, name: str) -> Response:
        return self._write_invoke_config(request, name, merge=True)

    def get_invoke_config(self, request: AwsRequest, name: str) -> Response:
        function, qualifier = self._invoke_config_key(request, name)
        config = function.event_invoke_configs.get(qualifier)
        if config is None:
            raise AwsError(
                "ResourceNotFoundException",
                f"The function {self.store.arn(function.name, qualifier)} doesn't have an EventInvokeConfig",
                404,
            )
        return _json(config)

    def delete_invoke_config(self, request: AwsRequest, name: str) -> Response:
        function, qualifier = self._invoke_config_key(request, name)
        function.event_invoke_configs.pop(qualifier, None)
        return Response(status=204)

    def list_invoke_configs(self, request: AwsRequest, name: str) -> Response:
        function = self.store.get(name)
        return _json({"FunctionEventInvokeConfigs": list(function.event_invoke_configs.values())})

    # -- event source mappings (state and pollers live in esm.py) ------------------------------------------
    def esm_create(self, request: AwsRequest) -> Response:
        return _json(self.mappings.create(request.json()), 202)

    def esm_list(self, request: AwsRequest) -> Response:
        return _json(
            {
                "EventSourceMappings": self.mappings.list_mappings(
                    function_name=request.query_one("FunctionName"),
                    source_arn=request.query_one("EventSourceArn"),
                )
            }
        )

    def esm_get(self, request: AwsRequest, uuid: str) -> Response:
        return _json(self.mappings.get(uuid))

    def esm_update(self, request: AwsRequest, uuid: str) -> Response:
        return _json(self.mappings.update(uuid, request.json()), 202)

    def esm_delete(self, request: AwsRequest, uuid: str) -> Response:
        return _json(self.mappings.delete(uuid), 202)

    # -- Invoke --------------------------------------------------------------------------------------------
    def invoke_api(self, request: AwsRequest, name: str) -> Response:
        invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            raise AwsError(
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed "
                "to satisfy constraint: Member must satisfy enum value set: "
                "[Event, RequestResponse, DryRun]",
                400,
            )
        client_context = None
        if request.headers.get("x-amz-client-context"):
            try:
                client_context = json.loads(base64.b64decode(request.headers["x-amz-client-context"]))
            except ValueError as exc:
                raise AwsError(
                    "InvalidRequestContentException", "Client context must be base64 JSON", 400
                ) from exc
        result = self.invoke(
            name,
            request.body,
            invocation_type=invocation_type,
            qualifier=request.query_one("Qualifier"),
            client_context=client_context,
        )
        headers = {"X-Amz-Executed-Version": result.executed_version}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if request.headers.get("x-amz-log-type") == "Tail" and invocation_type == "RequestResponse":
            headers["X-Amz-Log-Result"] = result.log_tail
        response = Response(result.payload, status=result.status_code, content_type="application/json")
        for key, value in headers.items():
            response.headers[key] = value
        return response

    def invoke_async_api(self, request: AwsRequest, name: str) -> Response:
        self.invoke(name, request.body, invocation_type="Event")
        return _json({"Status": 202}, 202)

    def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        invocation_type: Literal["RequestResponse", "Event", "DryRun"] | str = "RequestResponse",
        qualifier: str | None = None,
        client_context: Any = None,
    ) -> InvokeResult:
        """`LambdaInvoker.invoke`: runs the handler (sync), queues it (Event) or only checks (DryRun)."""
        found = self.store.get(function)
        _, name_qualifier = split_function_name(function)
        qualifier = qualifier or name_qualifier
        version = found.resolve(qualifier)
        executed = version.config["Version"]
        payload = payload or b"{}"
        self._check_payload(
            payload, ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        )
        if invocation_type == "DryRun":
            return InvokeResult(status_code=204, payload=b"", executed_version=executed)
        if invocation_type == "Event":
            request_id = str(uuid.uuid4())
            self.async_queue.put(AsyncEvent(found.name, qualifier, payload, request_id))
            log.info(
                "queued async invocation of %s request_id=%s",
                found.name,
                request_id,
                extra={"request_id": request_id, "function": found.name},
            )
            return InvokeResult(status_code=202, payload=b"", executed_version=executed)
        outcome = self.run(found, version, payload, qualifier=qualifier, client_context=client_context)
        body = outcome.payload if outcome.error is None else json.dumps(outcome.error).encode()
        return InvokeResult(
            status_code=200,
            payload=body,
            function_error=outcome.function_error,
            log_tail=outcome.log_tail(),
            executed_version=executed,
        )

    @staticmethod
    def _check_payload(payload: bytes, limit: int) -> None:
        if len(payload) > limit:
            raise AwsError(
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
            )
        try:
            json.loads(payload)
        except ValueError as exc:
            raise AwsError(
                "InvalidRequestContentException",
                "Could not parse request body into json: Could not parse payload into json",
                400,
            ) from exc

    def run(
        self,
        function: Function,
        version: FunctionVersion,
        payload: bytes,
        *,
        qualifier: str | None = None,
        client_context: Any = None,
        request_id: str | None = None,
    ) -> Outcome:
        """One synchronous run in a worker; throttling raises TooManyRequestsException like the API."""
        config = version.config
        spec = WorkerSpec(
            function_name=function.name,
            version=config["Version"],
            function_arn=config["FunctionArn"],
            handler=config["Handler"],
            code_dir=version.code_dir,
            timeout_s=float(config["Timeout"]),
            memory_mb=int(config["MemorySize"]),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            log_group=(config.get("LoggingConfig") or {}).get("LogGroup", f"/aws/lambda/{function.name}"),
            credentials=self.cloud.iam.session(config["Role"], function.name).environment()
            if config.get("Role")
            else {},
        )
        metrics = self.cloud.metrics
        try:
            outcome = self.pool.invoke(
                spec,
                payload,
                reserved_concurrency=function.reserved_concurrency,
                request_id=request_id,
                invoked_arn=self.store.arn(function.name, qualifier),
                client_context=client_context,
            )
        except Throttled as exc:
            if metrics is not None:
                metrics.lambda_invoked(function.name, duration_ms=None, error=False, throttled=True)
            raise AwsError(
                "TooManyRequestsException",
                f"{exc} (Reason: ReservedFunctionConcurrentInvocationLimitExceeded)",
                429,
            ) from exc
        if metrics is not None:
            metrics.lambda_invoked(
                function.name,
                duration_ms=outcome.duration_ms,
                error=outcome.error is not None,
                throttled=False,
            )
        return outcome

    # -- asynchronous invocation ---------------------------------------------------------------------------
    def _invoke_config(self, function: Function, qualifier: str | None) -> dict[str, Any]:
        return (
            function.event_invoke_configs.get(qualifier or "$LATEST")
            or function.event_invoke_configs.get("$LATEST")
            or {}
        )

    def _process_async(self, event: AsyncEvent) -> None:
        try:
            function = self.store.get(event.function_name)
            version = function.resolve(event.qualifier)
        except AwsError:
            log.warning("dropping async event %s: function %s is gone", event.request_id, event.function_name)
            return
        config = self._invoke_config(function, event.qualifier)
        max_retries = config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)
        age = (time.time() - event.enqueued_at) / self.time_scale
        if age > max_age:
            self._async_failed(function, version, event, config, "EventAgeExceeded", None)
            return
        try:
            outcome = self.run(
                function, version, event.payload, qualifier=event.qualifier, request_id=event.request_id
            )
        except AwsError as exc:
            if exc.code == "TooManyRequestsException":  # throttles do not count as attempts
                self.async_queue.put(event, delay_s=max(60 * self.time_scale, 0.05))
                return
            raise
        event.attempts += 1
        if outcome.error is None:
            self._async_succeeded(function, version, event, config, outcome)
            return
        if event.attempts <= max_retries:
            delay = 60 * event.attempts * self.time_scale  # Lambda waits about 1 minute, then 2
            log.info(
                "async invocation %s of %s failed (%s); retry %d in %.2fs",
                event.request_id,
                function.name,
                outcome.error.get("errorType"),
                event.attempts,
                delay,
                extra={"request_id": event.request_id, "function": function.name},
            )
            self.async_queue.put(event, delay_s=delay)
            return
        self._async_failed(function, version, event, config, "RetriesExhausted", outcome)

    def _record(
        self, version: FunctionVersion, event: AsyncEvent, condition: str, outcome: Outcome | None
    ) -> dict[str, Any]:
        response: Any = None
        if outcome is not None:
            raw = json.dumps(outcome.error).encode() if outcome.error is not None else outcome.payload
            try:
                response = json.loads(raw) if raw else None
            except ValueError:
                response = raw.decode(errors="replace")
        return destinations.invocation_record(
            request_id=event.request_id,
            function_arn=self.store.arn(version.config["FunctionName"], event.qualifier or "$LATEST"),
            condition=condition,
            invoke_count=max(event.attempts, 1),
            request_payload=json.loads(event.payload),
            function_error=outcome.function_error if outcome else None,
            response_payload=response,
            executed_version=version.config["Version"],
        )

    def _async_succeeded(
        self,
        function: Function,
        version: FunctionVersion,
        event: AsyncEvent,
        config: dict[str, Any],
        outcome: Outcome,
    ) -> None:
        destination = ((config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
        if destination:
            self._deliver_record(
                destination,
                self._record(version, event, "Success", outcome),
                True,
                version.config["FunctionArn"],
            )

    def _async_failed(
        self,
        function: Function,
        version: FunctionVersion,
        event: AsyncEvent,
        config: dict[str, Any],
        condition: str,
        outcome: Outcome | None,
    ) -> None:
        log.warning(
            "async invocation %s of %s failed for good (%s)",
            event.request_id,
            function.name,
            condition,
            extra={"request_id": event.request_id, "function": function.name},
        )
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination:
            self._deliver_record(
                destination,
                self._record(version, event, condition, outcome),
                False,
                version.config["FunctionArn"],
            )
            return
        dead_letter = (version.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if dead_letter:
            message = (outcome.error or {}).get("errorMessage", condition) if outcome else condition
            try:
                destinations.send_dead_letter(
                    self.cloud.client,
                    dead_letter,
                    event.payload,
                    request_id=event.request_id,
                    error_message=str(message),
                )
            except Exception:
                log.exception("dead-letter delivery to %s failed", dead_letter)

    def _deliver_record(
        self, destination: str, record: dict[str, Any], success: bool, function_arn: str
    ) -> None:
        try:
            destinations.send_record(
                self.cloud.client,
                self.invoke_event,
                destination,
                record,
                success=success,
                function_arn=function_arn,
            )
        except Exception:
            log.exception("destination delivery to %s failed", destination)

    def invoke_event(self, arn: str, payload: bytes) -> None:
        self.invoke(arn, payload, invocation_type="Event")
