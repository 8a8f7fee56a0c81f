"""Function state: configuration as the Lambda API returns it, code on disk, versions, aliases, policies."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.aws import AwsError

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ARN = re.compile(
    r"^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_-]+)(?::([$\w-]+))?$"
)
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128
_CONFIG_KEYS = (
    "Description",
    "Timeout",
    "MemorySize",
    "Handler",
    "Role",
    "Runtime",
    "Environment",
    "DeadLetterConfig",
    "TracingConfig",
    "Layers",
    "EphemeralStorage",
    "LoggingConfig",
    "SnapStart",
    "VpcConfig",
    "KMSKeyArn",
    "FileSystemConfigs",
    "ImageConfig",
)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def split_function_name(value: str) -> tuple[str, str | None]:
    """A name, `name:qualifier`, a partial ARN or a full ARN → (name, qualifier)."""
    match = _ARN.match(value or "")
    if not match:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern",
            400,
        )
    return match.group(1), match.group(2)


@dataclass
class FunctionVersion:
    config: dict[str, Any]
    code_dir: Path


@dataclass
class Function:
    name: str
    latest: FunctionVersion
    versions: dict[str, FunctionVersion] = field(default_factory=dict)
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    event_invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_version: int = 1

    def resolve(self, qualifier: str | None) -> FunctionVersion:
        if qualifier in (None, "", "$LATEST"):
            return self.latest
        assert qualifier is not None
        if qualifier in self.versions:
            return self.versions[qualifier]
        alias = self.aliases.get(qualifier)
        if alias is not None:
            target = alias["FunctionVersion"]
            return self.latest if target == "$LATEST" else self.versions[target]
        raise AwsError(
            "ResourceNotFoundException",
            f"Function not found: {self.latest.config['FunctionArn']}:{qualifier}",
            404,
        )


class FunctionStore:
    """All functions of the local cloud, with their code unpacked under `<state_dir>/functions/<name>/`."""

    def __init__(self, root: Path, arn_prefix: str, fetch_s3: Any) -> None:
        self._root = root
        self._arn_prefix = arn_prefix  # arn:aws:lambda:<region>:<account>:function:
        self._fetch_s3 = fetch_s3
        self._functions: dict[str, Function] = {}
        self.lock = threading.RLock()

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return f"{self._arn_prefix}{name}" + (f":{qualifier}" if qualifier else "")

    def get(self, function_name: str) -> Function:
        name, _ = split_function_name(function_name)
        with self.lock:
            function = self._functions.get(name)
        if function is None:
            raise AwsError("ResourceNotFoundException", f"Function not found: {self.arn(name)}", 404)
        return function

    def all(self) -> list[Function]:
        with self.lock:
            return sorted(self._functions.values(), key=lambda f: f.name)

    def create(self, body: dict[str, Any]) -> Function:
        name = body.get("FunctionName") or ""
        if not _NAME.match(name):
            name, _ = split_function_name(name)
        if body.get("PackageType", "Zip") != "Zip":
            raise AwsError("InvalidParameterValueException", "the local cloud runs Zip packages only", 400)
        if not body.get("Handler") or not body.get("Role"):
            raise AwsError(
                "InvalidParameterValueException", "Handler and Role are required for Zip packages", 400
            )
        runtime = body.get("Runtime", "")
        if runtime and not runtime.startswith("python"):
            raise AwsError(
                "InvalidParameterValueException",
                f"the local cloud runs Python functions only, not runtime {runtime}",
                400,
            )
        self._check_limits(body)
        with self.lock:
            if name in self._functions:
                raise AwsError("ResourceConflictException", f"Function already exist: {name}", 409)
            code_dir = self._root / name / "code"
            zip_bytes = self._code_bytes(body.get("Code") or {})
            self._unpack(zip_bytes, code_dir)
            config = {
                "FunctionName": name,
                "FunctionArn": self.arn(name),
                "Runtime": runtime or "python3.13",
                "Role": body["Role"],
                "Handler": body["Handler"],
                "CodeSize": len(zip_bytes),
                "Description": body.get("Description", ""),
                "Timeout": body.get("Timeout", DEFAULT_TIMEOUT),
                "MemorySize": body.get("MemorySize", DEFAULT_MEMORY),
                "LastModified": now_iso(),
                "CodeSha256": base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
                "Version": "$LATEST",
                "TracingConfig": {"Mode": "PassThrough"},
                "RevisionId": str(uuid.uuid4()),
                "State": "Active",
                "LastUpdateStatus": "Successful",
                "PackageType": "Zip",
                "Architectures": body.get("Architectures") or ["x86_64"],
                "EphemeralStorage": {"Size": 512},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
                "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            }
            for key in _CONFIG_KEYS:
                if key in body:
                    config[key] = self._config_value(key, body[key])
            function = Function(
                name=name,
                latest=FunctionVersion(config=config, code_dir=code_dir),
                tags=dict(body.get("Tags") or {}),
            )
            self._functions[name] = function
            if body.get("Publish"):
                self.publish(function, "")
            return function

    def _config_value(self, key: str, value: Any) -> Any:
        if key == "Layers":  # the API returns layer objects; the layers are not put on the local path
            return [{"Arn": arn, "CodeSize": 0} for arn in value]
        if key == "Environment":
            return {"Variables": dict(value.get("Variables") or {})}
        return value

    def _check_limits(self, body: dict[str, Any]) -> None:
        for key, member, low, high in (
            ("Timeout", "timeout", 1, 900),
            ("MemorySize", "memorySize", 128, 10240),
        ):
            value = body.get(key)
            if value is not None and not (isinstance(value, int) and low <= value <= high):
                raise AwsError(
                    "InvalidParameterValueException",
                    f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                    f"constraint: Member must have value between {low} and {high}",
                    400,
                )

    def _code_bytes(self, code: dict[str, Any]) -> bytes:
        if code.get("ZipFile"):
            try:
                return base64.b64decode(code["ZipFile"])
            except ValueError as exc:
                raise AwsError("InvalidParameterValueException", "ZipFile is not valid base64", 400) from exc
        if code.get("S3Bucket") and code.get("S3Key"):
            return bytes(self._fetch_s3(code["S3Bucket"], code["S3Key"], code.get("S3ObjectVersion")))
        raise AwsError(
            "InvalidParameterValueException",
            "Please provide a source for function code (ZipFile or S3Bucket and S3Key)",
            400,
        )

    @staticmethod
    def _unpack(zip_bytes: bytes, code_dir: Path) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        except zipfile.BadZipFile as exc:
            raise AwsError(
                "InvalidParameterValueException",
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
                400,
            ) from exc
        staging = code_dir.with_name(code_dir.name + f".{uuid.uuid4().hex[:8]}")
        with archive:
            for member in archive.namelist():  # refuse paths that would escape the code directory
                if member.startswith("/") or ".." in Path(member).parts:
                    raise AwsError("InvalidParameterValueException", f"unsafe path in zip: {member}", 400)
            archive.extractall(staging)
        if code_dir.exists():
            shutil.rmtree(code_dir)
        staging.rename(code_dir)

    def update_code(self, function: Function, body: dict[str, Any]) -> dict[str, Any]:
        zip_bytes = self._code_bytes(body)
        with self.lock:
            self._unpack(zip_bytes, function.latest.code_dir)
            config = function.latest.config
            config.update(
                CodeSize=len(zip_bytes),
                LastModified=now_iso(),
                RevisionId=str(uuid.uuid4()),
                CodeSha256=base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
            )
            if body.get("Publish"):
                return self.publish(function, "")
            return config

    def update_configuration(self, function: Function, body: dict[str, Any]) -> dict[str, Any]:
        self._check_limits(body)
        with self.lock:
            config = function.latest.config
            for key in _CONFIG_KEYS:
                if key in body:
                    config[key] = self._config_value(key, body[key])
            config.update(LastModified=now_iso(), RevisionId=str(uuid.uuid4()))
            return config

    def publish(self, function: Function, description: str) -> dict[str, Any]:
        with self.lock:
            version = str(function.next_version)
            function.next_version += 1
            code_dir = function.latest.code_dir.with_name(f"code-v{version}")
            if code_dir.exists():
                shutil.rmtree(code_dir)
            shutil.copytree(function.latest.code_dir, code_dir)
            config = json.loads(json.dumps(function.latest.config))
            config.update(
                Version=version, FunctionArn=self.arn(function.name, version), RevisionId=str(uuid.uuid4())
            )
            if description:
                config["Description"] = description
            function.versions[version] = FunctionVersion(config=config, code_dir=code_dir)
            return config

    def delete(self, function: Function, qualifier: str | None) -> None:
        with self.lock:
            if qualifier and qualifier != "$LATEST":
                if qualifier not in function.versions:
                    raise AwsError(
                        "ResourceNotFoundException",
                        f"Function not found: {self.arn(function.name, qualifier)}",
                        404,
                    )
                shutil.rmtree(function.versions.pop(qualifier).code_dir, ignore_errors=True)
                return
            self._functions.pop(function.name, None)
            shutil.rmtree(self._root / function.name, ignore_errors=True)
