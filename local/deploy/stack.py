"""Deploys a synthesized cloud assembly (cdk.out) into the running local cloud, stack by stack."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from local.deploy.intrinsics import DeployError, Intrinsics, ResolvedResource, creation_order, references
from local.deploy.resources import HANDLERS, Placeholders, ResourceContext

log = logging.getLogger("svideo.local.deploy")

BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
BOOTSTRAP_VERSION = "30"
_DEPLOY_LOCK = threading.Lock()

ResourceStatus = Literal["created", "updated", "unchanged", "recorded", "skipped"]


class CloudTarget(Protocol):
    """What the deployer needs of the cloud (a LocalCloud provides it)."""

    state_dir: Path
    region: str
    account_id: str

    @property
    def endpoint(self) -> str: ...

    def client(self, service: str) -> Any: ...


class ResourceRecord(BaseModel):
    logical_id: str
    type: str
    status: ResourceStatus
    physical_id: Any = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    fingerprint: str = ""
    reason: str = ""


class StackOutput(BaseModel):
    key: str
    value: Any
    export_name: str | None = None
    description: str | None = None


class StackResult(BaseModel):
    name: str
    status: Literal["CREATE_COMPLETE", "UPDATE_COMPLETE"]
    resources: list[ResourceRecord]
    outputs: list[StackOutput]

    @property
    def skipped(self) -> list[ResourceRecord]:
        return [resource for resource in self.resources if resource.status == "skipped"]


class StackArtifact(BaseModel):
    artifact_id: str
    stack_name: str
    template_file: Path
    dependencies: list[str]


def deploy_assembly(
    cloud: CloudTarget, assembly_dir: Path, *, stacks: Iterable[str] | None = None
) -> list[StackResult]:
    """Uploads the assets, bootstraps, then deploys every stack (or the named ones) in dependency order."""
    with _DEPLOY_LOCK:
        artifacts, asset_manifests = read_assembly(assembly_dir)
        wanted = set(stacks) if stacks else None
        ordered = _stack_order(artifacts)
        if wanted is not None:
            unknown = (
                wanted - {artifact.stack_name for artifact in ordered} - {a.artifact_id for a in ordered}
            )
            if unknown:
                raise DeployError(f"no such stacks in {assembly_dir}: {sorted(unknown)}")
            ordered = [a for a in ordered if a.stack_name in wanted or a.artifact_id in wanted]
        bootstrap(cloud)
        for manifest in asset_manifests:
            upload_assets(cloud, manifest)
        return [StackDeployer(cloud, artifact).deploy() for artifact in ordered]


def read_assembly(assembly_dir: Path) -> tuple[list[StackArtifact], list[Path]]:
    """Stack artifacts and asset manifests of an assembly, nested stage assemblies included."""
    manifest_path = assembly_dir / "manifest.json"
    if not manifest_path.is_file():
        raise DeployError(f"{assembly_dir} is not a cloud assembly (no manifest.json)")
    manifest = json.loads(manifest_path.read_text())
    stacks: list[StackArtifact] = []
    assets: list[Path] = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    stack_name=properties.get("stackName", artifact_id),
                    template_file=assembly_dir / properties["templateFile"],
                    dependencies=list(artifact.get("dependencies", [])),
                )
            )
        elif artifact.get("type") == "cdk:asset-manifest":
            assets.append(assembly_dir / properties["file"])
        elif artifact.get("type") == "cdk:cloud-assembly":
            nested_stacks, nested_assets = read_assembly(assembly_dir / properties["directoryName"])
            stacks += nested_stacks
            assets += nested_assets
    return stacks, assets


def _ssm_names(template: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(SSM parameter names the template creates, names its parameters read): stacks share names through
    SSM without declaring a dependency, so the deployer orders producers first."""
    produced = {
        resource["Properties"]["Name"]
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::SSM::Parameter"
        and isinstance(resource.get("Properties", {}).get("Name"), str)
    }
    consumed = {
        declaration["Default"]
        for declaration in template.get("Parameters", {}).values()
        if str(declaration.get("Type", "")).startswith("AWS::SSM::Parameter::Value<")
        and isinstance(declaration.get("Default"), str)
    }
    return produced, consumed


