"""How the local cloud tests build their partial cloud: `start_cloud(...)` in a module-scoped fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from local.cloud import LocalCloud
from local.contracts import LocalService
from local.ecs import EcsService
from local.eventbridge import install
from local.iam import Mode
from local.lambdas import LambdaService
from tests.integration.local.helpers import StartCloud


@pytest.fixture(scope="module")
def start_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartCloud]:
    """Serves a cloud built from `services` (each made from the cloud, added in order; the LambdaService also
    answers the cloud's invokes, the EcsService runs its tasks), with `lambdas` standing in for Lambda, and
    EventBridge, Scheduler and target delivery installed with `events`' time scales when given. It stops
    when the module's tests are done."""
    with ExitStack() as running:

        def start(
            *services: Callable[[LocalCloud], LocalService],
            lambdas: Any = None,
            events: dict[str, float] | None = None,
            iam: Mode = "off",
        ) -> LocalCloud:
            # These clouds are made of fake parts to test one service's mechanics; IAM has its own tests
            # (tests/integration/local/test_iam.py) and the full cloud (tests/e2e) runs with it enforced.
            local = LocalCloud(tmp_path_factory.mktemp("cloud"), port=0, iam_mode=iam)
            if lambdas is not None:
                local.lambdas = lambdas
            for make in services:
                service = make(local)
                if isinstance(service, LambdaService):
                    local.lambdas = service
                if isinstance(service, EcsService):
                    local.tasks = service
                local.add_service(service)
            if events is not None:
                install(local, **events)
            return running.enter_context(local)

        yield start
