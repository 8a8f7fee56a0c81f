"""Lambda on the local cloud through boto3: Invoke sync and async, Tail logs, timeouts, crashes, errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.lambdas import LambdaService
from tests.integration.local.helpers import ROLE, StartCloud, create_function, drain, queue, wait_for, zipped

pytestmark = pytest.mark.timeout(60)

HANDLER = """
import json, os, time
print("importing app")
COUNT = {"n": 0}

def handler(event, context):
    COUNT["n"] += 1
    print(json.dumps({"event": event, "request": context.aws_request_id}))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("boom")
    if event.get("exit"):
        os._exit(3)
    if event.get("allocate_mb"):
        hog = bytearray(event["allocate_mb"] * 1024 * 1024)
    return {"pid": os.getpid(), "count": COUNT["n"], "name": context.function_name,
            "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "group": context.log_group_name,
            "env": os.environ.get("GREETING"), "endpoint": os.environ.get("AWS_ENDPOINT_URL")}
"""


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    # async retries after 0.12 s and 0.24 s
    local = start_cloud(lambda cloud: LambdaService(cloud, time_scale=0.002))
    create_function(
        local.client("lambda"), "echo", HANDLER, Timeout=2, Environment={"Variables": {"GREETING": "hi"}}
    )
    return local


@pytest.fixture(scope="module")
def lam(cloud: LocalCloud) -> Any:
    return cloud.client("lambda")


def invoke(lam: Any, payload: dict[str, Any], name: str = "echo", **extra: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload), **extra)
    return response, json.loads(response["Payload"].read())


def test_given_a_function_when_invoked_twice_then_the_warm_worker_is_reused_with_a_real_context(
    lam: Any, cloud: LocalCloud
) -> None:
    first, body = invoke(lam, {"a": 1})
    _, again = invoke(lam, {"a": 2})
    assert first["StatusCode"] == 200 and "FunctionError" not in first
    assert again["pid"] == body["pid"] and again["count"] == body["count"] + 1
    assert body["name"] == "echo" and body["memory"] == "128" and body["env"] == "hi"
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert 0 < body["remaining"] <= 2000 and body["group"] == "/aws/lambda/echo"
    assert body["endpoint"] == cloud.endpoint


def test_given_tail_logs_when_invoked_then_the_log_result_has_the_handler_output_and_report(lam: Any) -> None:
    response, _ = invoke(lam, {"tail": True}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "START RequestId:" in tail and "END RequestId:" in tail and "REPORT RequestId:" in tail
    assert '"tail": true' in tail and "Max Memory Used:" in tail


def test_given_a_cold_start_when_invoked_then_report_shows_init_duration_and_log_file_has_json_lines(
    lam: Any, cloud: LocalCloud
) -> None:
    create_function(lam, "cold", HANDLER)
    response, _ = invoke(lam, {}, name="cold", LogType="Tail")
    assert "Init Duration:" in base64.b64decode(response["LogResult"]).decode()
    lines = [json.loads(line) for line in (cloud.state_dir / "logs" / "cold.log").read_text().splitlines()]
    assert any(line["message"] == "importing app" for line in lines)
    assert any(line["message"].startswith("REPORT") and line["request_id"] for line in lines)


def test_given_a_raising_handler_when_invoked_then_unhandled_error_payload_like_aws(lam: Any) -> None:
    response, body = invoke(lam, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "boom"
    assert any("app.py" in frame for frame in body["stackTrace"])
    assert not any("bootstrap.py" in frame for frame in body["stackTrace"])


def test_given_a_handler_past_its_timeout_when_invoked_then_sandbox_timedout_and_next_invoke_works(
    lam: Any,
) -> None:
    response, body = invoke(lam, {"sleep": 5})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 2.00 seconds")
    after, ok = invoke(lam, {}, LogType="Tail")
    assert "FunctionError" not in after and "Init Duration:" in base64.b64decode(after["LogResult"]).decode()
    assert ok["count"] == 1  # a new worker: the module was imported again


def test_given_a_handler_that_exits_when_invoked_then_runtime_exit_error_and_runtime_keeps_serving(
    lam: Any,
) -> None:
    response, body = invoke(lam, {"exit": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError" and "exit status 3" in body["errorMessage"]
    assert "FunctionError" not in invoke(lam, {})[0]


def test_given_a_handler_allocating_past_its_memory_when_invoked_then_runtime_out_of_memory(lam: Any) -> None:
    response, body = invoke(lam, {"allocate_mb": 2048})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory"
    assert "FunctionError" not in invoke(lam, {"allocate_mb": 16})[0]


def test_given_bad_requests_when_calling_the_api_then_aws_error_codes(lam: Any) -> None:
    with pytest.raises(ClientError) as missing:
        lam.invoke(FunctionName="missing")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as duplicate:
        create_function(lam, "echo", HANDLER)
    assert duplicate.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(ClientError) as bad_zip:
        lam.create_function(
            FunctionName="bad",
            Runtime="python3.13",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": b"not a zip"},
        )
    assert bad_zip.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as bad_json:
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    assert bad_json.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_given_a_function_name_not_a_name_or_arn_when_invoked_then_validation_exception(lam: Any) -> None:
    # A queue URL passed by mistake used to fall through to moto, which answered 200 with the payload echoed.
    with pytest.raises(ClientError) as error:
        lam.invoke(FunctionName="http://127.0.0.1:4566/123456789012/queue", Payload=b"{}")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_given_crud_calls_when_made_then_boto3_parses_every_response(lam: Any) -> None:
    create_function(lam, "crud", HANDLER, Tags={"team": "video"})
    assert lam.get_function_configuration(FunctionName="crud")["Handler"] == "app.handler"
    updated = lam.update_function_configuration(FunctionName="crud", Timeout=5, MemorySize=256)
    assert (updated["Timeout"], updated["MemorySize"]) == (5, 256)
    lam.update_function_code(FunctionName="crud", ZipFile=zipped("def handler(e, c):\n    return 'v2'\n"))
    assert json.loads(lam.invoke(FunctionName="crud")["Payload"].read()) == "v2"
    version = lam.publish_version(FunctionName="crud")["Version"]
    lam.create_alias(FunctionName="crud", Name="live", FunctionVersion=version)
    assert lam.get_alias(FunctionName="crud", Name="live")["FunctionVersion"] == version
    assert lam.invoke(FunctionName="crud", Qualifier="live")["ExecutedVersion"] == version
    lam.add_permission(
        FunctionName="crud",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    assert "events.amazonaws.com" in lam.get_policy(FunctionName="crud")["Policy"]
    lam.remove_permission(FunctionName="crud", StatementId="events")
    arn = lam.get_function(FunctionName="crud")["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"stage": "local"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "video", "stage": "local"}
    assert lam.invoke(FunctionName="crud", InvocationType="DryRun")["StatusCode"] == 204
    lam.delete_function(FunctionName="crud")
    assert "crud" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]


def test_given_reserved_concurrency_zero_when_invoked_then_throttled(lam: Any) -> None:
    create_function(lam, "throttled", HANDLER)
    lam.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as throttled:
        lam.invoke(FunctionName="throttled")
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_given_a_failing_async_invoke_when_retries_run_out_then_on_failure_gets_the_invocation_record(
    lam: Any, cloud: LocalCloud
) -> None:
    url, arn = queue(cloud, "async-failures")
    lam.put_function_event_invoke_config(
        FunctionName="echo", MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    response = lam.invoke(FunctionName="echo", InvocationType="Event", Payload=json.dumps({"fail": True}))
    assert response["StatusCode"] == 202
    [message] = drain(cloud.client("sqs"), url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"fail": True}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"
    lam.delete_function_event_invoke_config(FunctionName="echo")


def test_given_on_success_destination_when_async_invoke_succeeds_then_record_has_the_response(
    lam: Any, cloud: LocalCloud
) -> None:
    url, arn = queue(cloud, "async-success")
    create_function(lam, "ok-async", HANDLER)
    lam.put_function_event_invoke_config(
        FunctionName="ok-async", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    lam.invoke(FunctionName="ok-async", InvocationType="Event", Payload=b'{"x": 1}')
    [message] = drain(cloud.client("sqs"), url, 1)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"]["name"] == "ok-async"


def test_given_a_dead_letter_queue_when_async_retries_are_exhausted_then_the_event_lands_there(
    lam: Any, cloud: LocalCloud
) -> None:
    url, arn = queue(cloud, "function-dlq")
    create_function(lam, "with-dlq", HANDLER, DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName="with-dlq", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="with-dlq", InvocationType="Event", Payload=b'{"fail": true}')
    [message] = drain(cloud.client("sqs"), url, 1)
    assert json.loads(message["Body"]) == {"fail": True}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "boom"


def test_given_code_in_s3_when_creating_a_function_then_it_is_fetched_from_local_s3(
    lam: Any, cloud: LocalCloud, tmp_path: Path
) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="assets")
    s3.put_object(Bucket="assets", Key="code.zip", Body=zipped("def handler(e, c):\n    return 's3'\n"))
    lam.create_function(
        FunctionName="from-s3",
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "assets", "S3Key": "code.zip"},
    )
    assert json.loads(lam.invoke(FunctionName="from-s3")["Payload"].read()) == "s3"
    assert wait_for(lambda: (cloud.state_dir / "functions" / "from-s3" / "code" / "app.py").exists())
