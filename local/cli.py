"""`svideo`: run the platform on this machine (up, down, status, deploy) and look inside it."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_APP = "python -m infra.app"
SYNTH_INPUTS = ("infra", "services", "shared", "plugins", "cdk.json")
CLOUD_FILE = "cloud.json"  # endpoint, pid and state of the running cloud
PID_FILE = "cloud.pid"
READY_TIMEOUT_SECONDS = 300.0


class CliError(Exception):
    """A failure the user can act on: printed without a traceback, exit status 1."""


# ---------------------------------------------------------------- state dir and the running cloud


def state_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("SVIDEO_STATE_DIR") or REPO_ROOT / ".svideo").resolve()


def _cloud_info(directory: Path) -> dict[str, Any]:
    path = directory / CLOUD_FILE
    if not path.is_file():
        raise CliError(f"no local cloud is running for {directory} (start one with `svideo up`)")
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def _endpoint(directory: Path) -> str:
    return str(_cloud_info(directory)["endpoint"])


def _internal(directory: Path, method: str, path: str, body: Any = None, timeout: float = 600) -> Any:
    url = f"{_endpoint(directory)}/_svideo/{path}"
    try:
        response = requests.request(method, url, json=body, timeout=timeout)
    except requests.ConnectionError as exc:
        raise CliError(f"the local cloud at {url} does not answer: {exc}") from exc
    payload = response.json() if response.content else {}
    if response.status_code >= 400:
        raise CliError(
            f"{payload.get('__type', response.status_code)}: {payload.get('message', response.text)}"
        )
    return payload


def _client(directory: Path, service: str) -> Any:
    import boto3

    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=_endpoint(directory),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


# ---------------------------------------------------------------- synthesis, cached by content


def _inputs_digest(app: str, stage: str, context: dict[str, Any] | None = None) -> str:
    digest = hashlib.sha256(f"{app}\0{stage}\0{json.dumps(context or {}, sort_keys=True)}".encode())
    roots = [REPO_ROOT / name for name in SYNTH_INPUTS]
    roots += [Path(token) for token in shlex.split(app) if (REPO_ROOT / token).exists() and "/" in token]
    for root in roots:
        root = root if root.is_absolute() else REPO_ROOT / root
        directory = (
            root.parent if root.is_file() and root.suffix == ".py" and root.parent != REPO_ROOT else root
        )
        files = (
            [directory] if directory.is_file() else sorted(directory.rglob("*")) if directory.exists() else []
        )
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                inside = path.is_relative_to(REPO_ROOT)  # an app outside the repository: a plugin folder
                digest.update(str(path.relative_to(REPO_ROOT) if inside else path).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def synthesize(app: str, directory: Path, stage: str, extra_context: dict[str, Any] | None = None) -> Path:
    """Runs the CDK app into `<state>/cdk.out` as `cdk synth` would (CDK_OUTDIR, context); skipped when the
    app's inputs did not change since the last synthesis."""
    outdir = directory / "cdk.out"
    stamp = outdir / ".svideo-inputs"
    digest = _inputs_digest(app, stage, extra_context)
    if stamp.is_file() and stamp.read_text() == digest and (outdir / "manifest.json").is_file():
        print(f"synth: {outdir} is up to date")
        return outdir
    outdir.mkdir(parents=True, exist_ok=True)
    # cdk.json's feature flags, as `cdk synth` passes them; no account or region, as in the test suite's
    # synthesis: environment-agnostic templates keep `${AWS::Region}`, which the deployer resolves.
    context = json.loads((REPO_ROOT / "cdk.json").read_text()).get("context", {})
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CDK_DEFAULT_")},
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(
            {**context, **(extra_context or {}), "stage": stage, "aws:cdk:enable-asset-metadata": True}
        ),
    }
    print(f"synth: {app} -> {outdir}")
    started = time.monotonic()
    result = subprocess.run(
        shlex.split(app), cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CliError(f"synthesis failed ({app}, exit {result.returncode}):\n{result.stderr[-4000:]}")
    stamp.write_text(digest)
    print(f"synth: done in {time.monotonic() - started:.1f}s")
    return outdir


def _assembly(args: argparse.Namespace, directory: Path) -> Path:
    if args.assembly:
        path = Path(args.assembly).resolve()
        if not (path / "manifest.json").is_file():
            raise CliError(f"{path} is not a cloud assembly (no manifest.json)")
        return path
    return synthesize(args.app or DEFAULT_APP, directory, args.stage, _context(args))


def _context(args: argparse.Namespace) -> dict[str, Any]:
    """`--context key=value` options, as `cdk synth -c` takes them (values stay strings, as there)."""
    context: dict[str, Any] = {}
    for item in getattr(args, "context", None) or []:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise CliError(f"--context takes key=value, got {item!r}")
        context[key] = value
    return context


# ---------------------------------------------------------------- up / down


def _print_stacks(stacks: Sequence[dict[str, Any]]) -> None:
    for stack in stacks:
        resources = stack["resources"]
        skipped = [r for r in resources if r["status"] == "skipped"]
        print(
            f"stack {stack['name']}: {stack['status']} ({len(resources)} resources, {len(skipped)} skipped)"
        )
        for output in stack["outputs"]:
            print(f"  {output['key']} = {output['value']}")
        for resource in skipped:
            print(f"  skipped {resource['logical_id']} ({resource['type']}): {resource['reason']}")


def cmd_up(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / CLOUD_FILE).is_file() and _alive(directory):
        raise CliError(
            f"a local cloud already runs for {directory} at {_endpoint(directory)}; `svideo down` first"
        )
    assembly = _assembly(args, directory)  # synthesize before starting anything: errors come early
    if getattr(args, "iam", None):  # `svideo demo` starts the cloud through here too, without the option
        os.environ["SVIDEO_IAM"] = args.iam  # the cloud (or its detached process) reads it when it starts
    if args.detach:
        return _up_detached(args, directory, assembly)
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
        _write_cloud_file(directory, {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "deploying"})
        print(f"local cloud: {cloud.endpoint}  (export AWS_ENDPOINT_URL={cloud.endpoint})", flush=True)
        try:
            results = deploy_assembly(cloud, assembly)
        except DeployError as exc:
            _write_cloud_file(
                directory,
                {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "failed", "error": str(exc)},
            )
            print(f"deploy failed: {exc}", file=sys.stderr, flush=True)
            return 1
        stacks = [result.model_dump(mode="json") for result in results]
        _print_stacks(stacks)
        _write_cloud_file(directory, {"endpoint": cloud.endpoint, "pid": os.getpid(), "state": "ready"})
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


def _write_cloud_file(directory: Path, info: dict[str, Any]) -> None:
    temporary = directory / f".{CLOUD_FILE}.tmp"
    temporary.write_text(json.dumps(info))
    temporary.replace(directory / CLOUD_FILE)


def _alive(directory: Path) -> bool:
    try:
        pid = int(_cloud_info(directory)["pid"])
        os.kill(pid, 0)
    except (CliError, ProcessLookupError, ValueError, KeyError):
        return False
    except PermissionError:
        return True
    return True


def _up_detached(args: argparse.Namespace, directory: Path, assembly: Path) -> int:
    with contextlib.suppress(FileNotFoundError):
        (directory / CLOUD_FILE).unlink()
    log_path = directory / "cloud.log"
    command = [
        sys.executable,
        "-m",
        "local.cli",
        "--state-dir",
        str(directory),
        "up",
        "--assembly",
        str(assembly),
        "--port",
        str(args.port),
    ]
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (directory / PID_FILE).write_text(str(process.pid))
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CliError(
                f"the local cloud exited ({process.returncode}); log {log_path}:\n"
                f"{log_path.read_text()[-3000:]}"
            )
        info = json.loads((directory / CLOUD_FILE).read_text()) if (directory / CLOUD_FILE).is_file() else {}
        if info.get("state") == "failed":
            _terminate(process.pid)
            raise CliError(f"deploy failed: {info.get('error')}")
        if info.get("state") == "ready":
            print(f"local cloud: {info['endpoint']}  (pid {process.pid}, log {log_path})")
            print(f"  export AWS_ENDPOINT_URL={info['endpoint']}")
            _print_stacks(_internal(directory, "GET", "stacks")["stacks"])
            return 0
        time.sleep(0.2)
    _terminate(process.pid)
    raise CliError(f"the local cloud was not ready within {READY_TIMEOUT_SECONDS:.0f}s; log {log_path}")


def _terminate(pid: int, timeout: float = 20.0) -> bool:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)  # it did not stop in time: its children die with its session
    return True


