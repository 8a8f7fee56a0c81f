"""`svideo plugins ...`: manage registrations through the HTTP API, and test a plugin on the local cloud.

register|list|get|enable|disable|deregister call `/plugins` with a bearer token (`--api-url`/`SVIDEO_API_URL`,
`--token`/`SVIDEO_TOKEN`); `test <manifest>` sends a realistic `Plugin.Invoked` for the plugin's hook onto
the local cloud's bus and checks its `Plugin.Completed`: source, token, schema and time.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from cli import control
from cli.control import CliError, state_dir
from services.plugins.manifest import ManifestError, PluginManifest, load_manifest

SAMPLE_VIDEO = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "events"
    / "svideo.postprocess"
    / "Video.Processed.json"
)


def _api(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    base = args.api_url or os.environ.get("SVIDEO_API_URL")
    token = args.token or os.environ.get("SVIDEO_TOKEN")
    if not base or not token:
        raise CliError(
            "needs --api-url/SVIDEO_API_URL and --token/SVIDEO_TOKEN (a plugin-developer's id token)"
        )
    response = requests.request(
        method,
        f"{base.rstrip('/')}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    payload = response.json() if response.content else {}
    if response.status_code >= 400:
        problems = "".join(f"\n  {p['field'] or '/'}: {p['message']}" for p in payload.get("problems", []))
        raise CliError(f"{response.status_code} {payload.get('message', response.text)}{problems}")
    return payload


def _manifest(path: str) -> PluginManifest:
    try:
        return load_manifest(path)
    except FileNotFoundError:
        raise CliError(f"no manifest file {path}") from None
    except OSError as exc:
        raise CliError(f"cannot read the manifest {path}: {exc.strerror}") from None
    except ManifestError as exc:
        listed = "".join(f"\n  {field or '/'}: {message}" for field, message in exc.problems)
        raise CliError(f"invalid manifest {path}:{listed}") from None


def cmd_registry(args: argparse.Namespace) -> int:
    command = args.plugins_command
    if command == "register":
        manifest = _manifest(args.manifest)
        body = manifest.model_dump(mode="json")
        try:
            result = _api(args, "POST", "/plugins", body)
        except CliError as exc:
            if not args.update or not str(exc).startswith("409"):
                raise
            result = _api(args, "PUT", f"/plugins/{manifest.name}", body)
    elif command == "list":
        result = _api(args, "GET", "/plugins")
    elif command == "get":
        result = _api(args, "GET", f"/plugins/{args.name}")
    elif command in ("enable", "disable"):
        result = _api(args, "POST", f"/plugins/{args.name}/{command}")
    else:
        result = _api(args, "DELETE", f"/plugins/{args.name}") or {"deregistered": args.name}
    print(json.dumps(result, indent=2))
    return 0


def sample_invocation(manifest: PluginManifest, deadline: datetime) -> dict[str, Any]:
    """A Plugin.Invoked detail as the lifecycle sends it, for the sample processed video."""
    processed = json.loads(SAMPLE_VIDEO.read_text())["detail"]
    media = processed["media"]
    return {
        "meta": {"version": "1", "correlation_id": str(uuid.uuid4()),
                 "occurred_at": datetime.now(UTC).isoformat()},
        "video_id": processed["video_id"],
        "hook": manifest.hook,
        "plugin": manifest.name,
        "video": {"channel_id": processed["channel_id"], "owner_id": "plugin-tester",
                  "duration_ms": media["duration_ms"], "media": media},
        "inputs": {},
        "invocation": {"id": f"inv-test-{uuid.uuid4().hex}", "token": f"v1.{secrets.token_urlsafe(32)}",
                       "deadline": deadline.isoformat()},
    }  # fmt: skip


def check_completion(
    manifest: PluginManifest, invoked: dict[str, Any], event: dict[str, Any], answered_at: datetime
) -> list[str]:
    """What is wrong with a plugin's answer to `invoked` (empty when the lifecycle would accept it)."""
    detail = event.get("detail", {})
    problems = []
    if event.get("source") != f"svideo.plugin.{manifest.name}":
        problems.append(f"source is {event.get('source')!r}, must be 'svideo.plugin.{manifest.name}'")
    if detail.get("token") != invoked["invocation"]["token"]:
        problems.append("token: not the invocation's token (echo invocation.token unchanged)")
    if detail.get("plugin") != manifest.name or detail.get("video_id") != invoked["video_id"]:
        problems.append("plugin/video_id: do not match the invocation")
    if answered_at > datetime.fromisoformat(invoked["invocation"]["deadline"]):
        problems.append(f"late: answered after the {manifest.timeout_seconds}s deadline")
    if detail.get("status") == "succeeded":
        problems += [f"output{p}" for p in manifest.output_errors(detail.get("output") or {})]
    elif detail.get("status") == "failed":
        problems.append(f"the plugin reported failure: {detail.get('error')}")
    return problems


