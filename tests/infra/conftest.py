"""Synthesized once per session (about 5 s, 0.5 GB each): the real app, and a scratch constructs stack."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.constructs.consumer import QueueConsumer
from infra.constructs.service_function import ServiceFunction
from infra.lambda_runtime import REPO_ROOT
from infra.nag import add_nag_gate, ignore_lint
from infra.naming import stack_name
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription, subscribe_queue

# What `build_app` reads for the stacks' environment (as `cdk synth` exports them).
CONSUMER_STACK = "ConsumerFixtureStack"
STAGE = "dev"  # cdk.json's default stage, which the app fixture synthesizes
ENV_VARIABLES = ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
RECORDING_ENDED = Subscription(
    name="fixture-recording-ended",
    description="Recordings of one channel",
    event_pattern={
        "source": ["svideo.channel"],
        "detail-type": ["Recording.Ended"],
        "detail": {"recording": {"duration_ms": [{"numeric": ["<=", 900000]}]}},
    },
)


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    app: cdk.App

    def template(self, stack_id: str) -> dict[str, Any]:
        """`stack_id` as in `infra.app.STACKS` (`VideoStack`, synthesized `VideoStack-<stage>`), or named."""
        path = self.outdir / f"{stack_id}.template.json"
        if not path.is_file():
            path = self.outdir / f"{stack_name(stack_id, STAGE)}.template.json"
        return json.loads(path.read_text())

    def assertions(self, stack_id: str) -> Template:
        return Template.from_json(self.template(stack_id))

    def templates(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def metadata(self, kind: str) -> list[dict[str, Any]]:
        """Every cloud-assembly metadata entry of one type, with the construct path it belongs to."""
        found = []
        for manifest in self.outdir.glob("*.metadata.json"):
            for path, entries in json.loads(manifest.read_text()).items():
                found += [{"path": path, **entry} for entry in entries if entry["type"] == kind]
        return found


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """The context `cdk synth` would pass: cdk.json's feature flags and stage."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def app_synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synthesized:
    """Environment-agnostic, whatever the shell exports (test_nag_environments.py covers an explicit env)."""
    outdir = tmp_path_factory.mktemp("app.out")
    with pytest.MonkeyPatch.context() as patch:
        for name in ENV_VARIABLES:
            patch.delenv(name, raising=False)
        app = build_app(outdir=str(outdir), context=cdk_context)
        app.synth()  # raises on any unacknowledged cdk-nag finding
    return Synthesized(outdir, app)


@pytest.fixture(scope="session")
def constructs_synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synthesized:
    """ServiceFunction and a subscription in a scratch stack, a QueueConsumer in another, under the same nag
    gate as the app."""
    outdir = tmp_path_factory.mktemp("constructs.out")
    app = cdk.App(outdir=str(outdir), context={**cdk_context, "aws:cdk:enable-asset-metadata": True})
    stack = cdk.Stack(app, "ConstructsFixtureStack")
    ServiceFunction(
        stack,
        "Plain",
        service="channel",
        handler="services.channel.handlers.api.handler",
        environment={"BUS_NAME": "dev-svideo"},
    )
    ServiceFunction(
        stack,
        "Snappy",
        service="video",
        handler="services.video.handlers.api.handler",
        snap_start=True,
        reserved_concurrency=5,
        memory_size=1024,
    )
    inbox_dlq = sqs.Queue(stack, "InboxDlq", enforce_ssl=True, retention_period=cdk.Duration.days(14))
    ignore_lint(inbox_dlq, "ES6000", "A dead-letter queue has no dead-letter queue of its own.")
    inbox = sqs.Queue(
        stack,
        "Inbox",
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(queue=inbox_dlq, max_receive_count=3),
    )
    subscribe_queue(
        stack,
        RECORDING_ENDED,
        bus=import_bus(stack, "dev"),
        queue=inbox,
        dead_letter_queue=import_events_dead_letter_queue(stack, "dev"),
    )
    consumer_stack = cdk.Stack(app, CONSUMER_STACK)
    consumer = ServiceFunction(
        consumer_stack, "Consumer", service="channel", handler="services.channel.handlers.ivs_events.handler"
    )
    QueueConsumer(
        consumer_stack,
        "Inbox",
        bus=import_bus(consumer_stack, "dev"),
        subscriptions=[RECORDING_ENDED],
        function=consumer.function,
        rule_dead_letter_queue=import_events_dead_letter_queue(consumer_stack, "dev"),
    )
    add_nag_gate(app)
    app.synth()
    return Synthesized(outdir, app)