def cmd_down(args: argparse.Namespace) -> int:
    directory = state_dir(args.state_dir)
    pid_path = directory / PID_FILE
    pid = int(pid_path.read_text()) if pid_path.is_file() else None
    if pid is None and (directory / CLOUD_FILE).is_file():
        pid = int(_cloud_info(directory)["pid"])
    if pid is None or not _terminate(pid):
        print(f"no local cloud runs for {directory}")
    else:
        print(f"local cloud (pid {pid}) stopped")
    for name in (PID_FILE, CLOUD_FILE):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
    return 0


# ---------------------------------------------------------------- status, deploy


def _rules(directory: Path) -> list[dict[str, Any]]:
    events = _client(directory, "events")
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
    endpoint = _endpoint(directory)
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
    info = _cloud_info(directory)
    health = _internal(directory, "GET", "health", timeout=5)
    print(f"local cloud: {info['endpoint']} ({health['status']}, pid {info['pid']}, state {directory})")
    _print_stacks(_internal(directory, "GET", "stacks")["stacks"])
    functions = _client(directory, "lambda").list_functions().get("Functions", [])
    print(f"functions ({len(functions)}):")
    for function in functions:
        print(f"  {function['FunctionName']} {function.get('Runtime', '')} {function.get('Handler', '')}")
    _print_rules(_rules(directory))
    sqs = _client(directory, "sqs")
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
    _cloud_info(directory)  # fail before synthesizing when nothing runs
    assembly = _assembly(args, directory)
    result = _internal(
        directory, "POST", "deploy", {"assembly": str(assembly), "stacks": args.stacks or None}
    )
    _print_stacks(result["stacks"])
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
    schemas = _client(state_dir(args.state_dir), "schemas")
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
        queues = _internal(directory, "GET", "dlq")["queues"]
        if not queues:
            print("no dead-letter queues")
        for queue in queues:
            sources = ", ".join(
                next((str(v) for k, v in s.items() if k != "kind"), s["kind"]) for s in queue["sources"]
            )
            print(f"{queue['name']}: {queue['depth']} messages (dead letters of {sources})")
        return 0
    result = _internal(directory, "POST", "dlq/redrive", {"queue": args.queue})
    print(json.dumps(result, indent=2))
    return 0


