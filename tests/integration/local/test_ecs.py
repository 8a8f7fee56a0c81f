"""ECS RunTask on the local cloud: the command runs as a process, the task reaches STOPPED, events fire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cloud import LocalCloud
from local.ecs import EcsService
from tests.integration.local.helpers import StartCloud, drain, queue, wait_for

pytestmark = pytest.mark.timeout(60)

WRITE_TO_S3 = (
    "import boto3, os, sys; "
    "boto3.client('s3').put_object(Bucket='media', Key=os.environ['VIDEO_ID'] + '.txt', "
    "Body=os.environ['GREETING'] + ' ' + os.environ['TOKEN']); "
    "print('wrote', os.environ['VIDEO_ID']); sys.exit(3)"
)


@pytest.fixture(scope="module")
def cloud(start_cloud: StartCloud) -> LocalCloud:
    local = start_cloud(EcsService, events={})
    local.client("ecs").create_cluster(clusterName="media")
    local.client("s3").create_bucket(Bucket="media")
    local.client("ssm").put_parameter(Name="/svideo/token", Value="s3cr3t", Type="SecureString")
    return local


def task_role(cloud: LocalCloud) -> str:
    iam = cloud.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}  # fmt: skip
    try:
        return str(iam.get_role(RoleName="task")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = str(iam.create_role(RoleName="task", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="task", PolicyName="s3", PolicyDocument=json.dumps(policy))
    return arn


def register(cloud: LocalCloud, family: str, command: list[str] | None) -> None:
    container: dict[str, Any] = {
        "name": "main",
        "image": "svideo/postprocess",
        "essential": True,
        "memory": 512,
        "environment": [{"name": "GREETING", "value": "hello"}],
        "secrets": [{"name": "TOKEN", "valueFrom": "/svideo/token"}],
    }
    if command:
        container["command"] = command
    cloud.client("ecs").register_task_definition(
        family=family,
        taskRoleArn=task_role(cloud),  # the task's credentials, as ECS hands them to the containers
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )


def test_given_a_python_task_when_run_then_it_writes_to_s3_stops_with_its_exit_code_and_emits_events(
    cloud: LocalCloud,
) -> None:
    sqs, events, ecs = cloud.client("sqs"), cloud.client("events"), cloud.client("ecs")
    url, arn = queue(cloud, "ecs-events")
    events.put_rule(
        Name="ecs-stopped",
        EventPattern=json.dumps(
            {
                "source": ["aws.ecs"],
                "detail-type": ["ECS Task State Change"],
                "detail": {"lastStatus": ["STOPPED"]},
            }
        ),
    )
    events.put_targets(Rule="ecs-stopped", Targets=[{"Id": "q", "Arn": arn}])
    register(cloud, "writer", ["python", "-c", WRITE_TO_S3])

    response = ecs.run_task(
        cluster="media",
        taskDefinition="writer",
        launchType="FARGATE",
        overrides={
            "containerOverrides": [{"name": "main", "environment": [{"name": "VIDEO_ID", "value": "v42"}]}]
        },
    )

    [task] = response["tasks"]
    assert response["failures"] == []
    stopped = wait_for(
        lambda: [
            t
            for t in ecs.describe_tasks(cluster="media", tasks=[task["taskArn"]])["tasks"]
            if t["lastStatus"] == "STOPPED"
        ]
    )[0]
    assert stopped["stopCode"] == "EssentialContainerExited" and stopped["containers"][0]["exitCode"] == 3
    body = cloud.client("s3").get_object(Bucket="media", Key="v42.txt")["Body"].read()
    assert body == b"hello s3cr3t"
    [event] = drain(sqs, url, 1)
    detail = json.loads(event["Body"])["detail"]
    assert detail["taskArn"] == task["taskArn"] and detail["containers"][0]["exitCode"] == 3
    log_lines = (cloud.state_dir / "logs" / "ecs-writer.log").read_text().splitlines()
    assert json.loads(log_lines[0])["message"] == "wrote v42"


def test_given_a_running_task_when_stopped_then_user_initiated(cloud: LocalCloud) -> None:
    ecs = cloud.client("ecs")
    register(cloud, "sleeper", ["python3", "-c", "import time; time.sleep(30)"])
    [task] = ecs.run_task(cluster="media", taskDefinition="sleeper")["tasks"]
    wait_for(lambda: task["taskArn"] in ecs.list_tasks(cluster="media", family="sleeper")["taskArns"])
    wait_for(
        lambda: (
            ecs.describe_tasks(cluster="media", tasks=[task["taskArn"]])["tasks"][0]["lastStatus"]
            == "RUNNING"
        )
    )
    ecs.stop_task(cluster="media", task=task["taskArn"], reason="deadline passed")
    stopped = wait_for(
        lambda: [
            t
            for t in ecs.describe_tasks(cluster="media", tasks=[task["taskArn"]])["tasks"]
            if t["lastStatus"] == "STOPPED"
        ]
    )[0]
    assert stopped["stopCode"] == "UserInitiated" and stopped["stoppedReason"] == "deadline passed"


def test_given_a_definition_without_command_when_run_then_a_failure_explains_why(cloud: LocalCloud) -> None:
    register(cloud, "image-only", None)
    response = cloud.client("ecs").run_task(cluster="media", taskDefinition="image-only")
    assert response["tasks"] == [] and "command" in response["failures"][0]["reason"]


def test_given_bad_run_task_input_when_called_then_aws_errors(cloud: LocalCloud) -> None:
    ecs = cloud.client("ecs")
    with pytest.raises(ClientError) as no_cluster:
        ecs.run_task(cluster="nope", taskDefinition="writer")
    assert no_cluster.value.response["Error"]["Code"] == "ClusterNotFoundException"
    with pytest.raises(ClientError) as no_definition:
        ecs.run_task(cluster="media", taskDefinition="missing-family")
    assert no_definition.value.response["Error"]["Code"] == "InvalidParameterException"
