"""The running local cloud, seen from the `svideo` commands: where its state is, whether it runs, its
endpoint, its internal API and boto3 clients for it, synthesis (cached by content), starting it in the
background and stopping it. Every command module uses this; none imports another command module.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
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


def state_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("SVIDEO_STATE_DIR") or REPO_ROOT / ".svideo").resolve()


def cloud_info(directory: Path) -> dict[str, Any]:
    path = directory / CLOUD_FILE
    if not path.is_file():
        raise CliError(f"no local cloud is running for {directory} (start one with `svideo up`)")
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def endpoint(directory: Path) -> str:
    return str(cloud_info(directory)["endpoint"])


def internal(directory: Path, method: str, path: str, body: Any = None, timeout: float = 600) -> Any:
    url = f"{endpoint(directory)}/_svideo/{path}"
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


def client(directory: Path, service: str) -> Any:
    import boto3

    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint(directory),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


# ---------------------------------------------------------------- synthesis, cached by content


def inputs_digest(app: str, stage: str, context: dict[str, Any] | None = None) -> str:
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
    digest = inputs_digest(app, stage, extra_context)
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


def assembly_for(
    app: str | None, assembly_dir: str | None, stage: str, context: dict[str, Any], directory: Path
) -> Path:
    """A cloud assembly to deploy: the one given (checked), else the app synthesized into the state dir."""
    if assembly_dir:
        path = Path(assembly_dir).resolve()
        if not (path / "manifest.json").is_file():
            raise CliError(f"{path} is not a cloud assembly (no manifest.json)")
        return path
    return synthesize(app or DEFAULT_APP, directory, stage, context)


def app_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that deploys the CDK app: --app or --assembly, --stage, --context."""
    source = command.add_mutually_exclusive_group()
    source.add_argument("--app", help=f"CDK app command (default: cdk.json's, {DEFAULT_APP!r})")
    source.add_argument("--assembly", help="an already synthesized cloud assembly (cdk.out)")
    command.add_argument("--stage", default="local", help="stage context for the CDK app")
    command.add_argument(
        "--context", "-c", action="append", metavar="KEY=VALUE", help="more CDK context (repeatable)"
    )


def context_of(items: Sequence[str] | None) -> dict[str, Any]:
    """`--context key=value` options, as `cdk synth -c` takes them (values stay strings, as there)."""
    context: dict[str, Any] = {}
    for item in items or []:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise CliError(f"--context takes key=value, got {item!r}")
        context[key] = value
    return context


# ---------------------------------------------------------------- up / down


# ---------------------------------------------------------------- starting and stopping


def print_stacks(stacks: Sequence[dict[str, Any]]) -> None:
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


def write_cloud_file(directory: Path, info: dict[str, Any]) -> None:
    temporary = directory / f".{CLOUD_FILE}.tmp"
    temporary.write_text(json.dumps(info))
    temporary.replace(directory / CLOUD_FILE)


def alive(directory: Path) -> bool:
    try:
        pid = int(cloud_info(directory)["pid"])
        os.kill(pid, 0)
    except (CliError, ProcessLookupError, ValueError, KeyError):
        return False
    except PermissionError:
        return True
    return True


def start_detached(directory: Path, assembly: Path, port: int) -> int:
    """Starts `svideo up` in the background on `assembly` and returns once it is ready (or raises)."""
    with contextlib.suppress(FileNotFoundError):
        (directory / CLOUD_FILE).unlink()
    log_path = directory / "cloud.log"
    command = [
        sys.executable,
        "-m",
        "cli",
        "--state-dir",
        str(directory),
        "up",
        "--assembly",
        str(assembly),
        "--port",
        str(port),
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
            terminate(process.pid)
            raise CliError(f"deploy failed: {info.get('error')}")
        if info.get("state") == "ready":
            print(f"local cloud: {info['endpoint']}  (pid {process.pid}, log {log_path})")
            print(f"  export AWS_ENDPOINT_URL={info['endpoint']}")
            print_stacks(internal(directory, "GET", "stacks")["stacks"])
            return 0
        time.sleep(0.2)
    terminate(process.pid)
    raise CliError(f"the local cloud was not ready within {READY_TIMEOUT_SECONDS:.0f}s; log {log_path}")


def terminate(pid: int, timeout: float = 20.0) -> bool:
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


def stop(directory: Path) -> None:
    """Stops the cloud running for `directory`, if one does, and forgets it."""
    pid_path = directory / PID_FILE
    pid = int(pid_path.read_text()) if pid_path.is_file() else None
    if pid is None and (directory / CLOUD_FILE).is_file():
        pid = int(cloud_info(directory)["pid"])
    if pid is None or not terminate(pid):
        print(f"no local cloud runs for {directory}")
    else:
        print(f"local cloud (pid {pid}) stopped")
    for name in (PID_FILE, CLOUD_FILE):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