def _stack_order(artifacts: list[StackArtifact]) -> list[StackArtifact]:
    by_id = {artifact.artifact_id: artifact for artifact in artifacts}
    names = {
        artifact.artifact_id: _ssm_names(json.loads(artifact.template_file.read_text()))
        for artifact in artifacts
    }
    producers = {name: artifact_id for artifact_id, (produced, _) in names.items() for name in produced}
    ordered: list[StackArtifact] = []
    visiting: set[str] = set()

    def visit(artifact: StackArtifact) -> None:
        if artifact in ordered:
            return
        if artifact.artifact_id in visiting:
            raise DeployError(f"stacks depend on each other in a cycle through {artifact.artifact_id}")
        visiting.add(artifact.artifact_id)
        implicit = [producers[name] for name in sorted(names[artifact.artifact_id][1]) if name in producers]
        for dependency in [*artifact.dependencies, *implicit]:
            if dependency in by_id and dependency != artifact.artifact_id:
                visit(by_id[dependency])
        ordered.append(artifact)

    for artifact in artifacts:
        visit(artifact)
    return ordered


def bootstrap(cloud: CloudTarget) -> str:
    """What `cdk bootstrap` leaves that templates check for: the asset bucket and the version parameter."""
    bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{cloud.account_id}-{cloud.region}"
    try:
        cloud.client("s3").create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    cloud.client("ssm").put_parameter(
        Name=BOOTSTRAP_VERSION_PARAMETER, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )
    return bucket


def _substitute(text: str, cloud: CloudTarget) -> str:
    return (
        text.replace("${AWS::AccountId}", cloud.account_id)
        .replace("${AWS::Region}", cloud.region)
        .replace("${AWS::Partition}", "aws")
    )


def upload_assets(cloud: CloudTarget, manifest_path: Path) -> int:
    """Uploads every file asset (directories zipped, as the CDK CLI does) unless it is already there."""
    manifest = json.loads(manifest_path.read_text())
    s3 = cloud.client("s3")
    uploaded = 0
    for asset_id, asset in manifest.get("files", {}).items():
        source = asset["source"]
        if "path" not in source:
            log.warning("asset %s is built by a command; skipped locally", asset_id)
            continue
        path = manifest_path.parent / source["path"]
        for destination in asset.get("destinations", {}).values():
            bucket = _substitute(destination["bucketName"], cloud)
            key = _substitute(destination["objectKey"], cloud)
            try:
                s3.head_object(Bucket=bucket, Key=key)
                continue
            except ClientError:
                pass
            try:
                s3.create_bucket(Bucket=bucket)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            body = (
                _zip_directory(path)
                if source.get("packaging") == "zip" or path.is_dir()
                else path.read_bytes()
            )
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            uploaded += 1
    log.info("uploaded %d file assets from %s", uploaded, manifest_path.name)
    return uploaded


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def stacks_dir(cloud: CloudTarget) -> Path:
    return cloud.state_dir / "stacks"


def load_exports(cloud: CloudTarget) -> dict[str, Any]:
    exports: dict[str, Any] = {}
    directory = stacks_dir(cloud)
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        result = StackResult.model_validate_json(path.read_text())
        exports.update({output.export_name: output.value for output in result.outputs if output.export_name})
    return exports


def _fingerprint(resource_type: str, properties: Any) -> str:
    return hashlib.sha256(
        json.dumps([resource_type, properties], sort_keys=True, default=str).encode()
    ).hexdigest()


