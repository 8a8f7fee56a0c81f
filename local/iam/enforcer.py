"""IAM on every call made with a role: who calls (per-role credentials), what the call needs, the verdict.

The local cloud hands each function worker and task process credentials of its own role (as Lambda and ECS
do through STS); the gateway maps the access key back to the role session and evaluates the request with
the role's identity policies and the resource's policy. Callers without such credentials (the operator's
AWS CLI, the deployer, the cloud's own services) act as the account's administrator, except on a WebSocket
API's `@connections`: only a role granted `execute-api:ManageConnections` reaches a client's connection.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response
from local.iam.policy import Decision, Policy, PolicyError, Principal, denial_message, evaluate
from local.iam.requests import Check, Where, checks_for

log = logging.getLogger("svideo.local.iam")

Mode = Literal["enforce", "report", "off"]
MODES: tuple[Mode, ...] = ("enforce", "report", "off")
_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/")

# The error AWS answers a denied call with, per signing name: (code, HTTP status, wire format).
_ERRORS: dict[str, tuple[str, int, str]] = {
    "s3": ("AccessDenied", 403, "s3"),
    "sqs": ("AccessDenied", 403, "json"),
    "sns": ("AuthorizationError", 403, "query"),
    "sts": ("AccessDenied", 403, "query"),
    "iam": ("AccessDenied", 403, "query"),
    "lambda": ("AccessDeniedException", 403, "rest"),
    "scheduler": ("AccessDeniedException", 403, "rest"),
    "pipes": ("AccessDeniedException", 403, "rest"),
    "ivs": ("AccessDeniedException", 403, "rest"),
    "execute-api": ("AccessDeniedException", 403, "rest"),
    "xray": ("AccessDeniedException", 403, "rest"),
}
_DEFAULT_ERROR = ("AccessDeniedException", 400, "json")
MANAGE_CONNECTIONS = "execute-api:ManageConnections"


class AccessDenied(AwsError):
    """A call IAM refused; `check` and `decision` say which authorization failed and why."""

    def __init__(self, message: str, check: Check, decision: Decision) -> None:
        super().__init__("AccessDeniedException", message, 400)
        self.check = check
        self.decision = decision


@dataclass(frozen=True)
class Session:
    principal: Principal
    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


class IamEnforcer:
    """Per-role credentials, the policies that apply to a request, the verdict and the denial journal."""

    def __init__(self, cloud: Any, mode: Mode = "enforce") -> None:
        if mode not in MODES:
            raise ValueError(f"IAM mode must be one of {MODES}, not {mode!r}")
        self.cloud = cloud
        self.mode: Mode = mode
        self._nonce = secrets.token_hex(8)  # keys of an earlier run of the cloud are not recognised
        self._sessions: dict[str, Session] = {}
        self._by_key: dict[str, Session] = {}
        self._identity: dict[str, tuple[int, list[Policy]]] = {}
        self._generation = 0  # bumped on every IAM write: compiled role policies are cached until then
        self._lock = threading.Lock()
        self._journal_lock = threading.Lock()
        # service -> the tags of one of its resources by ARN (None: no such resource), for aws:ResourceTag/*
        self.tag_sources: dict[str, Callable[[str], dict[str, str] | None]] = {}
        self.resource_policies: dict[str, Callable[[str], list[Policy]]] = {
            "s3": self._bucket_policy,
            "sqs": self._queue_policy,
            "secretsmanager": self._secret_policy,
        }

    @property
    def journal(self) -> Path:
        return Path(self.cloud.state_dir) / "iam-denials.jsonl"

    # ------------------------------------------------------------------------------- credentials
    def session(self, role_arn: str, session_name: str) -> Session:
        """The credentials of one role session (stable for the life of the cloud)."""
        key = f"{role_arn}|{session_name}"
        with self._lock:
            found = self._sessions.get(key)
            if found is None:
                digest = hashlib.sha256(f"{self._nonce}|{key}".encode()).hexdigest().upper()
                account = role_arn.split(":")[4] or self.cloud.account_id
                principal = Principal(
                    arn=f"arn:aws:sts::{account}:assumed-role/{role_name(role_arn)}/{session_name[:64]}",
                    account=account,
                    role_arn=role_arn,
                )
                found = Session(principal, f"ASIA{digest[:16]}", digest[16:56], f"svideo-{digest[:40]}")
                self._sessions[key] = found
                self._by_key[found.access_key_id] = found
            return found

    def principal_of(self, request: AwsRequest) -> Principal | None:
        authorization = request.headers.get("authorization", "")
        match = _ACCESS_KEY.search(authorization)
        key = match.group(1) if match else (request.query.get("X-Amz-Credential") or [""])[0].split("/")[0]
        session = self._by_key.get(key) if key.startswith("ASIA") else None
        return session.principal if session else None

    # ------------------------------------------------------------------------------- policies
    def _iam(self) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[self.cloud.account_id]["aws"]

    def identity_policies(self, role_arn: str) -> list[Policy]:
        name = role_name(role_arn)
        with self._lock:
            cached = self._identity.get(name)
            if cached and cached[0] == self._generation:
                return cached[1]
            generation = self._generation
        try:
            role = self._iam().get_role(name)
        except Exception:  # the role was deleted: a session of it is allowed nothing
            policies: list[Policy] = []
        else:
            policies = []
            for policy_name, document in sorted(role.policies.items()):
                policies.append(self._compile(f"{name}/{policy_name}", document))
            for arn, managed in sorted(role.managed_policies.items()):
                version = next(v for v in managed.versions if v.is_default)
                policies.append(self._compile(arn, version.document))
        with self._lock:
            self._identity[name] = (generation, policies)
        return policies

    @staticmethod
    def _compile(name: str, document: Any, *, resource_policy: bool = False) -> Policy:
        text = document if isinstance(document, str) else json.dumps(document)
        try:
            return Policy.parse(name, text, resource_policy=resource_policy)
        except PolicyError as exc:  # AWS rejects such a document when it is put; grant nothing from it
            log.warning("policy %s cannot be evaluated: %s", name, exc)
            return Policy(name, (), resource_policy)

    def iam_changed(self) -> None:
        with self._lock:
            self._generation += 1

    def _bucket_policy(self, resource: str) -> list[Policy]:
        from moto.s3.models import s3_backends

        bucket_name = resource.split(":::", 1)[1].split("/", 1)[0]
        bucket = s3_backends[self.cloud.account_id]["aws"].buckets.get(bucket_name)
        if bucket is None or not bucket.policy:
            return []
        text = bucket.policy.decode() if isinstance(bucket.policy, bytes) else str(bucket.policy)
        return [self._compile(f"bucket policy of {bucket_name}", text, resource_policy=True)]

    def _queue_policy(self, resource: str) -> list[Policy]:
        from moto.sqs.models import sqs_backends

        parts = resource.split(":")
        queue = sqs_backends[parts[4]][parts[3]].queues.get(parts[5])
        if queue is None or not queue.policy:
            return []
        return [self._compile(f"queue policy of {parts[5]}", queue.policy, resource_policy=True)]

    def _secret_policy(self, resource: str) -> list[Policy]:
        from moto.secretsmanager.models import secretsmanager_backends

        parts = resource.split(":")
        store = secretsmanager_backends[parts[4]][parts[3]].secrets
        secret: Any = store.get(resource) if resource in store else None
        policy = getattr(secret, "policy", None)
        if not policy:
            return []
        return [self._compile(f"resource policy of {parts[6]}", policy, resource_policy=True)]

    def secret_arn(self, name: str) -> str | None:
        from moto.secretsmanager.models import secretsmanager_backends

        store = secretsmanager_backends[self.cloud.account_id][self.cloud.region].secrets
        return store[name].arn if name in store else None

    def _resource_policies(self, resource: str | None) -> list[Policy]:
        if not resource or not resource.startswith("arn:"):
            return []
        service = resource.split(":", 3)[2]
        if service == "lambda":
            return self._function_policy(resource)
        lookup = self.resource_policies.get(service)
        try:
            return lookup(resource) if lookup else []
        except (KeyError, IndexError):
            return []

    def _function_policy(self, resource: str) -> list[Policy]:
        service = getattr(self.cloud, "lambdas", None)
        store = getattr(service, "store", None)
        if store is None:
            return []
        try:
            function = store.get(resource.split(":")[6])
        except AwsError:
            return []
        if not function.policy:
            return []
        document = json.dumps({"Version": "2012-10-17", "Statement": function.policy})
        return [self._compile(f"resource policy of {function.name}", document, resource_policy=True)]

    # ------------------------------------------------------------------------------- the verdict
    def _context(self, principal: Principal, check: Check, extra: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "aws:SecureTransport": True,  # the endpoint stands in for AWS's TLS endpoints
            "aws:CurrentTime": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "aws:EpochTime": str(int(now.timestamp())),
            "aws:RequestedRegion": self.cloud.region,
            "aws:PrincipalAccount": principal.account,
        }
        if principal.role_arn:
            context["aws:PrincipalArn"] = principal.role_arn
            context["aws:PrincipalType"] = "AssumedRole"
        context.update(extra)
        context.update(self._resource_tags(check.resource))
        context.update(check.context)
        return context

    def _resource_tags(self, resource: str | None) -> dict[str, str]:
        if not resource or not resource.startswith("arn:") or "*" in resource:
            return {}
        lookup = self.tag_sources.get(resource.split(":", 3)[2])
        tags = lookup(resource) if lookup else None
        return {f"aws:ResourceTag/{key}": value for key, value in (tags or {}).items()}

    def decide(self, principal: Principal, check: Check, extra: dict[str, Any] | None = None) -> Decision:
        context = self._context(principal, check, extra or {})
        identity = self.identity_policies(principal.role_arn) if principal.role_arn else []
        return evaluate(
            principal,
            check.action,
            check.resource,
            context,
            identity,
            self._resource_policies(check.resource),
        )

    def require(
        self,
        principal: Principal,
        checks: list[Check],
        *,
        extra: dict[str, Any] | None = None,
        operation: str = "",
    ) -> None:
        """Raises `AccessDenied` on the first check IAM refuses (in `report` mode it is only journaled)."""
        if self.mode == "off":
            return
        for check in checks:
            decision = self.decide(principal, check, extra)
            if decision.allowed:
                continue
            message = denial_message(principal, check.action, check.resource, decision)
            self._record(principal, check, decision, message, operation)
            if self.mode == "enforce":
                raise AccessDenied(message, check, decision)

    def require_service(self, service: str, source_arn: str, checks: list[Check], *, operation: str) -> None:
        """A call an AWS service makes on its own behalf (EventBridge to a rule's Lambda or SQS target): only
        the resource's policy can allow it, with `aws:SourceArn` and `aws:SourceAccount` set."""
        extra = {"aws:SourceArn": source_arn, "aws:SourceAccount": self.cloud.account_id}
        principal = Principal(arn=service, account=self.cloud.account_id, service=service)
        self.require(principal, checks, extra=extra, operation=operation)

    def require_role(
        self, role_arn: str | None, session: str, checks: list[Check], *, operation: str
    ) -> None:
        """A call made with a role (a pipe's, a schedule's or a rule target's `RoleArn`)."""
        if role_arn is None:
            principal = Principal(arn="anonymous", account=self.cloud.account_id, service="none")
        else:
            principal = self.session(role_arn, session).principal
        self.require(principal, checks, operation=operation)

    # ------------------------------------------------------------------------------- the gateway's hook
    def authorize(self, request: AwsRequest) -> Response | None:
        """The gateway's hook: None lets the request through, else AWS's AccessDenied answer."""
        service = request.service or ""
        if service == "iam" and _writes_iam(request):
            self.iam_changed()
        if self.mode == "off":
            return None
        principal = self.principal_of(request)
        if principal is None and service != "execute-api":
            return None
        where = Where(self.cloud.account_id, request.region, self.secret_arn)
        checks = checks_for(request, where)
        if principal is None:
            # `@connections` belongs to the backend: only a role granted `execute-api:ManageConnections` may
            # post to, read or close a client's connection. A caller without a role's credentials is nobody
            # IAM knows here (not the administrator), so no policy allows it.
            if not any(check.action == MANAGE_CONNECTIONS for check in checks):
                return None
            principal = Principal(arn="anonymous", account=self.cloud.account_id)
        try:
            self.require(principal, checks, operation=f"{service}:{request.target or request.method}")
        except AccessDenied as denied:
            return access_denied_response(service, denied.message)
        return None

    def _record(
        self, principal: Principal, check: Check, decision: Decision, message: str, operation: str
    ) -> None:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "mode": self.mode,
            "principal": principal.arn,
            "role": principal.role_arn,
            "action": check.action,
            "resource": check.resource or "*",
            "reason": decision.reason,
            "call": operation,
            "message": message,
        }
        if decision.reason == "explicit_deny":
            entry["denied_by"] = f"{decision.policy}" + (
                f" (Sid {decision.statement})" if decision.statement else ""
            )
        else:
            if principal.service:
                where = "the resource's policy"
            elif principal.role_arn:
                where = f"role {role_name(principal.role_arn)}"
            else:
                where = "the policy of a role to sign the call with"
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Action": check.action,
                "Resource": check.resource or "*",
            }
            if principal.service:
                statement["Principal"] = {"Service": principal.service}
            entry["missing"] = {"in": where, "statement": statement}
        log.warning("IAM %s: %s", "denied" if self.mode == "enforce" else "would deny", message)
        with self._journal_lock:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    def denials(self, since: float | None = None) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        entries = [json.loads(line) for line in self.journal.read_text().splitlines() if line.strip()]
        if since is not None:
            cutoff = time.time() - since
            entries = [
                e
                for e in entries
                if datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() >= cutoff
            ]
        return entries

    def routes(self) -> None:
        def denials(request: AwsRequest) -> Response:
            since = request.query_one("since")
            return json_response(
                {"mode": self.mode, "denials": self.denials(float(since) if since else None)}
            )

        self.cloud.add_internal_route("GET", "/_svideo/iam/denials", denials)


def _writes_iam(request: AwsRequest) -> bool:
    body = request.body.decode(errors="replace") if request.body else ""
    action = re.search(r"(?:^|&)Action=([A-Za-z]+)", body) or re.search(
        r"(?:^|&)Action=([A-Za-z]+)", "&".join(f"{k}={v[0]}" for k, v in request.query.items() if v)
    )
    return action is None or not action.group(1).startswith(("Get", "List", "Simulate", "Generate"))


def access_denied_response(service: str, message: str) -> Response:
    code, status, wire = _ERRORS.get(service, _DEFAULT_ERROR)
    if wire == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
        )
        return Response(body, status=status, content_type="application/xml")
    if wire == "query":
        body = (
            f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{secrets.token_hex(8)}</RequestId></ErrorResponse>"
        )
        return Response(body, status=status, content_type="text/xml")
    payload = {"__type": code, "message": message, "Message": message}
    response = json_response(
        payload,
        status=status,
        content_type="application/json" if wire == "rest" else "application/x-amz-json-1.0",
    )
    response.headers["x-amzn-ErrorType"] = code
    if service == "sqs":  # SQS's JSON protocol keeps the query protocol's error code in this header
        response.headers["x-amzn-query-error"] = f"{code};Sender"
    return response


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
