"""The AWS CLI against the local cloud, as an operator or plugin author types it: Schema Registry (registries,
schemas, export, Python code bindings), CloudWatch Logs of the functions, CloudFormation's view of the
deployed stacks, Step Functions executions (moto's interpreter, tasks calling the local Lambda and EventBridge
as the state machine's role). `svideo up` deploys the real CoreStack and LiveStack and a StatesStack; every
call below is `aws ...` run as a subprocess with AWS_ENDPOINT_URL, a region and dummy credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.naming import bus_name, schema_registry_name

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "python tests/e2e/apps/tools_app.py"
AWS = str(Path(sys.executable).with_name("aws"))  # awscli from PyPI (v1), in the dev dependencies
AWS_V2 = "/usr/bin/aws"
EVENTS = REPO_ROOT / "tests" / "events"
REGISTRY = schema_registry_name("dev")


class Cli:
    def __init__(self, state: Path, endpoint: str) -> None:
        self.state = state
        self.env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_PAGER": "",
            "SVIDEO_STATE_DIR": str(state),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AWS, *args], env=self.env, text=True, capture_output=True, timeout=120, check=False
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--output", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def outputs(self, stack: str) -> dict[str, str]:
        [found] = self.json("cloudformation", "describe-stacks", "--stack-name", stack)["Stacks"]
        return {output["OutputKey"]: output["OutputValue"] for output in found["Outputs"]}

    def finished(self, execution_arn: str, timeout: float = 30) -> dict[str, Any]:
        """Polls with boto3 (a CLI process per poll is slow) until the execution is no longer RUNNING, then
        answers what `aws stepfunctions describe-execution` prints."""
        states = boto3.client(
            "stepfunctions", endpoint_url=self.env["AWS_ENDPOINT_URL"], region_name="us-east-1"
        )
        deadline = time.monotonic() + timeout
        while states.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        described: dict[str, Any] = self.json(
            "stepfunctions", "describe-execution", "--execution-arn", execution_arn
        )
        return described

    def history(self, execution_arn: str) -> list[str]:
        events = self.json("stepfunctions", "get-execution-history", "--execution-arn", execution_arn)
        return [event["type"] for event in events["events"]]


def _svideo(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "SVIDEO_STATE_DIR": str(state)},
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    state = tmp_path_factory.mktemp("svideo-cli")
    up = _svideo(state, "up", "--detach", "--port", "0", "--app", APP)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        endpoint = json.loads((state / "cloud.json").read_text())["endpoint"]
        yield Cli(state, endpoint)
    finally:
        down = _svideo(state, "down")
        assert down.returncode == 0, down.stderr


# ---------------------------------------------------------------- CloudFormation


def test_given_deployed_stacks_when_described_with_the_cli_then_both_are_complete_with_outputs(
    cli: Cli,
) -> None:
    stacks = {stack["StackName"]: stack for stack in cli.json("cloudformation", "describe-stacks")["Stacks"]}
    assert set(stacks) == {"CoreStack", "LiveStack", "StatesStack"}
    assert {stack["StackStatus"] for stack in stacks.values()} == {"CREATE_COMPLETE"}
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks["LiveStack"]["Outputs"]}
    assert outputs["WebSocketUrl"].startswith(("ws://", "wss://", "http"))
    one = cli.json("cloudformation", "describe-stacks", "--stack-name", "CoreStack")["Stacks"]
    assert [stack["StackId"] for stack in one] == [stacks["CoreStack"]["StackId"]]


def test_given_an_unknown_stack_when_described_then_the_cli_reports_aws_validation_error(cli: Cli) -> None:
    done = cli.run("cloudformation", "describe-stacks", "--stack-name", "NoSuchStack")
    assert done.returncode != 0
    assert "ValidationError" in done.stderr and "Stack with id NoSuchStack does not exist" in done.stderr


def test_given_deployed_stacks_when_resources_are_listed_then_physical_ids_name_real_resources(
    cli: Cli,
) -> None:
    summaries = cli.json("cloudformation", "list-stack-resources", "--stack-name", "CoreStack")[
        "StackResourceSummaries"
    ]
    by_type: dict[str, list[str]] = {}
    for summary in summaries:
        by_type.setdefault(summary["ResourceType"], []).append(summary["PhysicalResourceId"])
    assert by_type["AWS::Events::EventBus"] == [bus_name("dev")]
    assert len(by_type["AWS::EventSchemas::Schema"]) > 10
    described = cli.json("cloudformation", "describe-stack-resources", "--stack-name", "LiveStack")[
        "StackResources"
    ]
    functions = [r["PhysicalResourceId"] for r in described if r["ResourceType"] == "AWS::Lambda::Function"]
    assert functions and all(r["StackName"] == "LiveStack" for r in described)
    names = {f["FunctionName"] for f in cli.json("lambda", "list-functions")["Functions"]}
    assert set(functions) <= names


# ---------------------------------------------------------------- Schema Registry


def test_given_the_core_stack_when_registries_and_schemas_are_listed_then_svideo_schemas_are_there(
    cli: Cli,
) -> None:
    registries = [r["RegistryName"] for r in cli.json("schemas", "list-registries")["Registries"]]
    assert REGISTRY in registries
    names = [
        s["SchemaName"] for s in cli.json("schemas", "list-schemas", "--registry-name", REGISTRY)["Schemas"]
    ]
    assert "svideo.channel@Broadcast.Started" in names and "svideo.video@Video.Published" in names
    described = cli.json(
        "schemas",
        "describe-schema",
        "--registry-name",
        REGISTRY,
        "--schema-name",
        "svideo.video@Video.Published",
    )
    assert described["Type"] == "OpenApi3" and described["SchemaVersion"] == "1"
    assert json.loads(described["Content"])["openapi"].startswith("3.")
    exported = cli.json(
        "schemas", "export-schema", "--registry-name", REGISTRY,
        "--schema-name", "svideo.video@Video.Published", "--type", "JSONSchemaDraft4",
    )  # fmt: skip
    draft4 = json.loads(exported["Content"])
    assert draft4["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert draft4["properties"]["detail"]["$ref"].startswith("#/definitions/")
    missing = cli.run("schemas", "describe-schema", "--registry-name", REGISTRY, "--schema-name", "nope@Nope")
    assert missing.returncode != 0 and "NotFoundException" in missing.stderr


def test_given_a_schema_when_python_bindings_are_generated_then_the_zip_unmarshalls_a_real_event(
    cli: Cli, tmp_path: Path
) -> None:
    schema = ["--registry-name", REGISTRY, "--schema-name", "svideo.channel@Broadcast.Started"]
    put = cli.json("schemas", "put-code-binding", *schema, "--language", "Python36")
    assert put["Status"] == "CREATE_IN_PROGRESS"
    described = cli.json("schemas", "describe-code-binding", *schema, "--language", "Python36")
    assert described["Status"] == "CREATE_COMPLETE" and described["SchemaVersion"] == "1"
    archive = tmp_path / "bindings.zip"
    done = cli.run("schemas", "get-code-binding-source", *schema, "--language", "Python36", str(archive))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(archive) as bindings:
        bindings.extractall(tmp_path / "src")
    package = "schema.svideo_channel.broadcast_started"
    script = (
        "import json, sys\n"
        f"from {package} import AWSEvent, Marshaller\n"
        "event = Marshaller.unmarshall(json.load(sys.stdin), AWSEvent)\n"
        "print(json.dumps({'source': event.source, 'channel': event.detail.channel_id,"
        " 'back': Marshaller.marshall(event)['detail']['channel_id']}))\n"
    )
    sample = (EVENTS / "svideo.channel" / "Broadcast.Started.json").read_text()
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path / "src", input=sample, text=True,
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    expected = json.loads(sample)["detail"]["channel_id"]
    assert json.loads(ran.stdout) == {"source": "svideo.channel", "channel": expected, "back": expected}
    wrong = cli.run("schemas", "describe-code-binding", *schema, "--language", "Go1")
    assert wrong.returncode != 0 and "BadRequestException" in wrong.stderr


def test_given_a_detail_type_when_svideo_events_schema_runs_then_it_prints_the_registry_schema(
    cli: Cli,
) -> None:
    done = _svideo(cli.state, "events", "schema", "Video.Published")
    assert done.returncode == 0, done.stderr
    header, _, body = done.stdout.partition("\n")
    assert header == f"# {REGISTRY}/svideo.video@Video.Published (version 1)"
    assert (
        json.loads(body)["components"]["schemas"]["AWSEvent"]["x-amazon-events-detail-type"]
        == "Video.Published"
    )


# ---------------------------------------------------------------- CloudWatch Logs


def test_given_a_function_ran_when_its_logs_are_read_with_the_cli_then_filter_get_and_tail_show_them(
    cli: Cli,
) -> None:
    described = cli.json("cloudformation", "describe-stack-resources", "--stack-name", "LiveStack")[
        "StackResources"
    ]
    functions = [r["PhysicalResourceId"] for r in described if r["ResourceType"] == "AWS::Lambda::Function"]
    function = functions[0]
    invoked = cli.run(
        "lambda", "invoke", "--function-name", function, "--payload", "{}", str(cli.state / "out.json")
    )
    assert invoked.returncode == 0, invoked.stderr
    group = f"/aws/lambda/{function}"
    deadline = time.monotonic() + 30
    while True:
        found = cli.json("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "START")
        if found.get("events") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert any(e["message"].startswith("START RequestId: ") for e in found["events"]), found
    streams = cli.json("logs", "describe-log-streams", "--log-group-name", group)["logStreams"]
    stream = streams[0]["logStreamName"]
    assert stream.split("/")[3].startswith("[$LATEST]")
    events = cli.json("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream)[
        "events"
    ]
    messages = [event["message"] for event in events]
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") for m in messages)
    # `logs tail` is a CLI v2 command: Debian's package (scripts/setup.sh), endpoint given as a flag.
    tail = subprocess.run(
        [AWS_V2, "--endpoint-url", cli.env["AWS_ENDPOINT_URL"], "logs", "tail", group, "--since", "10m"],
        env=cli.env, text=True, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert tail.returncode == 0, tail.stderr
    assert "START RequestId: " in tail.stdout and stream in tail.stdout


# ---------------------------------------------------------------- Step Functions


def _asked(cli: Cli, inbox: str, timeout: float = 30) -> dict[str, Any]:
    """The `Answer.Requested` event the waiting task put on the bus, as the rule delivered it to the queue
    (read with boto3, as the plugin that answers would)."""
    sqs = boto3.client("sqs", endpoint_url=cli.env["AWS_ENDPOINT_URL"], region_name="us-east-1")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
            return dict(json.loads(message["Body"]))
    raise AssertionError("no Answer.Requested event reached the queue")


def test_given_a_state_machine_when_executed_with_the_cli_then_a_task_token_resumes_it_after_its_event(
    cli: Cli,
) -> None:
    outputs = cli.outputs("StatesStack")
    machine = cli.json("stepfunctions", "describe-state-machine", "--state-machine-arn", outputs["AskerArn"])
    assert machine["loggingConfiguration"]["level"] == "ALL"
    assert machine["tracingConfiguration"] == {"enabled": True}
    started = cli.json("stepfunctions", "start-execution", "--state-machine-arn", outputs["AskerArn"],
                       "--input", json.dumps({"n": 21, "timeout_s": 60}))  # fmt: skip

    asked = _asked(cli, outputs["InboxUrl"])
    assert asked["detail-type"] == "Answer.Requested" and asked["detail"]["doubled"] == 42  # the Lambda ran
    assert started["executionArn"] in asked["resources"]
    assert cli.finished(started["executionArn"], timeout=0)["status"] == "RUNNING"  # waits for the token
    sent = cli.run("stepfunctions", "send-task-success", "--task-token", asked["detail"]["token"],
                   "--task-output", json.dumps({"answer": "yes"}))  # fmt: skip
    assert sent.returncode == 0, sent.stderr

    done = cli.finished(started["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["answer"] == {"answer": "yes"}
    history = cli.history(started["executionArn"])
    assert {"LambdaFunctionSucceeded", "TaskSubmitted", "TaskSucceeded"} <= set(history)
    assert history[-1] == "ExecutionSucceeded"
    logged = cli.json("logs", "filter-log-events", "--log-group-name", outputs["AskerLogGroup"])["events"]
    mine = [json.loads(e["message"]) for e in logged if started["executionArn"] in e["message"]]
    assert [entry["type"] for entry in mine] == history  # level ALL: every history event
    again = cli.run("stepfunctions", "send-task-success", "--task-token", asked["detail"]["token"],
                    "--task-output", "{}")  # fmt: skip
    assert again.returncode != 0  # a token resumes its task once
    listed = boto3.client(
        "stepfunctions", endpoint_url=cli.env["AWS_ENDPOINT_URL"], region_name="us-east-1"
    ).list_executions(stateMachineArn=outputs["AskerArn"], statusFilter="SUCCEEDED")["executions"]
    assert started["executionArn"] in [execution["executionArn"] for execution in listed]


def test_given_a_waiting_task_when_its_timeout_passes_or_it_is_failed_then_catch_or_failure_ends_it(
    cli: Cli,
) -> None:
    outputs = cli.outputs("StatesStack")
    quiet = cli.json("stepfunctions", "start-execution", "--state-machine-arn", outputs["AskerArn"],
                     "--input", json.dumps({"n": 1, "timeout_s": 1}))  # fmt: skip
    failed = cli.json("stepfunctions", "start-execution", "--state-machine-arn", outputs["AskerArn"],
                      "--input", json.dumps({"n": 2, "timeout_s": 60}))  # fmt: skip
    tokens = {event["detail"]["doubled"]: event["detail"]["token"]
              for event in (_asked(cli, outputs["InboxUrl"]), _asked(cli, outputs["InboxUrl"]))}  # fmt: skip
    sent = cli.run("stepfunctions", "send-task-failure", "--task-token", tokens[4],
                   "--error", "Plugin.Broken", "--cause", "the model did not load")  # fmt: skip
    assert sent.returncode == 0, sent.stderr

    timed_out = cli.finished(quiet["executionArn"])
    assert timed_out["status"] == "SUCCEEDED"  # the Catch took the States.Timeout
    assert json.loads(timed_out["output"])["error"]["Error"] == "States.Timeout"
    assert "TaskTimedOut" in cli.history(quiet["executionArn"])
    broken = cli.finished(failed["executionArn"])
    assert (broken["status"], broken["error"], broken["cause"]) == (
        "FAILED",
        "Plugin.Broken",
        "the model did not load",
    )


def test_given_a_role_without_invoke_when_its_task_calls_lambda_then_iam_fails_the_task_as_aws_does(
    cli: Cli,
) -> None:
    outputs = cli.outputs("StatesStack")
    started = cli.json("stepfunctions", "start-execution", "--state-machine-arn", outputs["UngrantedArn"])

    done = cli.finished(started["executionArn"])
    assert (done["status"], done["error"]) == ("FAILED", "Lambda.AccessDeniedException"), done
    principal = f"arn:aws:sts::123456789012:assumed-role/{outputs['UngrantedRole']}/states"
    assert f"User: {principal} is not authorized to perform: lambda:InvokeFunction" in done["cause"]
    assert "TaskFailed" in cli.history(started["executionArn"])
    denials = _svideo(cli.state, "iam", "denials")
    assert "DENIED lambda:InvokeFunction" in denials.stdout and f"principal: {principal}" in denials.stdout
