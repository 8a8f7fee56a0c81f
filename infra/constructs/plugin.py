"""A plugin's stack in a few lines: its rule on `Plugin.Invoked` for its name, a queue with a DLQ, and its
function (or, for `delivery: webhook`, an API destination); the function may complete only as itself.

The function's role holds by default exactly what the SDK does (`plugin_grants`): read the video's media
and earlier plugins' artefacts (`videos/*`), write and delete under its own prefix
(`videos/*/plugins/<name>/*`: `write_artefact`, `defer`, `resume`); PutEvents as `svideo.plugin.<name>`."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.consumer import QueueConsumer
from infra.constructs.packaging import code_files, code_from_files, code_from_pairs
from infra.constructs.publishing import grant_publish
from infra.constructs.service_function import ServiceFunction
from infra.lambda_runtime import REPO_ROOT
from infra.nag import acknowledge, acknowledge_resource
from infra.naming import VideoParameter, bus_name, parameter_name, resource_name
from infra.retries import retries
from infra.stacks.core_stack import import_bus, import_events_dead_letter_queue
from infra.subscriptions import Subscription, subscribe
from services.plugins.manifest import PluginManifest, load_manifest
from shared.events.plugins import PLUGINS_SOURCE, PluginInvoked, plugin_source

PLUGIN_MAX_CONCURRENCY = 10  # concurrent invocations of one plugin (SQS event source maximum concurrency)
MEDIA_BUCKET_PARAMETER = "MediaBucketName"
MEDIA_READ_KEYS = "videos/*"  # every video's media and its plugins' artefacts (the inputs' keys)


def invoked_subscription(stage: str, plugin: str) -> Subscription:
    """The one rule a plugin subscribes with: its own invocations, nothing else."""
    return Subscription(
        name=resource_name(stage, "plugin", plugin, "invoked"),
        description=f"Invocations of the {plugin} plugin",
        event_pattern={
            "source": [PLUGINS_SOURCE],
            "detail-type": [PluginInvoked.detail_type],
            "detail": {"plugin": [plugin]},
        },
    )


def own_keys(plugin: str) -> str:
    """The plugin's own artefacts, of every video: `videos/*/plugins/<name>/*`."""
    return f"videos/*/plugins/{plugin}/*"


def media_bucket(stack: cdk.Stack, stage: str) -> tuple[str, str]:
    """The video stack's media bucket (name, ARN) from SSM at deploy time, so the plugin deploys on its own;
    a parameter with a stable logical id, so cdk-nag findings name it."""
    parameter = cdk.CfnParameter(
        stack,
        MEDIA_BUCKET_PARAMETER,
        type="AWS::SSM::Parameter::Value<String>",
        default=parameter_name(stage, VideoParameter.MEDIA_BUCKET),
        description="SSM parameter holding the media bucket name",
    )
    parameter.override_logical_id(MEDIA_BUCKET_PARAMETER)
    return parameter.value_as_string, f"arn:aws:s3:::{parameter.value_as_string}"


def grant_media(
    role: iam.IRole,
    bucket_arn: str,
    *,
    read: Sequence[str],
    write: Sequence[str],
    delete: Sequence[str] = (),
) -> None:
    """Object access under the given key patterns of the media bucket only; keys are per video, so the
    patterns carry wildcards, acknowledged here with that reason."""
    for actions, patterns in (
        (["s3:GetObject"], read),
        (["s3:PutObject"], write),
        (["s3:DeleteObject"], delete),
    ):
        if patterns:
            resources = [f"{bucket_arn}/{p}" for p in patterns]
            role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
    for pattern in sorted({*read, *write, *delete}):
        acknowledge_resource(
            role,
            "AwsSolutions-IAM5",
            f"{bucket_arn}/{pattern}",
            "Object keys are per video; access stays under videos/ and the plugin's own prefixes.",
        )


def plugin_grants(function: lambda_.Function, bus_arn: str, bucket_arn: str, plugin: str) -> None:
    """What the SDK calls, and nothing more: `read_media` and earlier plugins' artefacts (GetObject on
    `videos/*`), `write_artefact`/`defer` (PutObject) and `resume` (GetObject, DeleteObject) under the
    plugin's own prefix, and `Plugin.Completed` as `svideo.plugin.<name>` only."""
    assert function.role is not None
    own = own_keys(plugin)
    grant_media(function.role, bucket_arn, read=[MEDIA_READ_KEYS], write=[own], delete=[own])
    # The plugin may put events on the bus only under its own source: it cannot speak for another plugin.
    grant_publish(function, bus_arn, plugin_source(plugin))