class StackDeployer:
    """Creates, updates and deletes one stack's resources so that they match its template."""

    def __init__(self, cloud: CloudTarget, artifact: StackArtifact) -> None:
        self.cloud = cloud
        self.artifact = artifact
        self.name = artifact.stack_name
        self.template: dict[str, Any] = json.loads(artifact.template_file.read_text())
        self.state_path = stacks_dir(cloud) / f"{self.name}.json"

    def deploy(self) -> StackResult:
        previous = self._previous()
        intrinsics = Intrinsics(
            stack_name=self.name,
            region=self.cloud.region,
            account_id=self.cloud.account_id,
            parameters=self._parameters(),
            conditions=self.template.get("Conditions", {}),
            mappings=self.template.get("Mappings", {}),
            exports=load_exports(self.cloud),
        )
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        active = {
            logical_id: resource
            for logical_id, resource in resources.items()
            if "Condition" not in resource or intrinsics.condition(resource["Condition"])
        }
        records: list[ResourceRecord] = []
        # As in CloudFormation, what references a replaced resource is updated too: deleting a function
        # took its versions, aliases and permissions with it, though their properties read the same.
        replaced: set[str] = set()
        for logical_id in creation_order(active):
            resource = active[logical_id]
            stale = bool(references(resource.get("Properties", {})) & replaced)
            record = self._apply(logical_id, resource, intrinsics, previous.get(logical_id), stale=stale)
            handler = HANDLERS.get(record.type)
            if record.status == "updated" and handler is not None and not handler.upsert:
                replaced.add(logical_id)
            records.append(record)
            attributes = record.attributes
            if record.status in ("recorded", "skipped"):
                attributes = Placeholders(
                    f"arn:aws:local:{self.cloud.region}:{self.cloud.account_id}:{logical_id}",
                    record.attributes,
                )
            intrinsics.resources[logical_id] = ResolvedResource(record.physical_id, attributes)
        for logical_id, old in reversed(list(previous.items())):
            if logical_id not in active:
                self._delete(old)
        outputs = [
            self._output(key, output, intrinsics)
            for key, output in self.template.get("Outputs", {}).items()
            if "Condition" not in output or intrinsics.condition(output["Condition"])
        ]
        result = StackResult(
            name=self.name,
            status="UPDATE_COMPLETE" if previous else "CREATE_COMPLETE",
            resources=records,
            outputs=outputs,
        )
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(result.model_dump_json(indent=2))
        skipped = len(result.skipped)
        log.info("stack %s: %s, %d resources (%d skipped)", self.name, result.status, len(records), skipped)
        return result

    def _previous(self) -> dict[str, ResourceRecord]:
        if not self.state_path.is_file():
            return {}
        result = StackResult.model_validate_json(self.state_path.read_text())
        return {record.logical_id: record for record in result.resources}

    def _parameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, declaration in self.template.get("Parameters", {}).items():
            value = declaration.get("Default")
            kind = declaration.get("Type", "String")
            if kind.startswith("AWS::SSM::Parameter::Value<"):
                try:
                    value = self.cloud.client("ssm").get_parameter(Name=value)["Parameter"]["Value"]
                except ClientError as exc:
                    raise DeployError(
                        f"stack {self.name}: parameter {name} reads SSM parameter {value!r}: "
                        f"{exc.response['Error']['Code']} (no stack deployed so far creates it)"
                    ) from exc
                if "List<" in kind:
                    value = value.split(",")
            elif kind.startswith("List<") or kind == "CommaDelimitedList":
                value = value.split(",") if isinstance(value, str) else value
            if value is None:
                raise DeployError(f"stack {self.name}: parameter {name} has no default and none was given")
            values[name] = value
        return values

    def _context(self, logical_id: str, resource_type: str) -> ResourceContext:
        return ResourceContext(
            stack=self.name,
            logical_id=logical_id,
            resource_type=resource_type,
            region=self.cloud.region,
            account_id=self.cloud.account_id,
            endpoint=self.cloud.endpoint,
            client=self.cloud.client,
        )

    def _skipped(self, logical_id: str, resource_type: str, reason: str, fingerprint: str) -> ResourceRecord:
        log.warning("stack %s: %s (%s) skipped: %s", self.name, logical_id, resource_type, reason)
        return ResourceRecord(
            logical_id=logical_id,
            type=resource_type,
            status="skipped",
            physical_id=logical_id,
            reason=reason,
            fingerprint=fingerprint,
        )

    def _apply(
        self,
        logical_id: str,
        resource: dict[str, Any],
        intrinsics: Intrinsics,
        old: ResourceRecord | None,
        *,
        stale: bool = False,
    ) -> ResourceRecord:
        resource_type = resource.get("Type", "")
        try:
            properties = intrinsics.resolve(resource.get("Properties", {}))
        except DeployError as exc:
            raise DeployError(f"stack {self.name}: resource {logical_id} ({resource_type}): {exc}") from exc
        fingerprint = _fingerprint(resource_type, properties)
        handler = HANDLERS.get(resource_type)
        if handler is None:
            reason = (
                "custom resources do not run locally"
                if resource_type.startswith("Custom::")
                or resource_type == "AWS::CloudFormation::CustomResource"
                else "resource type not supported by the local cloud"
            )
            return self._skipped(logical_id, resource_type, reason, fingerprint)
        if old is not None and old.type == resource_type and old.fingerprint == fingerprint and not stale:
            status: ResourceStatus = "recorded" if handler.recorded_only else "unchanged"
            return old.model_copy(update={"status": status})
        if old is not None and not handler.upsert and old.status not in ("skipped", "recorded"):
            self._delete(old)
        context = self._context(logical_id, resource_type)
        try:
            physical_id, attributes = handler.create(context, properties)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise DeployError(
                f"stack {self.name}: resource {logical_id} ({resource_type}) failed: "
                f"{error.get('Code')}: {error.get('Message')}"
            ) from exc
        except NotImplementedError as exc:
            return self._skipped(logical_id, resource_type, str(exc), fingerprint)
        status = "recorded" if handler.recorded_only else "updated" if old is not None else "created"
        return ResourceRecord(
            logical_id=logical_id,
            type=resource_type,
            status=status,
            physical_id=physical_id,
            attributes=dict(attributes),
            properties=properties,
            fingerprint=fingerprint,
        )

    def _delete(self, record: ResourceRecord) -> None:
        handler = HANDLERS.get(record.type)
        if handler is None or handler.delete is None or record.status in ("skipped", "recorded"):
            return
        try:
            handler.delete(
                self._context(record.logical_id, record.type), record.physical_id, record.properties
            )
        except ClientError as exc:
            log.warning("stack %s: deleting %s failed: %s", self.name, record.logical_id, exc)

    def _output(self, key: str, output: dict[str, Any], intrinsics: Intrinsics) -> StackOutput:
        try:
            value = intrinsics.resolve(output["Value"])
            export = output.get("Export", {}).get("Name")
            export_name = intrinsics.resolve(export) if export is not None else None
        except DeployError as exc:
            raise DeployError(f"stack {self.name}: output {key}: {exc}") from exc
        return StackOutput(
            key=key, value=value, export_name=export_name, description=output.get("Description")
        )


def deploy_template(
    cloud: CloudTarget, stack_name: str, template: dict[str, Any], *, workdir: Path | None = None
) -> StackResult:
    """Deploys one template given as a dict (tests, small tools); it is written under the state dir first."""
    directory = workdir or cloud.state_dir / "templates"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stack_name}.template.json"
    path.write_text(json.dumps(template))
    artifact = StackArtifact(
        artifact_id=stack_name, stack_name=stack_name, template_file=path, dependencies=[]
    )
    with _DEPLOY_LOCK:
        return StackDeployer(cloud, artifact).deploy()
