"""Is a plugin deployed? Its invocations must reach a target: the bus holds its rule on `Plugin.Invoked` for
its name (as `PluginStack` names it), the rule is enabled and matches the plugin's invocations, and each
target the rule names (a queue, a function, an API destination) exists. Registration refuses a plugin that
is not, naming what is missing, so a plugin cannot time out on every video for want of a stack."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.plugins.manifest import PluginManifest
from shared.events.plugins import PLUGINS_SOURCE, PluginInvoked
from shared.patterns import InvalidPatternError, matches

NOT_FOUND = {
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NotFoundException",
}


def invoked_rule_name(stage: str, plugin: str) -> str:
    """The rule `PluginStack` subscribes a plugin with (infra.naming's `resource_name` of it)."""
    return f"{stage}-svideo-plugin-{plugin}-invoked"


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code", "") in NOT_FOUND


class BusDeployments:
    """`missing(manifest)`: what of the plugin's delivery is not deployed, read from the bus and the targets'
    services (DescribeRule, ListTargetsByRule, GetQueueUrl, GetFunctionConfiguration,
    DescribeApiDestination)."""

    def __init__(self, bus_name: str, stage: str, events: Any, sqs: Any, lambda_: Any) -> None:
        self.bus_name = bus_name
        self.stage = stage
        self.events = events
        self.sqs = sqs
        self.lambda_ = lambda_

    def missing(self, manifest: PluginManifest) -> list[str]:
        rule = invoked_rule_name(self.stage, manifest.name)
        deploy = "deploy the plugin's stack first"
        try:
            described = self.events.describe_rule(Name=rule, EventBusName=self.bus_name)
        except ClientError as error:
            if _not_found(error):
                return [f"not deployed: no rule {rule} on the bus {self.bus_name}; {deploy}"]
            raise
        if described.get("State") != "ENABLED":
            return [f"the rule {rule} is {str(described.get('State', 'disabled')).lower()}: enable it"]
        if not self._matches_invocations(described.get("EventPattern") or "{}", manifest.name):
            return [f"the rule {rule} does not match {manifest.name}'s Plugin.Invoked events"]
        targets = self.events.list_targets_by_rule(Rule=rule, EventBusName=self.bus_name)["Targets"]
        if not targets:
            return [f"the rule {rule} has no target: {deploy}"]
        return [problem for target in targets if (problem := self._target_missing(str(target["Arn"])))]

    @staticmethod
    def _matches_invocations(pattern: str, plugin: str) -> bool:
        event = {
            "source": PLUGINS_SOURCE,
            "detail-type": PluginInvoked.detail_type,
            "detail": {"plugin": plugin},
        }
        try:
            return matches(pattern, event)
        except (InvalidPatternError, ValueError):
            return False

    def _target_missing(self, arn: str) -> str | None:
        """What is missing of one target, by its ARN's service; targets of other services are not checked."""
        parts = arn.split(":")
        service, account, resource = parts[2], parts[4], ":".join(parts[5:])
        try:
            if service == "sqs":
                self.sqs.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)
            elif service == "lambda":
                self.lambda_.get_function_configuration(FunctionName=arn)
            elif service == "events" and resource.startswith("api-destination/"):
                self.events.describe_api_destination(Name=resource.split("/")[1])
        except ClientError as error:
            if not _not_found(error):
                raise
            kind = {"sqs": "queue", "lambda": "function"}.get(service, "API destination")
            return f"not deployed: the rule's target, the {kind} {arn}, does not exist; deploy its stack"
        return None