def cmd_iam_denials(args: argparse.Namespace) -> int:
    query = f"?since={args.since}" if args.since is not None else ""
    result = _internal(state_dir(args.state_dir), "GET", f"iam/denials{query}")
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


# ---------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from local.demo import cmd_demo as run

    return run(args)


# ---------------------------------------------------------------- entry point


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="svideo", description="The svideo platform on this machine.")
    parser.add_argument(
        "--state-dir", help="local cloud state (default .svideo/ in the repository, or $SVIDEO_STATE_DIR)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    from local.genai_cli import add_commands as add_genai_commands
    from local.ops_cli import add_commands as add_ops_commands  # both import this module: import late
    from local.plugins_cli import add_commands  # plugins_cli imports this module: import it late
    from local.users_cli import add_commands as add_users_commands

    add_commands(commands)
    add_ops_commands(commands)
    add_genai_commands(commands)
    add_users_commands(commands)

    def app_options(command: argparse.ArgumentParser) -> None:
        source = command.add_mutually_exclusive_group()
        source.add_argument("--app", help=f"CDK app command (default: cdk.json's, {DEFAULT_APP!r})")
        source.add_argument("--assembly", help="an already synthesized cloud assembly (cdk.out)")
        command.add_argument("--stage", default="local", help="stage context for the CDK app")
        command.add_argument(
            "--context", "-c", action="append", metavar="KEY=VALUE", help="more CDK context (repeatable)"
        )

    up = commands.add_parser("up", help="synthesize, start the local cloud, deploy every stack, serve")
    app_options(up)
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
    app_options(deploy)
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

    demo = commands.add_parser(
        "demo", help="start the local cloud and broadcast a generated clip end to end, telling what happens"
    )
    app_options(demo)
    demo.add_argument("--port", type=int, default=4566)
    demo.add_argument("--clip-seconds", type=float, default=24.0, help="length of the pushed clip")
    demo.add_argument(
        "--timeout", type=float, default=420.0, help="seconds after the push for the video to finish"
    )
    demo.add_argument("--down", action="store_true", help="stop the local cloud at the end")
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"svideo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
