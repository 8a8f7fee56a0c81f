"""AWS Step Functions: moto's Amazon States Language interpreter, its tasks calling this cloud as the role.

moto answers the Step Functions API and runs executions (`execute_state_machine`, set by the gateway) with the
interpreter it took from LocalStack (`moto.stepfunctions.parser`). Its service integrations (Lambda invoke,
EventBridge PutEvents, SQS, DynamoDB, aws-sdk, ...) reach AWS through one function, `boto_client_for`, which
calls `localhost:$MOTO_PORT` with dummy keys. This part points that function at this cloud's endpoint with
the credentials of a session of the state machine's role (or of the state's `Credentials.RoleArn`), so the
gateway evaluates every task's call with that role's policies, as Step Functions does on AWS, and the calls
reach the services the local cloud runs (its Lambda runtime, its EventBridge), not moto's stand-ins.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from werkzeug.wrappers import Response

from local.aws import AwsRequest

if TYPE_CHECKING:
    from local.cloud import LocalCloud

log = logging.getLogger("svideo.local.stepfunctions")

SESSION_NAME = "states"  # the role session a state machine's tasks call AWS with
# The interpreter's modules that bind `boto_client_for` at import (every service integration).
_INTEGRATION_MODULES = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_factory",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)
_PARSER_PREFIX = "moto.stepfunctions.parser"
_lock = threading.Lock()


class StepFunctionsService:
    """Takes over no API call (moto answers them all); while the cloud runs, executions' tasks call it."""

    signing_names = ("states",)

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._original: Any = None

    def handle(self, request: AwsRequest) -> Response | None:
        return None

    def start(self) -> None:
        from moto.stepfunctions.parser.asl.utils import boto_client

        with _lock:
            self._original = boto_client.boto_client_for
            _bind(self.client_for)

    def stop(self) -> None:
        with _lock:
            if self._original is not None:
                _bind(self._original)
                self._original = None

    def client_for(self, region: str, service: str, state_credentials: Any = None) -> Any:
        """The interpreter's client factory: this cloud, signed as a session of the executing role."""
        role_arn = getattr(state_credentials, "role_arn", None)
        if not role_arn:
            raise ValueError("a state machine task has no role to call AWS with (the execution's roleArn)")
        key = (role_arn, region, service)
        with _lock:
            client = self._clients.get(key)
            if client is None:
                session = self._cloud.iam.session(role_arn, SESSION_NAME)
                boto: Any = boto3.session.Session()
                client = boto.client(
                    service,
                    endpoint_url=self._cloud.endpoint,
                    region_name=region or self._cloud.region,
                    aws_access_key_id=session.access_key_id,
                    aws_secret_access_key=session.secret_access_key,
                    aws_session_token=session.session_token,
                    # As moto's factory: the interpreter passes parameters as the ASL typed them; one
                    # attempt, since Retry fields are the state machine's to apply.
                    config=Config(
                        parameter_validation=False,
                        retries={"max_attempts": 0, "total_max_attempts": 1},
                        connect_timeout=10,
                        read_timeout=120,
                    ),
                )
                self._clients[key] = client
        return client


def _bind(factory: Any) -> None:
    """Every interpreter module imported `boto_client_for` by name: rebind it in each of them."""
    for module_name in _INTEGRATION_MODULES:
        importlib.import_module(module_name)
    modules: list[Any] = [m for n, m in list(sys.modules.items()) if n.startswith(_PARSER_PREFIX)]
    for module in modules:
        if hasattr(module, "boto_client_for"):
            module.boto_client_for = factory
