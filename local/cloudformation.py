"""CloudFormation's read API for the stacks `svideo deploy` put into the local cloud.

The deployer records each stack under `<state_dir>/stacks/<name>.json`; this service answers
DescribeStacks (with outputs), ListStacks, ListStackResources, DescribeStackResources and
DescribeStackResource from those records in CloudFormation's query protocol (XML), so
`aws cloudformation describe-stacks` and boto3 see the deployed stacks. Other operations go to moto.
Resources the local cloud records without running (alarms, VPCs, custom resources) are listed as on
AWS, their ResourceStatusReason saying so.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from local.aws import AwsRequest
from local.deploy.stack import ResourceRecord, StackResult

if TYPE_CHECKING:
    from local.cloud import LocalCloud

_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
_RESOURCE_STATUS = {
    "created": "CREATE_COMPLETE",
    "updated": "UPDATE_COMPLETE",
    "unchanged": "CREATE_COMPLETE",
    "recorded": "CREATE_COMPLETE",
    "skipped": "CREATE_COMPLETE",
}


class CloudFormationService:
    signing_names = ("cloudformation",)

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def handle(self, request: AwsRequest) -> Response | None:
        params = {
            key: values[0] for key, values in parse_qs(request.body.decode(), keep_blank_values=True).items()
        }
        params.update({key: values[0] for key, values in request.query.items()})
        action = params.get("Action", "")
        operation = getattr(self, f"_op_{action}", None)
        if operation is None:
            return None
        try:
            body: str = operation(params)
        except _StackMissing as missing:
            return _error("ValidationError", f"Stack with id {missing.name} does not exist")
        return _response(action, body)

    # ------------------------------------------------------------ operations

    def _op_DescribeStacks(self, params: dict[str, str]) -> str:
        stacks = self._stacks(params.get("StackName"))
        return (
            "<Stacks>"
            + "".join(f"<member>{self._stack_xml(path, result)}</member>" for path, result in stacks)
            + "</Stacks>"
        )

    def _op_ListStacks(self, params: dict[str, str]) -> str:
        members = []
        for path, result in self._stacks(None):
            members.append(
                "<member>"
                + _tags(
                    StackId=self._stack_id(result.name),
                    StackName=result.name,
                    CreationTime=_time(path),
                    LastUpdatedTime=_time(path),
                    StackStatus=result.status,
                )
                + "</member>"
            )
        return "<StackSummaries>" + "".join(members) + "</StackSummaries>"

    def _op_ListStackResources(self, params: dict[str, str]) -> str:
        ((path, result),) = self._stacks(params.get("StackName") or "")
        members = [
            "<member>"
            + _tags(
                LogicalResourceId=record.logical_id,
                PhysicalResourceId=_physical(record),
                ResourceType=record.type,
                LastUpdatedTimestamp=_time(path),
                ResourceStatus=_RESOURCE_STATUS[record.status],
                ResourceStatusReason=_reason(record),
            )
            + "</member>"
            for record in result.resources
        ]
        return "<StackResourceSummaries>" + "".join(members) + "</StackResourceSummaries>"

    def _op_DescribeStackResources(self, params: dict[str, str]) -> str:
        physical = params.get("PhysicalResourceId")
        logical = params.get("LogicalResourceId")
        if params.get("StackName"):
            stacks = self._stacks(params["StackName"])
        else:
            stacks = [
                (path, result)
                for path, result in self._stacks(None)
                if any(_physical(record) == physical for record in result.resources)
            ]
            if not stacks:
                raise _StackMissing(physical or "")
        members = [
            f"<member>{self._resource_xml(path, result, record)}</member>"
            for path, result in stacks
            for record in result.resources
            if logical in (None, "", record.logical_id)
        ]
        return "<StackResources>" + "".join(members) + "</StackResources>"

    def _op_DescribeStackResource(self, params: dict[str, str]) -> str:
        ((path, result),) = self._stacks(params.get("StackName") or "")
        for record in result.resources:
            if record.logical_id == params.get("LogicalResourceId"):
                return (
                    f"<StackResourceDetail>{self._resource_xml(path, result, record)}</StackResourceDetail>"
                )
        raise _StackMissing(f"{result.name} resource {params.get('LogicalResourceId')}")

    # ------------------------------------------------------------ state

    def _stacks(self, name: str | None) -> list[tuple[Path, StackResult]]:
        directory = self._cloud.state_dir / "stacks"
        found = []
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            if path.name.startswith("_"):
                continue
            result = StackResult.model_validate_json(path.read_text())
            if name is None or name in (result.name, self._stack_id(result.name)):
                found.append((path, result))
        if name is not None and not found:
            raise _StackMissing(name)
        return found

    def _stack_id(self, name: str) -> str:
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"svideo-local/{name}")
        return self._cloud.arn("cloudformation", f"stack/{name}/{stable}")

    def _stack_xml(self, path: Path, result: StackResult) -> str:
        outputs = "".join(
            "<member>"
            + _tags(
                OutputKey=output.key,
                OutputValue=output.value if isinstance(output.value, str) else _json(output.value),
                Description=output.description,
                ExportName=output.export_name,
            )
            + "</member>"
            for output in result.outputs
        )
        return (
            _tags(
                StackId=self._stack_id(result.name),
                StackName=result.name,
                CreationTime=_time(path),
                LastUpdatedTime=_time(path),
                StackStatus=result.status,
                DisableRollback="false",
            )
            + f"<Outputs>{outputs}</Outputs><Tags/><Capabilities/>"
        )

    def _resource_xml(self, path: Path, result: StackResult, record: ResourceRecord) -> str:
        return _tags(
            StackName=result.name,
            StackId=self._stack_id(result.name),
            LogicalResourceId=record.logical_id,
            PhysicalResourceId=_physical(record),
            ResourceType=record.type,
            Timestamp=_time(path),
            LastUpdatedTimestamp=_time(path),
            ResourceStatus=_RESOURCE_STATUS[record.status],
            ResourceStatusReason=_reason(record),
        )


class _StackMissing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _physical(record: ResourceRecord) -> str:
    value = record.physical_id
    return value if isinstance(value, str) else _json(value)


def _reason(record: ResourceRecord) -> str | None:
    if record.status == "skipped":
        return f"not run by the local cloud: {record.reason}"
    if record.status == "recorded":
        return "recorded by the local cloud, nothing to run locally"
    return None


def _time(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _tags(**values: str | None) -> str:
    return "".join(f"<{key}>{escape(value)}</{key}>" for key, value in values.items() if value is not None)


def _response(action: str, body: str) -> Response:
    xml = (
        f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{body}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(xml, status=200, content_type="text/xml")


def _error(code: str, message: str) -> Response:
    xml = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(xml, status=400, content_type="text/xml")
