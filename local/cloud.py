"""The local cloud object: the gateway on a loopback port, the services behind it, and their shared state."""

from __future__ import annotations

import logging
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from local.aws import ACCOUNT_ID
from local.contracts import EventPutter, LambdaInvoker, LocalService, MetricSink, TargetDelivery, TaskRunner
from local.gateway import Gateway, InternalHandler
from local.iam import MODES, IamEnforcer, Mode

log = logging.getLogger("svideo.local")

DEFAULT_PORT = 4566
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class LocalCloud:
    """Holds the gateway and the parts that need each other (Lambda runtime, task runner, target delivery).

    Parts are attached by `local.wiring.build_cloud`; tests may build a cloud with only the parts they need.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        region: str = "us-east-1",
        iam_mode: Mode | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.region = region
        self.account_id = ACCOUNT_ID
        self.gateway = Gateway(default_region=region)
        self.iam = IamEnforcer(self, iam_mode or _iam_mode())
        self.gateway.authorizer = self.iam.authorize
        self.iam.routes()
        self.lambdas: LambdaInvoker | None = None
        self.tasks: TaskRunner | None = None
        self.targets: TargetDelivery | None = None
        # The buses in-process: how the emulated AWS services (IVS, ECS) emit their `aws.*` events, which
        # PutEvents refuses from callers as AWS does.
        self.events: EventPutter | None = None
        self.metrics: MetricSink | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._started: list[LocalService] = []

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def child_env(self) -> dict[str, str]:
        """The environment a process needs to use this cloud with a plain boto3 client."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }

    def client(self, service: str) -> Any:
        """A boto3 client for this cloud (typed Any: the service name is only known at run time)."""
        return _client(self.endpoint, self.region, service)

    def client_as(self, role_arn: str, session_name: str, service: str) -> Any:
        """A boto3 client signed with a role session's credentials: IAM evaluates its calls as the role's."""
        credentials = self.iam.session(role_arn, session_name)
        return _client(
            self.endpoint,
            self.region,
            service,
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
        )

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def add_service(self, service: LocalService) -> None:
        self.gateway.add_service(service)

    def add_internal_route(self, method: str, path: str, handler: InternalHandler) -> None:
        self.gateway.add_internal_route(method, path, handler)

    def start(self) -> None:
        """Serves the gateway. moto's state is per process, not per cloud: a new cloud starts it empty, so
        run one cloud per process at a time (tests do, one after the other)."""
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        class Handler(MotoRequestHandler):
            # A response goes out as two writes (headers, then body): with Nagle's algorithm the body waited
            # for the headers' acknowledgement on every call.
            disable_nagle_algorithm = True

        self.state_dir.mkdir(parents=True, exist_ok=True)
        moto_api_backend.reset()
        # One access-log line per SDK call drowns everything else.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(self.host, self.port, self.gateway, threaded=True, request_handler=Handler)
        self.port = self._server.server_address[1]  # port 0 means "any free port" (tests)
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        for service in self.gateway.services():
            service.start()
            self._started.append(service)
        log.info("local cloud serving on %s", self.endpoint)

    def stop(self) -> None:
        for service in reversed(self._started):
            try:
                service.stop()
            except Exception:
                log.exception("stopping %s failed", type(service).__name__)
        self._started.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _iam_mode() -> Mode:
    """`SVIDEO_IAM` (enforce | report | off); `svideo up --iam` sets it. Enforced unless said otherwise."""
    value = os.environ.get("SVIDEO_IAM", "enforce")
    if value not in MODES:
        raise ValueError(f"SVIDEO_IAM must be one of {', '.join(MODES)}, not {value!r}")
    return value


@cache
def _client(
    endpoint: str,
    region: str,
    service: str,
    access_key_id: str = CREDENTIALS["aws_access_key_id"],
    secret_access_key: str = CREDENTIALS["aws_secret_access_key"],
    session_token: str | None = None,
) -> Any:
    # The cloud's own calls to itself: no retries hiding bugs, short timeouts so nothing hangs.
    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60),
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
    )
