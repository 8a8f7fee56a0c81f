"""`svideo metrics` and `svideo alarms`: what the local cloud collected and how the deployed alarms stand."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli import control


def cmd_metrics(args: argparse.Namespace) -> int:
    directory = control.state_dir(args.state_dir)
    metrics = control.internal(directory, "GET", "metrics", timeout=30)["metrics"]
    shown = [
        metric
        for metric in metrics
        if (args.namespace is None or metric["namespace"] == args.namespace)
        and (args.name is None or metric["name"] == args.name)
    ]
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    print(f"metrics ({len(shown)}):")
    for metric in shown:
        dimensions = ",".join(f"{key}={value}" for key, value in sorted(metric["dimensions"].items()))
        print(
            f"  {metric['namespace']} {metric['name']} [{dimensions}] "
            f"n={metric['datapoints']} sum={metric['sum']:g} last={metric['last']:g} {metric['unit']} "
            f"at {metric['last_at']}"
        )
    return 0


def _alarms(directory: Any, state: str | None) -> list[dict[str, Any]]:
    cloudwatch = control.client(directory, "cloudwatch")
    options = {"StateValue": state} if state else {}
    found: list[dict[str, Any]] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"], **options):
        found += page.get("MetricAlarms", [])
    return found


def cmd_alarms(args: argparse.Namespace) -> int:
    directory = control.state_dir(args.state_dir)
    alarms = _alarms(directory, args.state)
    if args.json:
        print(json.dumps(alarms, indent=2, default=str))
        return 0
    print(f"alarms ({len(alarms)}):")
    for alarm in alarms:
        statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        dimensions = ",".join(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions", []))
        print(f"  {alarm['StateValue']:<17} {alarm['AlarmName']}")
        print(
            f"    {alarm.get('Namespace')} {alarm.get('MetricName')} [{dimensions}] {statistic} "
            f"{alarm['ComparisonOperator']} {alarm['Threshold']:g}; period {alarm['Period']}s, "
            f"{alarm.get('DatapointsToAlarm') or alarm['EvaluationPeriods']} of {alarm['EvaluationPeriods']} "
            f"periods, missing data: {alarm.get('TreatMissingData', 'missing')}"
        )
        print(f"    {alarm.get('StateReason', '')}")
    return 0


def add_commands(commands: Any) -> None:
    """Mounts `metrics` and `alarms` on the `svideo` parser's subcommands."""
    metrics = commands.add_parser("metrics", help="metrics collected (EMF from functions, Lambda, SQS)")
    metrics.add_argument("--namespace", help="only this namespace, e.g. svideo or AWS/SQS")
    metrics.add_argument("--name", help="only this metric name")
    metrics.add_argument("--json", action="store_true")
    metrics.set_defaults(handler=cmd_metrics)
    alarms = commands.add_parser("alarms", help="the deployed alarms, evaluated on the collected metrics")
    alarms.add_argument("--state", choices=["OK", "ALARM", "INSUFFICIENT_DATA"], help="only this state")
    alarms.add_argument("--json", action="store_true")
    alarms.set_defaults(handler=cmd_alarms)
