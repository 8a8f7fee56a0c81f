"""ECS RunTask on the local cloud: each task runs its container's command as a local process.

moto keeps clusters and task definitions; this service answers RunTask, DescribeTasks, ListTasks and StopTask,
reports the task lifecycle (PROVISIONING → PENDING → RUNNING → STOPPED) and emits "ECS Task State Change"
events on the default bus. Container images are not built: a container runs only if it has a command.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.logs import put_line

if TYPE_CHECKING:
    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.ecs")

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_S = 2.0  # ECS sends SIGTERM, then SIGKILL after stopTimeout (30 s by default); locally shorter
_PYTHON_NAMES = {"python", "python3", "python3.11", "python3.12", "python3.13"}
_OPERATIONS = {
    "RunTask": "_run_task_api",
    "DescribeTasks": "_describe_tasks",
    "ListTasks": "_list_tasks",
    "StopTask": "_stop_task",
}


class LocalTask:
    """One running (or stopped) task: the API's task shape plus its processes."""

    def __init__(self, task: dict[str, Any], family: str) -> None:
        self.task = task
        self.family = family
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_requested: str | None = None
        self.lock = threading.Lock()


class EcsService:
    """A `LocalService` for signing name "ecs" and the cloud's `TaskRunner`."""

    signing_names = ("ecs",)

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._tasks: dict[str, LocalTask] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True
        with self._lock:
            tasks = list(self._tasks.values())
        for task in tasks:
            for process in list(task.processes.values()):
                _kill(process, signal.SIGKILL)

    def handle(self, request: AwsRequest) -> Response | None:
        operation = _OPERATIONS.get(request.target or "")
        if operation is None:
            return None  # clusters, task definitions, services: moto answers
        return json_response(getattr(self, operation)(request.json()))

    # -- API ------------------------------------------------------------------------------------------------
    def _run_task_api(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.run_task(body)

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """`TaskRunner.run_task`: RunTask's request JSON in, its response JSON out."""
        cluster_arn = self._cluster_arn(request.get("cluster") or "default")
        definition = self._task_definition(request.get("taskDefinition"))
        count = request.get("count", 1)
        if not isinstance(count, int) or not 1 <= count <= 10:
            raise AwsError("InvalidParameterException", "count must be between 1 and 10.")
        runnable = [
            c
            for c in definition["containerDefinitions"]
            if c.get("command") or c.get("entryPoint") or _override(request, c["name"]).get("command")
        ]
        if not runnable:
            names = ", ".join(c["name"] for c in definition["containerDefinitions"])
            return {
                "tasks": [],
                "failures": [
                    {
                        "arn": definition["taskDefinitionArn"],
                        "reason": f"LOCAL_NO_COMMAND: no container of this task definition ({names}) has "
                        "a command or entryPoint; the local cloud runs commands, it does not build images",
                    }
                ],
            }
        tasks = [self._launch(cluster_arn, definition, runnable, request) for _ in range(count)]
        return {"tasks": tasks, "failures": []}

    def _describe_tasks(self, body: dict[str, Any]) -> dict[str, Any]:
        found, failures = [], []
        for reference in body.get("tasks") or []:
            task = self._find(reference)
            if task is None:
                failures.append({"arn": reference, "reason": "MISSING"})
            else:
                found.append(task.task)
        return {"tasks": found, "failures": failures}

    def _list_tasks(self, body: dict[str, Any]) -> dict[str, Any]:
        cluster_arn = self._cluster_arn(body.get("cluster") or "default")
        desired = body.get("desiredStatus", "RUNNING")
        with self._lock:
            tasks = list(self._tasks.values())
        arns = [
            t.task["taskArn"]
            for t in tasks
            if t.task["clusterArn"] == cluster_arn
            and t.task["desiredStatus"] == desired
            and (not body.get("family") or t.family == body["family"])
            and (not body.get("startedBy") or t.task.get("startedBy") == body["startedBy"])
        ]
        return {"taskArns": arns}

    def _stop_task(self, body: dict[str, Any]) -> dict[str, Any]:
        task = self._find(body.get("task") or "")
        if task is None:
            raise AwsError("InvalidParameterException", "The referenced task was not found.")
        with task.lock:
            task.stop_requested = body.get("reason") or "Task stopped by user"
            task.task["desiredStatus"] = "STOPPED"
        for process in list(task.processes.values()):
            _kill(process, signal.SIGTERM)
            threading.Timer(STOP_GRACE_S, _kill, args=(process, signal.SIGKILL)).start()
        return {"task": task.task}

    # -- helpers --------------------------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        return self.cloud.client(service)

    def _ecs(self) -> Any:
        return self._client("ecs")

    def _cluster_arn(self, cluster: str) -> str:
        response = self._ecs().describe_clusters(clusters=[cluster])
        clusters = [c for c in response.get("clusters", []) if c.get("status") == "ACTIVE"]
        if not clusters:
            raise AwsError("ClusterNotFoundException", "Cluster not found.")
        return str(clusters[0]["clusterArn"])

    def _task_definition(self, reference: str | None) -> dict[str, Any]:
        if not reference:
            raise AwsError("InvalidParameterException", "TaskDefinition can not be blank.")
        try:
            return dict(self._ecs().describe_task_definition(taskDefinition=reference)["taskDefinition"])
        except ClientError as exc:
            raise AwsError("InvalidParameterException", "TaskDefinition not found.") from exc

    def _find(self, reference: str) -> LocalTask | None:
        with self._lock:
            for arn, task in self._tasks.items():
                if reference in (arn, arn.rsplit("/", 1)[-1]):
                    return task
        return None

    def _launch(
        self,
        cluster_arn: str,
        definition: dict[str, Any],
        containers: list[dict[str, Any]],
        request: dict[str, Any],
    ) -> dict[str, Any]:
        task_id = uuid.uuid4().hex
        cluster_name = cluster_arn.rsplit("/", 1)[-1]
        task_arn = self.cloud.arn("ecs", f"task/{cluster_name}/{task_id}")
        now = time.time()
        family = definition["family"]
        task: dict[str, Any] = {
            "taskArn": task_arn,
            "clusterArn": cluster_arn,
            "taskDefinitionArn": definition["taskDefinitionArn"],
            "lastStatus": "PROVISIONING",
            "desiredStatus": "RUNNING",
            "createdAt": now,
            "launchType": request.get("launchType", "FARGATE"),
            "group": request.get("group", f"family:{family}"),
            "cpu": definition.get("cpu"),
            "memory": definition.get("memory"),
            "version": 1,
            "overrides": request.get("overrides") or {"containerOverrides": []},
            "tags": request.get("tags") or [],
            "containers": [
                {
                    "containerArn": self.cloud.arn("ecs", f"container/{cluster_name}/{task_id}/{c['name']}"),
                    "taskArn": task_arn,
                    "name": c["name"],
                    "lastStatus": "PENDING",
                }
                for c in containers
            ],
            "attachments": [],
        }
        if request.get("startedBy"):
            task["startedBy"] = request["startedBy"]
        local = LocalTask(task, family)
        with self._lock:
            self._tasks[task_arn] = local
        self._emit(local)
        threading.Thread(
            target=self._run,
            args=(local, containers, request, definition.get("taskRoleArn")),
            name=f"ecs-task-{task_id[:8]}",
            daemon=True,
        ).start()
        return json.loads(json.dumps(task))

    def _run(
        self,
        local: LocalTask,
        containers: list[dict[str, Any]],
        request: dict[str, Any],
        task_role: str | None = None,
    ) -> None:
        task = local.task
        log_path = self.cloud.state_dir / "logs" / f"ecs-{local.family}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._transition(local, "PENDING")
        readers = []
        try:
            for container in containers:
                command = self._command(container, request)
                env = self._environment(container, request)
                credentials = self._credentials(request, task_role, task["taskArn"])
                for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                    env.pop(name, None)
                env.update(credentials)
                local.processes[container["name"]] = subprocess.Popen(
                    command,
                    cwd=REPOSITORY_ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except (OSError, AwsError) as exc:
            for process in local.processes.values():
                _kill(process, signal.SIGKILL)
            reason = exc.message if isinstance(exc, AwsError) else str(exc)
            self._finish(local, "TaskFailedToStart", f"CannotStartContainerError: {reason}", {})
            return
        definitions = {container["name"]: container for container in containers}
        for name, process in local.processes.items():
            group, stream = _awslogs(definitions.get(name, {}), local.family, name, task["taskArn"])
            reader = threading.Thread(
                target=_pump,
                args=(process, log_path, task["taskArn"], name, (self.cloud.region, group, stream)),
                daemon=True,
            )
            reader.start()
            readers.append(reader)
        with local.lock:
            task["startedAt"] = time.time()
            for container in task["containers"]:
                container["lastStatus"] = "RUNNING"
        self._transition(local, "RUNNING")
        exit_codes = {name: process.wait() for name, process in local.processes.items()}
        for reader in readers:
            reader.join(timeout=5)
        if local.stop_requested:
            self._finish(local, "UserInitiated", local.stop_requested, exit_codes)
        else:
            self._finish(local, "EssentialContainerExited", "Essential container in task exited", exit_codes)

    def _command(self, container: dict[str, Any], request: dict[str, Any]) -> list[str]:
        override = _override(request, container["name"])
        command = list(container.get("entryPoint") or []) + list(
            override.get("command") or container.get("command") or []
        )
        if command and Path(command[0]).name in _PYTHON_NAMES:
            command[0] = sys.executable  # the project's interpreter with its dependencies
        return command

    def _environment(self, container: dict[str, Any], request: dict[str, Any]) -> dict[str, str]:
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
        env.update({item["name"]: item["value"] for item in container.get("environment") or []})
        env.update(
            {
                item["name"]: item["value"]
                for item in _override(request, container["name"]).get("environment") or []
            }
        )
        for secret in container.get("secrets") or []:
            env[secret["name"]] = self._secret(secret["valueFrom"])
        env.update(self.cloud.child_env())
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _credentials(self, request: dict[str, Any], task_role: str | None, task_arn: str) -> dict[str, str]:
        """The task role's session (ECS serves it from the credentials endpoint); no role, no credentials."""
        role = (request.get("overrides") or {}).get("taskRoleArn") or task_role
        if not role:
            return {}
        return self.cloud.iam.session(role, task_arn.rsplit("/", 1)[-1]).environment()

    def _secret(self, value_from: str) -> str:
        """Secrets Manager ARNs (optionally `:json-key:stage:version`) or SSM parameter names/ARNs."""
        try:
            if ":secretsmanager:" in value_from:
                parts = value_from.split(":")
                secret_id, json_key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
                value = self._client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
                return str(json.loads(value)[json_key]) if json_key else str(value)
            name = value_from.split(":parameter", 1)[1] if ":parameter" in value_from else value_from
            response = self._client("ssm").get_parameter(Name=name, WithDecryption=True)
            return str(response["Parameter"]["Value"])
        except (ClientError, KeyError, ValueError) as exc:
            raise AwsError(
                "ResourceInitializationError", f"unable to pull secret {value_from}: {exc}"
            ) from exc

    def _transition(self, local: LocalTask, status: str) -> None:
        with local.lock:
            local.task["lastStatus"] = status
            local.task["version"] += 1
        log.info("task %s %s", local.task["taskArn"], status, extra={"task_arn": local.task["taskArn"]})
        self._emit(local)

    def _finish(self, local: LocalTask, stop_code: str, reason: str, exit_codes: dict[str, int]) -> None:
        with local.lock:
            task = local.task
            task.update(
                stopCode=stop_code,
                stoppedReason=reason,
                desiredStatus="STOPPED",
                stoppingAt=time.time(),
                stoppedAt=time.time(),
                executionStoppedAt=time.time(),
            )
            for container in task["containers"]:
                container["lastStatus"] = "STOPPED"
                code = exit_codes.get(container["name"])
                if code is not None:
                    container["exitCode"] = code if code >= 0 else 128 - code  # killed by signal n → 128 + n
        self._transition(local, "STOPPED")

    def _emit(self, local: LocalTask) -> None:
        """An "ECS Task State Change" event on the default bus, through the local events API."""
        if self._stopping:
            return
        with local.lock:
            detail = json.loads(json.dumps(local.task))
        for key in ("createdAt", "startedAt", "stoppingAt", "stoppedAt", "executionStoppedAt"):
            if key in detail:
                detail[key] = datetime.fromtimestamp(detail[key], UTC).isoformat(timespec="milliseconds")
        detail["updatedAt"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        entry = {
            "Source": "aws.ecs",
            "DetailType": "ECS Task State Change",
            "Detail": json.dumps(detail),
            "Resources": [local.task["taskArn"]],
        }
        try:
            # In-process, as ECS itself emits: PutEvents refuses `aws.*` sources from callers.
            if self.cloud.events is not None:
                self.cloud.events.put_events([entry])
            else:
                self._client("events").put_events(Entries=[entry])
        except Exception as exc:  # a missing events service must not stop the task
            log.warning("could not emit the state change of %s: %s", local.task["taskArn"], exc)


def _override(request: dict[str, Any], name: str) -> dict[str, Any]:
    for override in (request.get("overrides") or {}).get("containerOverrides") or []:
        if override.get("name") == name:
            return dict(override)
    return {}


def _kill(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def _awslogs(container: dict[str, Any], family: str, name: str, task_arn: str) -> tuple[str, str]:
    """The awslogs group and stream `<prefix>/<container>/<task id>` (default group `/ecs/<family>`)."""
    options = (container.get("logConfiguration") or {}).get("options") or {}
    group = options.get("awslogs-group") or f"/ecs/{family}"
    prefix = options.get("awslogs-stream-prefix") or family
    return group, f"{prefix}/{name}/{task_arn.rsplit('/', 1)[-1]}"


def _pump(
    process: subprocess.Popen[bytes],
    log_path: Path,
    task_arn: str,
    container: str,
    cloudwatch: tuple[str, str, str],
) -> None:
    """Container output → `<state_dir>/logs/ecs-<family>.log` (JSON lines) and CloudWatch Logs."""
    assert process.stdout is not None
    region, group, stream = cloudwatch
    with log_path.open("a", encoding="utf-8") as handle:
        for raw in process.stdout:
            put_line(region, group, stream, raw.decode(errors="replace").rstrip("\n"))
            handle.write(
                json.dumps(
                    {
                        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "task_arn": task_arn,
                        "container": container,
                        "message": raw.decode(errors="replace").rstrip("\n"),
                    }
                )
                + "\n"
            )
            handle.flush()