def _journal_lines(path: Path, offset: int, until: datetime) -> Iterator[str]:
    """New lines of the event journal from `offset` until `until`."""
    position = offset
    while datetime.now(UTC) <= until:
        if path.is_file():
            with path.open() as handle:
                handle.seek(position)
                while (line := handle.readline()).endswith("\n"):
                    position = handle.tell()
                    yield line
        time.sleep(0.2)


def cmd_test(args: argparse.Namespace) -> int:
    manifest = _manifest(args.manifest)
    directory = state_dir(args.state_dir)
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=manifest.timeout_seconds + 1)
    invoked = sample_invocation(manifest, deadline)
    events = control.client(directory, "events")
    journal = directory / "events.jsonl"
    offset = journal.stat().st_size if journal.exists() else 0
    started = time.monotonic()
    entry = {"Source": "svideo.plugins", "DetailType": "Plugin.Invoked", "Detail": json.dumps(invoked),
             "EventBusName": f"{args.stage}-svideo"}  # fmt: skip
    events.put_events(Entries=[entry])
    print(f"invoked {manifest.name} ({manifest.hook}), invocation {invoked['invocation']['id']}")
    for line in _journal_lines(journal, offset, deadline):
        event = json.loads(line)
        detail = event.get("detail", {})
        if (
            event.get("detail-type") == "Plugin.Completed"
            and detail.get("invocation_id") == invoked["invocation"]["id"]
        ):
            problems = check_completion(manifest, invoked, event, datetime.now(UTC))
            print(f"answered in {time.monotonic() - started:.2f} s: {detail.get('status')}")
            for problem in problems:
                print(f"  ✗ {problem}")
            if not problems:
                print("  ✓ source, token, schema and deadline all accepted")
                print(json.dumps(detail.get("output"), indent=2))
            return 1 if problems else 0
    raise CliError(
        f"no Plugin.Completed within {manifest.timeout_seconds}s: the lifecycle would record a timeout"
    )


def cmd_new(args: argparse.Namespace) -> int:
    from cli.scaffold import ScaffoldError, class_name, scaffold

    directory = Path(args.dir or Path("plugins") / args.name.replace("-", "_"))
    try:
        written = scaffold(args.name, directory, deferred=args.deferred)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    stack = class_name(args.name)
    print(f"next: pytest {directory}")
    print(f'      svideo deploy --app "python {directory / "app.py"}" {stack}-local')
    print(f"      svideo plugins register {directory / 'manifest.yaml'}")
    return 0


def add_commands(commands: Any) -> None:
    """Mounts `plugins` on the `svideo` parser's subcommands."""
    plugins = commands.add_parser("plugins", help="plugin registrations and the plugin tester")
    plugins.add_argument("--api-url", help="the HTTP API's base URL (or SVIDEO_API_URL)")
    plugins.add_argument("--token", help="a bearer id token (or SVIDEO_TOKEN)")
    sub = plugins.add_subparsers(dest="plugins_command", required=True)
    register = sub.add_parser("register", help="register a manifest (YAML or JSON)")
    register.add_argument("manifest")
    register.add_argument("--update", action="store_true", help="update it if it is registered already")
    register.set_defaults(handler=cmd_registry)
    sub.add_parser("list", help="your plugins (all, for an admin)").set_defaults(handler=cmd_registry)
    for name, text in (("get", "one plugin"), ("enable", "enable it"), ("disable", "disable it"),
                       ("deregister", "remove it")):  # fmt: skip
        command = sub.add_parser(name, help=text)
        command.add_argument("name")
        command.set_defaults(handler=cmd_registry)
    new = sub.add_parser("new", help="write a plugin folder: manifest, handler, stack, app, test")
    new.add_argument("name", help="the plugin's name (lower-case letters, digits, '-')")
    new.add_argument("--kind", choices=("queue",), default="queue", help="its delivery (queue: SQS → Lambda)")
    new.add_argument("--deferred", action="store_true", help="it answers later (defer, then resume)")
    new.add_argument("--dir", help="the folder to write (default plugins/<name>)")
    new.set_defaults(handler=cmd_new)
    test = sub.add_parser("test", help="invoke the plugin on the local cloud and check its completion")
    test.add_argument("manifest")
    test.add_argument("--stage", default="local")
    test.set_defaults(handler=cmd_test)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="svideo")
    parser.add_argument("--state-dir")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"svideo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
