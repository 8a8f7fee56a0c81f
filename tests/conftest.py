"""Shared test setup: no test can reach real AWS, and a full local cloud is one fixture away."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.cloud import LocalCloud
from local.deploy import StackResult

# Dummy credentials and a fixed region for every client the suite creates; real ones are removed.
_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # else boto3 sends DynamoDB calls to account-scoped hosts
}
_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


# The modules that take longest (worker-seconds with `--durations`, on 2 shared cores), run first: with
# `--dist loadfile --no-loadscope-reorder` (scripts/test.sh) a worker takes whole files in this order, so the
# long ones overlap and the many short unit and integration files fill the gaps at the end. Unlisted files
# keep their collection order after these.
LONGEST_FIRST = (
    "tests/e2e/test_docs_snippets.py",
    "tests/e2e/test_api_fuzz.py",
    "tests/web/test_flow.py",
    "tests/web/test_walkthrough.py",
    "tests/infra/test_nag_environments.py",
    "tests/e2e/test_demo.py",
    "tests/web/test_newcomer.py",
    "tests/e2e/test_iam.py",
    "tests/e2e/test_genai.py",
    "tests/e2e/test_chaos.py",
    "tests/e2e/test_alarms.py",
    "tests/infra/test_operations.py",
    "tests/e2e/test_plugins.py",
    "tests/e2e/test_aws_cli.py",
    "tests/e2e/test_postprocess.py",
    "tests/infra/test_cfn_lint.py",
    "tests/e2e/test_video_api.py",
    "tests/e2e/test_local_cloud.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    root = Path(__file__).resolve().parent.parent

    def weight(item: pytest.Item) -> int:
        path = item.path.resolve()
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        return rank.get(relative, len(rank))

    items.sort(key=weight)  # stable: tests keep their order inside a file


def pytest_configure(config: pytest.Config) -> None:
    for name in _REMOVED:
        os.environ.pop(name, None)
    os.environ.update(_TEST_ENV)
    os.environ["AWS_CONFIG_FILE"] = os.devnull  # no profile from the machine can leak in
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(scope="module")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The full local cloud (every part, `local.wiring.build_cloud`) on free ports, for one test module."""
    from local.wiring import build_cloud

    cloud = build_cloud(tmp_path_factory.mktemp("cloud"), port=0)
    with cloud:
        yield cloud


DeployAssembly = Callable[..., list[StackResult]]


@pytest.fixture(scope="module")
def deploy_assembly(local_cloud: LocalCloud) -> DeployAssembly:
    """`deploy_assembly(cdk_out_dir, stacks=None)`: deploys a synthesized assembly into `local_cloud`."""
    from local.deploy import deploy_assembly as deploy

    def run(assembly_dir: Path, stacks: list[str] | None = None) -> list[StackResult]:
        return deploy(local_cloud, Path(assembly_dir), stacks=stacks)

    return run


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    """Powertools keeps one metric set per process and only a decorated handler flushes it: metrics a test
    adds through an undecorated path must not be flushed by the next test's handler (which, built without
    the stacks' POWERTOOLS_METRICS_NAMESPACE, would then fail on the missing namespace)."""
    from shared.observability import metrics

    metrics.clear_metrics()
    yield
    metrics.clear_metrics()
