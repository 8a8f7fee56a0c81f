"""Builds the full local cloud: every service behind the gateway, the seams between them, internal routes."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.cloud import DEFAULT_PORT, LocalCloud

log = logging.getLogger("svideo.local.wiring")

# (part, module, class): each class takes the LocalCloud; the order is the order services see requests.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("targets", "local.targets", "TargetDispatcher"),
    ("lambda", "local.lambdas", "LambdaService"),
    ("eventbridge", "local.eventbridge", "EventBridgeService"),
    ("scheduler", "local.scheduler", "SchedulerService"),
    ("pipes", "local.pipes", "PipesService"),
    ("ecs", "local.ecs", "EcsService"),
    ("stepfunctions", "local.stepfunctions", "StepFunctionsService"),
    ("apigateway", "local.apigateway", "ApiGatewayService"),
    ("websocket", "local.websocket", "WebSocketService"),
    ("ivs", "local.ivs", "IvsService"),
    ("cognito", "local.cognito", "CognitoTriggers"),
    ("web", "local.web", "WebService"),
    ("schemas", "local.schemas", "SchemasService"),
    ("cloudformation", "local.cloudformation", "CloudFormationService"),
    ("cloudwatch", "local.cloudwatch", "CloudWatchService"),
)
ALL_PARTS = tuple(part for part, _, _ in PARTS)


class MissingPartError(RuntimeError):
    """A part of the local cloud is not importable (not written yet, or broken)."""


def build_cloud(
    state_dir: Path,
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    parts: Iterable[str] = ALL_PARTS,
) -> LocalCloud:
    """A cloud with every part attached (not started): `with build_cloud(dir) as cloud:` serves it.

    Port 0 picks free ports for the gateway and for the ingest (tests run several clouds side by side).
    """
    wanted = set(parts)
    unknown = wanted - set(ALL_PARTS)
    if unknown:
        raise ValueError(f"unknown local cloud parts: {sorted(unknown)}; known: {list(ALL_PARTS)}")
    cloud = LocalCloud(Path(state_dir), host=host, port=port)
    for part, module_name, class_name in PARTS:
        if part not in wanted:
            continue
        factory = _load(module_name, class_name)
        options: dict[str, Any] = {"rtmp_port": 0, "http_port": 0} if part == "ivs" and port == 0 else {}
        _attach(cloud, part, factory(cloud, **options))
    if {"eventbridge", "targets"} <= wanted:
        _load("local.dlq", "register_routes")(cloud)
    _add_internal_routes(cloud)
    return cloud


def _load(module_name: str, attribute: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MissingPartError(f"the local cloud needs {module_name} ({exc}): missing or broken") from exc
    try:
        return getattr(module, attribute)
    except AttributeError as exc:
        raise MissingPartError(f"{module_name} has no {attribute}, which the wiring uses") from exc


def _attach(cloud: LocalCloud, part: str, component: Any) -> None:
    """Seams first (other parts call them), then the gateway for parts that answer API calls."""
    if part == "targets":
        cloud.targets = component
    elif part == "lambda":
        cloud.lambdas = component
    elif part == "ecs":
        cloud.tasks = component
    elif part == "cloudwatch":
        cloud.metrics = component
    if part == "ivs":  # IAM conditions on aws:ResourceTag/* read the channels' and keys' tags
        cloud.iam.tag_sources["ivs"] = component.resource_tags
    if hasattr(component, "signing_names") and hasattr(component, "handle"):
        cloud.add_service(component)


def _add_internal_routes(cloud: LocalCloud) -> None:
    def health(_: AwsRequest) -> Response:
        return json_response(
            {"status": "ready", "endpoint": cloud.endpoint, "state_dir": str(cloud.state_dir)}
        )

    def deploy(request: AwsRequest) -> Response:
        from local.deploy import DeployError, deploy_assembly

        body = request.json()
        assembly = body.get("assembly")
        if not isinstance(assembly, str) or not Path(assembly).is_dir():
            raise AwsError("ValidationException", f"assembly must be an existing directory: {assembly!r}")
        try:
            results = deploy_assembly(cloud, Path(assembly), stacks=body.get("stacks"))
        except DeployError as exc:
            raise AwsError("ValidationError", str(exc)) from exc
        return json_response({"stacks": [result.model_dump(mode="json") for result in results]})

    def stacks(_: AwsRequest) -> Response:
        directory = cloud.state_dir / "stacks"
        found = (
            [
                json.loads(path.read_text())
                for path in sorted(directory.glob("*.json"))
                if not path.name.startswith("_")
            ]
            if directory.is_dir()
            else []
        )
        return json_response({"stacks": found})

    cloud.add_internal_route("GET", "/_svideo/health", health)
    cloud.add_internal_route("POST", "/_svideo/deploy", deploy)
    cloud.add_internal_route("GET", "/_svideo/stacks", stacks)
