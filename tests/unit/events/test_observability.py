"""shared.observability: Powertools singletons, configured by the environment, with no network at import."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

IMPORT_WITHOUT_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError("network touched at import")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
import botocore.client
before = botocore.client.BaseClient._make_api_call
import shared.observability as o
assert botocore.client.BaseClient._make_api_call is before, "boto patched outside Lambda"
print(o.logger.service, o.metrics.namespace, type(o.tracer).__name__)
"""


def run_import(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT_NETWORK],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_given_service_env_when_imported_then_singletons_take_their_names_from_it_without_network() -> None:
    out = run_import({"POWERTOOLS_SERVICE_NAME": "video", "POWERTOOLS_METRICS_NAMESPACE": "svideo"})

    assert out == "video svideo Tracer"


def test_given_no_env_when_imported_then_it_still_imports_without_aws_credentials_or_region() -> None:
    out = run_import({})

    assert out.endswith("Tracer")
