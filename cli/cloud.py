"""`svideo up|down|status|env|deploy|events|dlq|iam|logs`: run the local cloud and look inside it."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cli import control
from cli.control import CLOUD_FILE, PID_FILE, CliError, state_dir

# ---------------------------------------------------------------- synthesis, cached by content


def cmd_up(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / CLOUD_FILE).is_file() and control.alive(directory):
        raise CliError(
            f"a local cloud already runs for {directory} at {control.endpoint(directory)}; "
            "`svideo down` first"
        )
    assembly = control.assembly_for(
        args.app, args.assembly, args.stage, control.context_of(args.context), directory
    )  # synthesize before starting anything: errors come early
    if args.iam:
        os.environ["SVIDEO_IAM"] = args.iam  # the cloud (or its detached process) reads it when it starts
    if args.detach:
        return control.start_detached(directory, assembly, args.port)
    return _serve(directory, assembly, args.port)


def _serve(directory: Path, assembly: Path, port: int) -> int:
    from local.deploy import DeployError, deploy_assembly
    from local.wiring import build_cloud

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for stale in (
        "stacks",
        "events.jsonl",
        "iam-denials.jsonl",
    ):  # state does not survive a restart: neither do its records
        path = directory / stale
        if path.is_dir():
            for child in path.glob("*.json"):
                child.unlink()
        elif path.is_file():
            path.unlink()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    cloud = build_cloud(directory, port=port)
    cloud.start()
    try:
        control.write_cloud_file(
            directory, {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "deploying"}
        )
        print(f"local cloud: {cloud.endpoint}  (export AWS_ENDPOINT_URL={cloud.endpoint})", flush=True)
        try:
            results = deploy_assembly(cloud, assembly)
        except DeployError as exc:
            control.write_cloud_file(
                directory,
                {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "failed", "error": str(exc)},
            )
            print(f"deploy failed: {exc}", file=sys.stderr, flush=True)
            return 1
        stacks = [result.model_dump(mode="json") for result in results]
        control.print_stacks(stacks)
        control.write_cloud_file(
            directory, {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "ready"}
        )
        print("ready; Ctrl-C stops the local cloud", flush=True)
        stop.wait()
        return 0
    finally:
        cloud.stop()
        with contextlib.suppress(FileNotFoundError):
            (directory / CLOUD_FILE).unlink()
        with contextlib.suppress(FileNotFoundError):
            (directory / PID_FILE).unlink()
        print("local cloud stopped", flush=True)


# ---------------------------------------------------------------- status, deploy


def cmd_down(args: argparse.Namespace) -> int:
    control.stop(state_dir(args.state_dir))
    return 0


def _rules(directory: Path) -> list[dict[str, Any]]:
    events = control.client(directory, "events")
    found = []
    for bus in events.list_event_buses()["EventBuses"]:
        for rule in events.list_rules(EventBusName=bus["Name"]).get("Rules", []):
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
            found.append(
                {
                    "bus": bus["Name"],
                    "name": rule["Name"],
                    "state": rule.get("State"),
                    "pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
                    "schedule": rule.get("ScheduleExpression"),
                    "targets": [target["Arn"] for target in targets],
                }
            )
    return found


def _print_rules(rules: list[dict[str, Any]]) -> None:
    print(f"event routes ({len(rules)} rules):")
    for rule in rules:
        trigger = json.dumps(rule["pattern"], separators=(",", ":")) if rule["pattern"] else rule["schedule"]
        print(f"  {rule['bus']}/{rule['name']} [{rule['state']}] {trigger}")
        for target in rule["targets"]:
            print(f"    -> {target}")


def cmd_env(args: argparse.Namespace) -> int:
    """`eval "$(svideo env)"`: the AWS CLI and SDKs in this shell talk to the running local cloud."""
    directory = state_dir(args.state_dir)
    endpoint = control.endpoint(directory)
    for name, value in (
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),  # the local cloud checks no credentials; the SDKs want some
        ("AWS_SECRET_ACCESS_KEY", "local"),
    ):
        print(f"export {name}={shlex.quote(value)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    info = control.cloud_info(directory)
    health = control.internal(directory, "GET", "health", timeout=5)
    print(f"local cloud: {info['endpoint']} ({health['status']}, pid {info['pid']}, state {directory})")
    control.print_stacks(control.internal(directory, "GET", "stacks")["stacks"])
    functions = control.client(directory, "lambda").list_functions().get("Functions", [])
    print(f"functions ({len(functions)}):")
    for function in functions:
        print(f"  {function['FunctionName']} {function.get('Runtime', '')} {function.get('Handler', '')}")
    _print_rules(_rules(directory))
    sqs = control.client(directory, "sqs")
    urls = sqs.list_queues().get("QueueUrls", [])
    print(f"queues ({len(urls)}):")
    for url in urls:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        print(
            f"  {url.rsplit('/', 1)[-1]}: {attributes['ApproximateNumberOfMessages']} visible, "
            f"{attributes['ApproximateNumberOfMessagesNotVisible']} in flight"
        )
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    control.cloud_info(directory)  # fail before synthesizing when nothing runs
    assembly = control.assembly_for(
        args.app, args.assembly, args.stage, control.context_of(args.context), directory
    )
    result = control.internal(
        directory, "POST", "deploy", {"assembly": str(assembly), "stacks": args.stacks or None}
    )
    control.print_stacks(result["stacks"])
    return 0


# ---------------------------------------------------------------- events, dlq, logs


def _follow(path: Path, *, follow: bool, from_start: bool) -> Iterator[str]:
    """Lines of a file as it grows (the file may not exist yet, or be replaced by a new cloud)."""
    position = 0
    if not from_start and path.is_file():
        position = path.stat().st_size
    while True:
        if path.is_file():
            if path.stat().st_size < position:
                position = 0  # a new cloud started a new journal
            with path.open() as handle:
                handle.seek(position)
                while line := handle.readline():
                    if not line.endswith("\n"):
                        break
                    position = handle.tell()
                    yield line
        if not follow:
            return
        time.sleep(0.2)


def cmd_events_tail(args: argparse.Namespace) -> int:
    from shared.patterns import InvalidPatternError, compile_pattern, matches

    pattern = None
    if args.pattern:
        try:
            pattern = json.loads(args.pattern)
            compile_pattern(pattern)
        except (ValueError, InvalidPatternError) as exc:
            raise CliError(f"--pattern is not a valid event pattern: {exc}") from exc
    since = datetime.now(UTC) - timedelta(seconds=args.since) if args.since is not None else None
    journal = state_dir(args.state_dir) / "events.jsonl"
    for line in _follow(journal, follow=not args.no_follow, from_start=since is not None):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if since is not None and _event_time(event) < since:
            continue
        if pattern is None or matches(pattern, event):
            print(json.dumps(event, separators=(",", ":")), flush=True)
    return 0


def _event_time(event: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(event.get("time", "")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def cmd_events_schema(args: argparse.Namespace) -> int:
    """The registry schema of one detail-type (`<source>@<DetailType>`), as the Schema Registry holds it."""
    schemas = control.client(state_dir(args.state_dir), "schemas")
    registries = (
        [args.registry]
        if args.registry
        else [registry["RegistryName"] for registry in schemas.list_registries()["Registries"]]
    )
    for registry in registries:
        for summary in schemas.list_schemas(RegistryName=registry)["Schemas"]:
            name = summary["SchemaName"]
            if name.rsplit("@", 1)[-1] != args.detail_type and name != args.detail_type:
                continue
            if args.draft4:
                content = schemas.export_schema(
                    RegistryName=registry, SchemaName=name, Type="JSONSchemaDraft4"
                )
            else:
                content = schemas.describe_schema(RegistryName=registry, SchemaName=name)
            print(f"# {registry}/{name} (version {content['SchemaVersion']})")
            print(json.dumps(json.loads(content["Content"]), indent=2))
            return 0
    searched = ", ".join(registries) or "(none)"
    raise CliError(f"no schema for detail-type {args.detail_type} in registries {searched}")


def cmd_dlq(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    if args.dlq_command == "list":
        queues = control.internal(directory, "GET", "dlq")["queues"]
        if not queues:
            print("no dead-letter queues")
        for queue in queues:
            sources = ", ".join(
                next((str(v) for k, v in s.items() if k != "kind"), s["kind"]) for s in queue["sources"]
            )
            print(f"{queue['name']}: {queue['depth']} messages (dead letters of {sources})")
        return 0
    result = control.internal(directory, "POST", "dlq/redrive", {"queue": args.queue})
    print(json.dumps(result, indent=2))
    return 0


def cmd_iam_denials(args: argparse.Namespace) -> int:
    query = f"?since={args.since}" if args.since is not None else ""
    result = control.internal(state_dir(args.state_dir), "GET", f"iam/denials{query}")
    if args.json:
        print(json.dumps(result["denials"], indent=2))
        return 0
    if not result["denials"]:
        print(f"no denied calls (IAM mode: {result['mode']})")
    for denial in result["denials"]:
        print(
            f"{denial['time']} {'DENIED' if denial['mode'] == 'enforce' else 'would deny'} {denial['action']}"
        )
        print(f"  principal: {denial['principal']}")
        print(f"  resource:  {denial['resource']}")
        if "denied_by" in denial:
            print(f"  denied by: {denial['denied_by']}")
        else:
            missing = denial["missing"]
            print(f"  missing:   in {missing['in']}: {json.dumps(missing['statement'])}")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    logs_dir = state_dir(args.state_dir) / "logs"
    if not args.function:
        names = sorted(path.stem for path in logs_dir.glob("*.log")) if logs_dir.is_dir() else []
        print("\n".join(names) if names else f"no function logs in {logs_dir}")
        return 0
    path = logs_dir / f"{args.function}.log"
    if not path.is_file() and not args.follow:
        raise CliError(f"no log for function {args.function} in {logs_dir}")
    for line in _follow(path, follow=args.follow, from_start=True):
        print(line, end="", flush=True)
    return 0


# ---------------------------------------------------------------- the commands


def add_commands(commands: Any) -> None:
    """up, down, status, env, deploy, events, dlq, iam, logs."""
    up = commands.add_parser("up", help="synthesize, start the local cloud, deploy every stack, serve")
    control.app_options(up)
    up.add_argument("--port", type=int, default=int(os.environ.get("SVIDEO_PORT", 4566)), help="0: any free")
    up.add_argument("--detach", action="store_true", help="run in the background and return once ready")
    up.add_argument(
        "--iam",
        choices=("enforce", "report", "off"),
        help="IAM on calls made with a role: enforce (default), report (journal, refuse nothing), off",
    )
    up.set_defaults(handler=cmd_up)
    commands.add_parser("down", help="stop the local cloud").set_defaults(handler=cmd_down)
    commands.add_parser("status", help="endpoint, stacks, functions, rules, queues").set_defaults(
        handler=cmd_status
    )
    commands.add_parser(
        "env", help='shell exports for the AWS CLI and SDKs: eval "$(svideo env)"'
    ).set_defaults(handler=cmd_env)
    deploy = commands.add_parser("deploy", help="deploy (again) into the running local cloud")
    control.app_options(deploy)
    deploy.add_argument("stacks", nargs="*", help="stack names (default: all)")
    deploy.set_defaults(handler=cmd_deploy)

    events = commands.add_parser("events", help="the event bus journal").add_subparsers(
        dest="events_command", required=True
    )
    tail = events.add_parser("tail", help="follow every event put on any bus")
    tail.add_argument("--pattern", help="an EventBridge event pattern (JSON) the events must match")
    tail.add_argument("--since", type=float, help="also show events of the last N seconds")
    tail.add_argument("--no-follow", action="store_true", help="print and exit instead of following")
    tail.set_defaults(handler=cmd_events_tail)
    schema = events.add_parser("schema", help="print a detail-type's schema from the Schema Registry")
    schema.add_argument("detail_type", metavar="DETAIL_TYPE", help="e.g. Video.Published")
    schema.add_argument("--registry", help="only this registry (default: every registry)")
    schema.add_argument("--draft4", action="store_true", help="as JSON Schema draft 4 (ExportSchema)")
    schema.set_defaults(handler=cmd_events_schema)

    dlq = commands.add_parser("dlq", help="dead-letter queues").add_subparsers(
        dest="dlq_command", required=True
    )
    dlq.add_parser("list", help="every DLQ with its depth and sources").set_defaults(handler=cmd_dlq)
    redrive = dlq.add_parser("redrive", help="deliver a DLQ's messages again")
    redrive.add_argument("queue", help="queue name, URL or ARN")
    redrive.set_defaults(handler=cmd_dlq)

    iam = commands.add_parser("iam", help="IAM in the local cloud").add_subparsers(
        dest="iam_command", required=True
    )
    denials = iam.add_parser(
        "denials", help="calls IAM denied: principal, action, resource, what was missing"
    )
    denials.add_argument("--since", type=float, help="only the last N seconds")
    denials.add_argument("--json", action="store_true", help="the journal's entries as JSON")
    denials.set_defaults(handler=cmd_iam_denials)

    logs = commands.add_parser("logs", help="function logs (JSON lines with request ids)")
    logs.add_argument("function", nargs="?", help="function name (default: list functions with logs)")
    logs.add_argument("--follow", "-f", action="store_true")
    logs.set_defaults(handler=cmd_logs)
