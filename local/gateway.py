"""One endpoint for every SDK call: our services answer what they take over, moto answers the rest."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Response

from local import moto_fixes
from local.aws import AwsError, AwsRequest, error_response, parse_request
from local.contracts import LocalService
from local.wakeups import DYNAMODB_WRITES, Wakeups

log = logging.getLogger("svideo.local.gateway")

InternalHandler = Callable[[AwsRequest], Response]
INTERNAL_PREFIX = "/_svideo/"

# Services whose wire protocol is REST-JSON report errors with the x-amzn-ErrorType header and a JSON body.
_REST_SERVICES = {"lambda", "scheduler", "pipes", "apigateway", "execute-api", "ivs", "states-rest"}


class Gateway:
    """A WSGI application: internal routes, then local services by signing name, then moto."""

    def __init__(self, default_region: str) -> None:
        from moto.core.config import default_user_config
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        # moto must never try Docker (there is none) and must run state machines for real.
        default_user_config["lambda"] = {"use_docker": False}
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        moto_fixes.apply()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._default_region = default_region
        self._services: dict[str, list[LocalService]] = {}
        self._internal: dict[tuple[str, str], InternalHandler] = {}
        self._lock = threading.Lock()
        # IAM's verdict on every request made with a role's credentials (None: let it through).
        self.authorizer: Callable[[AwsRequest], Response | None] = lambda request: None
        self.wakeups = Wakeups()

    def add_service(self, service: LocalService) -> None:
        with self._lock:
            for name in service.signing_names:
                self._services.setdefault(name, []).append(service)

    def add_internal_route(self, method: str, path: str, handler: InternalHandler) -> None:
        """Routes under /_svideo/ serve the CLI and the tests (status, deploy, dlq, ...)."""
        if not path.startswith(INTERNAL_PREFIX):
            raise ValueError(f"internal routes live under {INTERNAL_PREFIX}: {path}")
        self._internal[(method.upper(), path)] = handler

    def services(self) -> Iterable[LocalService]:
        seen: dict[int, LocalService] = {}
        for group in self._services.values():
            for service in group:
                seen.setdefault(id(service), service)
        return seen.values()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = parse_request(environ, self._default_region)
        response = self._dispatch(request)
        if response is None:
            answer = self._moto(environ, start_response)
            if request.service == "dynamodb" and request.target in DYNAMODB_WRITES:
                self.wakeups.notify("dynamodb")  # moto has written the stream records by now
            return answer
        # Every AWS answer carries a request id; SDK callers (moto's Step Functions tasks) read it.
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        return response(environ, start_response)

    def _dispatch(self, request: AwsRequest) -> Response | None:
        rest = request.service in _REST_SERVICES
        try:
            if request.path.startswith(INTERNAL_PREFIX):
                handler = self._internal.get((request.method, request.path))
                if handler is None:
                    raise AwsError(
                        "ResourceNotFoundException", f"no route {request.method} {request.path}", 404
                    )
                return handler(request)
            denied = self.authorizer(request)
            if denied is not None:
                return denied
            for service in self._services.get(request.service or "", []):
                response = service.handle(request)
                if response is not None:
                    return response
            for service in self._services.get("*", []):  # services reached by path (e.g. execute-api)
                response = service.handle(request)
                if response is not None:
                    return response
            return None
        except AwsError as error:
            return error_response(error, rest=rest)
        except Exception:  # a bug of ours must still answer like AWS does, never hang the SDK
            log.exception("local service failed on %s %s", request.method, request.path)
            return error_response(
                AwsError("InternalFailure", "the local cloud failed on this request", 500), rest=rest
            )
