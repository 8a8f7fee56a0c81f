"""The layering the services rely on: a domain module's import closure holds no AWS SDK and no Powertools.

Handlers (`*/handlers/`) and adapters (`*/adapters/`, and the modules named in ADAPTERS with the reason they
talk to AWS) may import boto3, botocore, Powertools and the X-Ray SDK; everything else under `services/` and
`shared/` must import without them. One fresh interpreter imports every such module with those packages made
unimportable, so a transitive import (a domain module importing an adapter) fails here too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("boto3", "botocore", "aws_lambda_powertools", "aws_xray_sdk")

# Modules outside handlers/ and adapters/ that are adapters by nature, and why.
ADAPTERS = {
    "shared.api": "the HTTP resolver every API handler builds (Powertools' event handler)",
    "shared.observability": "Powertools' Logger, Metrics and Tracer",
    "shared.events.envelope": "a Powertools EventBridge model, for handlers that parse events",
    "shared.events.publisher": "PutEvents with boto3",
    "shared.plugin_sdk.core": "the SDK plugins run inside Lambda: SQS batches, S3, PutEvents",
    "shared.plugin_sdk": "re-exports the SDK's core",
    "services.genai.config": "builds boto3 clients for the configured providers",
    "services.genai.dynamo_store": "DynamoDB storage",
    "services.genai.runtime": "wires the adapters for the generative handlers",
    "services.genai.s3_store": "S3 artefacts through the plugin SDK",
    "services.genai.transcribe_jobs": "Amazon Transcribe jobs completed through the plugin SDK's deferrals",
    "services.genai.usage": "model usage as Powertools metrics, priced from the providers' config",
    "services.live.poster": "API Gateway's @connections with botocore errors",
    "services.live.repository": "DynamoDB storage",
    "services.plugins.adapters": "DynamoDB storage",
    "services.plugins.deployments": "reads the bus's rules and their targets (EventBridge, SQS, Lambda)",
    "services.postprocess.task": "the Fargate task's entry point (S3, SQS, EventBridge)",
    "services.video.repository": "DynamoDB storage",
    "services.video.openapi": "generates the API document from the handlers' resolvers",
}

PROBE = """
import importlib, importlib.abc, json, sys
FORBIDDEN = {forbidden!r}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"refused: {{name}}")
        return None
sys.meta_path.insert(0, Refuse())
failures = {{}}
for module in {modules!r}:
    try:
        importlib.import_module(module)
    except ImportError as error:
        failures[module] = str(error)
print(json.dumps(failures))
"""


def domain_modules() -> list[str]:
    modules = []
    for package in ("shared", "services"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"handlers", "adapters"} & set(relative.parts):
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            if name not in ADAPTERS and not any(name.startswith(f"{adapter}.") for adapter in ADAPTERS):
                modules.append(name)
    return modules


def refused(modules: list[str]) -> dict[str, str]:
    """The modules (each imported in the same fresh interpreter) that needed a forbidden package, and why."""
    probe = PROBE.format(forbidden=FORBIDDEN, modules=modules)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    failures: dict[str, str] = json.loads(run.stdout)
    return failures


def test_given_the_domain_modules_when_imported_without_the_aws_sdk_then_every_one_imports() -> None:
    modules = domain_modules()
    assert len(modules) > 60, modules  # the walk found the tree
    failures = refused(modules)
    assert failures == {}, "domain modules that load an AWS SDK or Powertools:\n" + "\n".join(
        f"  {module}: {reason}" for module, reason in failures.items()
    )


def test_given_the_adapter_list_when_probed_then_each_entry_does_need_the_sdk() -> None:
    # A module that no longer needs the SDK leaves the list, so the check above covers it again.
    assert sorted(refused(sorted(ADAPTERS))) == sorted(ADAPTERS)


PACKAGES = ("shared", "services", "infra", "local", "plugins", "cli", "templates")


def test_given_the_whole_tree_when_its_imports_are_graphed_then_no_module_takes_part_in_a_cycle() -> None:
    import grimp
    import networkx

    # Every import counts, those inside functions too: a late import hides a cycle, it does not remove it.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    imports = networkx.DiGraph(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
    )
    cycles = [
        sorted(component)
        for component in networkx.strongly_connected_components(imports)
        if len(component) > 1
    ]
    assert cycles == [], "modules that import each other (directly or through others):\n" + "\n".join(
        "  " + " <-> ".join(component) for component in cycles
    )
