"""Starts the Fargate task for a job (the Lambda function's hand-over for recordings too big for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .job import Job

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


class LaunchError(RuntimeError):
    """RunTask started nothing; the caller's retry policy decides what happens next."""


class EcsLauncher:
    def __init__(
        self,
        client: ECSClient,
        *,
        cluster: str,
        task_definition: str,
        container: str,
        subnets: list[str],
        security_groups: list[str],
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.task_definition = task_definition
        self.container = container
        self.subnets = subnets
        self.security_groups = security_groups

    def launch(self, job: Job) -> str:
        request: dict[str, Any] = {
            "cluster": self.cluster,
            "taskDefinition": self.task_definition,
            "launchType": "FARGATE",
            "count": 1,
            "startedBy": "postprocess-handover",
            "overrides": {
                "containerOverrides": [
                    {
                        "name": self.container,
                        "environment": [{"name": k, "value": v} for k, v in job.to_env().items()],
                    }
                ]
            },
        }
        if self.subnets:
            # Public subnets without NAT: the task needs a public IP to reach ECR, S3 and EventBridge.
            request["networkConfiguration"] = {
                "awsvpcConfiguration": {
                    "subnets": self.subnets,
                    "securityGroups": self.security_groups,
                    "assignPublicIp": "ENABLED",
                }
            }
        response = self.client.run_task(**request)
        tasks = response.get("tasks") or []
        if not tasks:
            raise LaunchError(f"RunTask started no task for {job.video_id}: {response.get('failures')}")
        return str(tasks[0]["taskArn"])