def folder_code(folder: Path) -> lambda_.Code:
    """`shared/` plus the files of a plugin folder at the asset's root (so its handler is `handler.handler`
    wherever the folder lives), bundled without Docker."""
    folder = folder.resolve()
    shared = code_files(Path("shared"))
    own = [
        (path, Path(path.relative_to(folder)))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]
    return code_from_pairs(folder, [(REPO_ROOT / f, f) for f in shared] + own)


def plugin_code(package: str) -> lambda_.Code:
    """`shared/` plus `plugins/<package>/` (and the package markers), bundled without Docker."""
    package_dir = Path("plugins", package)
    return code_from_files(package_dir, code_files(package_dir))


class PluginStack(cdk.Stack):
    """Subclass it, or instantiate it with a manifest path and a handler (`plugins.<pkg>.handler.handler`);
    `code` replaces the default bundle (`shared/` + `plugins/<pkg>/`) for a plugin that lives elsewhere."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        manifest_path: Path,
        handler: str | None = None,
        environment: Mapping[str, str] | None = None,
        webhook_url: str | None = None,
        memory_size: int = 256,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        self.manifest: PluginManifest = load_manifest(manifest_path)
        super().__init__(scope, construct_id, description=f"svideo plugin {self.manifest.name}", **kwargs)
        self.stage = stage
        self.bus = import_bus(self, stage)
        rule_dlq = import_events_dead_letter_queue(self, stage)
        name = self.manifest.name
        if self.manifest.delivery == "webhook":
            if not webhook_url:
                raise ValueError(f"plugin {name}: delivery is webhook but no webhook_url was given")
            self._webhook(webhook_url, rule_dlq)
            return
        if handler is None:
            raise ValueError(f"plugin {name}: delivery is queue but no handler was given")
        self.media_bucket_name, self.media_bucket_arn = media_bucket(self, stage)
        timeout = cdk.Duration.seconds(min(self.manifest.timeout_seconds, 900))
        self.inbox = QueueConsumer(
            self,
            "Invocations",
            bus=self.bus,
            subscriptions=[invoked_subscription(stage, name)],
            function_timeout=timeout,
            batch_size=1,
            # The lifecycle times the invocation out at its deadline; the retries exist to land a crashed
            # invocation in the dead-letter queue (for redrive), so the queue keeps it that long, no longer.
            retries=retries(int(timeout.to_seconds())),
            # Each plugin has its own ceiling: a slow one queues its own invocations, it cannot take the
            # account's concurrency from the other plugins and the platform's functions.
            max_concurrency=PLUGIN_MAX_CONCURRENCY,
            rule_dead_letter_queue=rule_dlq,
        )
        # The function dead-letters its own async invocations to the inbox's DLQ: created first, fed after.
        self.queue, self.dead_letters = self.inbox.queue, self.inbox.dead_letter_queue
        self.function = self._function(handler, timeout, memory_size, environment or {}, code)
        self.inbox.consume(self.function)

    def _function(
        self,
        handler: str,
        timeout: cdk.Duration,
        memory_size: int,
        environment: Mapping[str, str],
        code: lambda_.Code | None,
    ) -> lambda_.Function:
        name = self.manifest.name
        function = ServiceFunction(
            self,
            "Plugin",
            service=f"plugin-{name}",
            handler=handler,
            code=code or plugin_code(handler.split(".")[1]),
            description=f"svideo plugin {name} ({self.manifest.hook})",
            memory_size=memory_size,
            timeout=timeout,
            dead_letter_queue=self.dead_letters,
            environment={
                "PLUGIN_NAME": name,
                "BUS_NAME": bus_name(self.stage),
                "MEDIA_BUCKET": self.media_bucket_name,
                **environment,
            },
        )
        plugin_grants(function.function, self.bus.event_bus_arn, self.media_bucket_arn, name)
        self.service_function = function
        return function.function

    def _webhook(self, url: str, rule_dlq: sqs.IQueue) -> None:
        """Invocations POSTed to an HTTPS endpoint by an API destination; it completes with an event."""
        secret = secretsmanager.Secret(
            self,
            "WebhookKey",
            description=f"API key the {self.manifest.name} webhook checks (x-svideo-key header)",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True),
        )
        acknowledge(
            secret, "AwsSolutions-SMG4", "The webhook owner rotates the shared key with its endpoint."
        )
        connection = events.Connection(
            self,
            "Connection",
            authorization=events.Authorization.api_key("x-svideo-key", secret.secret_value),
        )
        destination = events.ApiDestination(
            self, "Destination", connection=connection, endpoint=url, http_method=events.HttpMethod.POST,
            rate_limit_per_second=10,
        )  # fmt: skip
        subscription = invoked_subscription(self.stage, self.manifest.name)
        subscribe(
            self,
            subscription,
            bus=self.bus,
            target=targets.ApiDestination(destination, dead_letter_queue=rule_dlq, retry_attempts=8),
        )
