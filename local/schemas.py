"""The EventBridge Schema Registry API (signing name "schemas"), which moto does not implement.

Registries and schemas are what the deployed templates create (`AWS::EventSchemas::Registry` and
`::Schema`, through CreateRegistry / CreateSchema), held in memory like the rest of the cloud's
state (every `svideo up` deploys again). Besides the CRUD calls it answers ExportSchema (an OpenAPI 3
schema as JSON Schema draft 4, `type=JSONSchemaDraft4`) and the code-binding calls for language
`Python36`: PutCodeBinding answers 202 `CREATE_IN_PROGRESS` as AWS does, DescribeCodeBinding then
`CREATE_COMPLETE`, and GetCodeBindingSource the zip, laid out as AWS lays it out
(`schema/<source>/<detail_type>/` with one class per component, `AWSEvent` and a `Marshaller`).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Response

from local.aws import AwsError, AwsRequest, json_response

if TYPE_CHECKING:
    from local.cloud import LocalCloud

LANGUAGES = ("Python36",)
_NAME = re.compile(r"^[.\-_A-Za-z@]+[.\-_A-Za-z0-9@]*$")
_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern}$"), operation)
    for method, pattern, operation in (
        ("GET", r"/v1/registries", "ListRegistries"),
        ("GET", r"/v1/registries/name/(?P<registry>[^/]+)", "DescribeRegistry"),
        ("POST", r"/v1/registries/name/(?P<registry>[^/]+)", "CreateRegistry"),
        ("PUT", r"/v1/registries/name/(?P<registry>[^/]+)", "UpdateRegistry"),
        ("DELETE", r"/v1/registries/name/(?P<registry>[^/]+)", "DeleteRegistry"),
        ("GET", r"/v1/registries/name/(?P<registry>[^/]+)/schemas", "ListSchemas"),
        ("GET", r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)", "DescribeSchema"),
        ("POST", r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)", "CreateSchema"),
        ("PUT", r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)", "UpdateSchema"),
        ("DELETE", r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)", "DeleteSchema"),
        (
            "GET",
            r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)/versions",
            "ListSchemaVersions",
        ),
        (
            "GET",
            r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)/export",
            "ExportSchema",
        ),
        (
            "POST",
            r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)/language/(?P<language>[^/]+)",
            "PutCodeBinding",
        ),
        (
            "GET",
            r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)/language/(?P<language>[^/]+)",
            "DescribeCodeBinding",
        ),
        (
            "GET",
            r"/v1/registries/name/(?P<registry>[^/]+)/schemas/name/(?P<schema>[^/]+)/language/(?P<language>[^/]+)/source",
            "GetCodeBindingSource",
        ),
    )
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SchemasService:
    signing_names = ("schemas",)

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    # ------------------------------------------------------------ wire

    def handle(self, request: AwsRequest) -> Response | None:
        for method, pattern, operation in _ROUTES:
            match = pattern.match(request.path)
            if method == request.method and match:
                params = {key: unquote(value) for key, value in match.groupdict().items()}
                with self._lock:
                    result = getattr(self, f"_op_{operation}")(request, **params)
                if isinstance(result, Response):
                    return result
                status = {"CreateRegistry": 201, "CreateSchema": 201, "PutCodeBinding": 202}.get(
                    operation, 200
                )
                if result is None:
                    return Response(status=204)
                return json_response(result, status=status, content_type="application/json")
        raise AwsError("NotFoundException", f"no Schemas operation {request.method} {request.path}", 404)

    # ------------------------------------------------------------ state

    def _data(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {"registries": {}}
        return self._state

    def _registry(self, name: str) -> dict[str, Any]:
        registry = self._data()["registries"].get(name)
        if registry is None:
            raise AwsError("NotFoundException", f"Registry with name {name} does not exist.", 404)
        return registry

    def _schema(self, registry: str, name: str, version: str | None = None) -> dict[str, Any]:
        schema = self._registry(registry)["schemas"].get(name)
        if schema is None:
            raise AwsError("NotFoundException", f"Schema with name {name} does not exist.", 404)
        if version and version != schema["SchemaVersion"]:
            raise AwsError("NotFoundException", f"Schema {name} has no version {version}.", 404)
        return schema

    def _registry_arn(self, name: str) -> str:
        return self._cloud.arn("schemas", f"registry/{name}")

    def _schema_arn(self, registry: str, name: str) -> str:
        return self._cloud.arn("schemas", f"schema/{registry}/{name}")

    # ------------------------------------------------------------ registries

    def _op_ListRegistries(self, request: AwsRequest) -> dict[str, Any]:
        prefix = request.query_one("registryNamePrefix", "") or ""
        return {
            "Registries": [
                {"RegistryName": name, "RegistryArn": self._registry_arn(name), "tags": registry["tags"]}
                for name, registry in sorted(self._data()["registries"].items())
                if name.startswith(prefix)
            ]
        }

    def _op_DescribeRegistry(self, request: AwsRequest, registry: str) -> dict[str, Any]:
        found = self._registry(registry)
        return {
            "RegistryName": registry,
            "RegistryArn": self._registry_arn(registry),
            "Description": found["description"],
            "tags": found["tags"],
        }

    def _op_CreateRegistry(self, request: AwsRequest, registry: str) -> dict[str, Any]:
        if not _NAME.match(registry):
            raise AwsError("BadRequestException", f"Invalid RegistryName: {registry}")
        if registry in self._data()["registries"]:
            raise AwsError("ConflictException", f"Registry with name {registry} already exists.", 409)
        body = request.json()
        self._data()["registries"][registry] = {
            "description": body.get("Description", ""),
            "tags": body.get("tags") or {},
            "schemas": {},
        }
        return self._op_DescribeRegistry(request, registry)

    def _op_UpdateRegistry(self, request: AwsRequest, registry: str) -> dict[str, Any]:
        self._registry(registry)["description"] = request.json().get("Description", "")
        return self._op_DescribeRegistry(request, registry)

    def _op_DeleteRegistry(self, request: AwsRequest, registry: str) -> None:
        self._registry(registry)
        del self._data()["registries"][registry]

    # ------------------------------------------------------------ schemas

    def _summary(self, registry: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "SchemaName": name,
            "SchemaArn": self._schema_arn(registry, name),
            "LastModified": schema["LastModified"],
            "VersionCount": int(schema["SchemaVersion"]),
            "tags": schema["tags"],
        }

    def _op_ListSchemas(self, request: AwsRequest, registry: str) -> dict[str, Any]:
        prefix = request.query_one("schemaNamePrefix", "") or ""
        schemas = self._registry(registry)["schemas"]
        return {
            "Schemas": [
                self._summary(registry, name, schema)
                for name, schema in sorted(schemas.items())
                if name.startswith(prefix)
            ]
        }

    def _describe(self, registry: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "SchemaName": name,
            "SchemaArn": self._schema_arn(registry, name),
            "SchemaVersion": schema["SchemaVersion"],
            "Type": schema["Type"],
            "Content": schema["Content"],
            "Description": schema["Description"],
            "LastModified": schema["LastModified"],
            "VersionCreatedDate": schema["LastModified"],
            "tags": schema["tags"],
        }

    def _op_DescribeSchema(self, request: AwsRequest, registry: str, schema: str) -> dict[str, Any]:
        found = self._schema(registry, schema, request.query_one("schemaVersion"))
        return self._describe(registry, schema, found)

    def _op_CreateSchema(self, request: AwsRequest, registry: str, schema: str) -> dict[str, Any]:
        body = request.json()
        schemas = self._registry(registry)["schemas"]
        if schema in schemas:
            raise AwsError("ConflictException", f"Schema with name {schema} already exists.", 409)
        schemas[schema] = self._validated(body, {"SchemaVersion": "0", "tags": body.get("tags") or {}})
        return self._describe(registry, schema, schemas[schema])

    def _op_UpdateSchema(self, request: AwsRequest, registry: str, schema: str) -> dict[str, Any]:
        found = self._schema(registry, schema)
        body = {"Type": found["Type"], "Content": found["Content"], "Description": found["Description"]}
        body.update({key: value for key, value in request.json().items() if value is not None})
        changed = body["Content"] != found["Content"]
        updated = self._validated(
            body, found if changed else {**found, "SchemaVersion": str(int(found["SchemaVersion"]) - 1)}
        )
        self._registry(registry)["schemas"][schema] = updated
        return self._describe(registry, schema, updated)

    def _validated(self, body: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("Type")
        if kind not in ("OpenApi3", "JSONSchemaDraft4"):
            raise AwsError(
                "BadRequestException", f"Invalid Type: {kind}. Valid types are OpenApi3, JSONSchemaDraft4."
            )
        content = body.get("Content")
        try:
            document = json.loads(content) if isinstance(content, str) else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise AwsError("BadRequestException", "Content is not a valid JSON document.")
        if kind == "OpenApi3" and not str(document.get("openapi", "")).startswith("3."):
            raise AwsError("BadRequestException", 'Content of type OpenApi3 must declare "openapi": "3.x".')
        return {
            "Type": kind,
            "Content": content,
            "Description": body.get("Description", ""),
            "SchemaVersion": str(int(previous.get("SchemaVersion", "0")) + 1),
            "LastModified": _now(),
            "tags": previous.get("tags", {}),
            "bindings": {},
        }

    def _op_DeleteSchema(self, request: AwsRequest, registry: str, schema: str) -> None:
        self._schema(registry, schema)
        del self._registry(registry)["schemas"][schema]

    def _op_ListSchemaVersions(self, request: AwsRequest, registry: str, schema: str) -> dict[str, Any]:
        found = self._schema(registry, schema)
        return {
            "SchemaVersions": [
                {
                    "SchemaName": schema,
                    "SchemaArn": self._schema_arn(registry, schema),
                    "SchemaVersion": found["SchemaVersion"],
                    "Type": found["Type"],
                }
            ]
        }

    def _op_ExportSchema(self, request: AwsRequest, registry: str, schema: str) -> dict[str, Any]:
        found = self._schema(registry, schema, request.query_one("schemaVersion"))
        kind = request.query_one("type")
        if kind != "JSONSchemaDraft4":
            raise AwsError("BadRequestException", f"Invalid type: {kind}. Valid type is JSONSchemaDraft4.")
        document = json.loads(found["Content"])
        exported = openapi_to_draft4(document) if found["Type"] == "OpenApi3" else document
        return {
            "SchemaName": schema,
            "SchemaArn": self._schema_arn(registry, schema),
            "SchemaVersion": found["SchemaVersion"],
            "Type": "JSONSchemaDraft4",
            "Content": json.dumps(exported),
        }

    # ------------------------------------------------------------ code bindings

    def _language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise AwsError(
                "BadRequestException",
                f"Invalid language: {language}. The local cloud generates {', '.join(LANGUAGES)}.",
            )

    def _binding_state(self, found: dict[str, Any], language: str, version: str) -> dict[str, Any]:
        binding = found["bindings"].get(f"{language}@{version}")
        if binding is None:
            raise AwsError("NotFoundException", f"Code binding for {language} does not exist.", 404)
        return binding

    def _op_PutCodeBinding(
        self, request: AwsRequest, registry: str, schema: str, language: str
    ) -> dict[str, Any]:
        self._language(language)
        found = self._schema(registry, schema, request.query_one("schemaVersion"))
        version = found["SchemaVersion"]
        key = f"{language}@{version}"
        existing = found["bindings"].get(key)
        if existing is not None:
            return {**existing, "Status": "CREATE_COMPLETE"}
        now = _now()
        # Generation is synchronous here; the first answer still says what AWS says (202, in progress).
        found["bindings"][key] = {"CreationDate": now, "LastModified": now, "SchemaVersion": version}
        return {**found["bindings"][key], "Status": "CREATE_IN_PROGRESS"}

    def _op_DescribeCodeBinding(
        self, request: AwsRequest, registry: str, schema: str, language: str
    ) -> dict[str, Any]:
        self._language(language)
        found = self._schema(registry, schema, request.query_one("schemaVersion"))
        binding = self._binding_state(found, language, found["SchemaVersion"])
        return {**binding, "Status": "CREATE_COMPLETE"}

    def _op_GetCodeBindingSource(
        self, request: AwsRequest, registry: str, schema: str, language: str
    ) -> Response:
        self._language(language)
        found = self._schema(registry, schema, request.query_one("schemaVersion"))
        self._binding_state(found, language, found["SchemaVersion"])
        document = json.loads(found["Content"])
        if found["Type"] != "OpenApi3":
            raise AwsError("BadRequestException", "Code bindings are generated from OpenApi3 schemas.")
        return Response(python_bindings(document), status=200, content_type="application/octet-stream")


# ---------------------------------------------------------------- OpenAPI 3 -> JSON Schema draft 4


def openapi_to_draft4(document: dict[str, Any]) -> dict[str, Any]:
    """`AWSEvent` as the root, other components under `definitions`, `nullable` as a null type."""
    components = dict(document.get("components", {}).get("schemas", {}))
    root = components.pop("AWSEvent", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/components/schemas/", "#/definitions/")
            elif key == "nullable" or (key.startswith("x-") and key != "x-amazon-events-source"):
                continue
            elif key == "example":
                out["examples"] = [value]
            else:
                out[key] = convert(value)
        if node.get("nullable") and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out

    exported: dict[str, Any] = {"$schema": "http://json-schema.org/draft-04/schema#", "title": "AWSEvent"}
    exported.update(convert(root))
    for key in ("x-amazon-events-source", "x-amazon-events-detail-type"):
        exported.pop(key, None)
    exported["definitions"] = {name: convert(schema) for name, schema in components.items()}
    return exported


# ---------------------------------------------------------------- Python36 code bindings

_PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "object": "object"}


def _package(document: dict[str, Any]) -> str:
    event = document.get("components", {}).get("schemas", {}).get("AWSEvent", {})
    source = str(event.get("x-amazon-events-source", "events"))
    detail_type = str(event.get("x-amazon-events-detail-type", "event"))
    clean = [re.sub(r"[^a-z0-9_]", "_", part.lower()) for part in (source, detail_type)]
    return "schema/" + "/".join(clean)


def _snake(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().strip("_")
    return f"_{name}" if not name or name[0].isdigit() else name


def _type_of(node: dict[str, Any]) -> str:
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    for option in node.get("allOf", []) + node.get("anyOf", []) + node.get("oneOf", []):
        if "$ref" in option:
            return str(option["$ref"].rsplit("/", 1)[-1])
    kind = node.get("type")
    if kind == "array":
        return f"list[{_type_of(node.get('items', {}))}]"
    if kind == "string" and node.get("format") == "date-time":
        return "datetime"
    return _PY_TYPES.get(str(kind), "object")


def _class_source(name: str, schema: dict[str, Any], dotted: str) -> str:
    properties = schema.get("properties", {})
    refs = sorted(
        {
            kind.removeprefix("list[").removesuffix("]")
            for kind in (_type_of(node) for node in properties.values())
            if kind.removeprefix("list[").removesuffix("]") not in (*_PY_TYPES.values(), "datetime")
        }
    )
    lines = ["# coding: utf-8", "import pprint", ""]
    lines += [f"from {dotted}.{ref} import {ref}  # noqa: F401" for ref in refs]
    lines += ["", "", f"class {name}(object):", "", ""]
    lines.append("    _types = {")
    lines += [f"        '{_snake(key)}': '{_type_of(node)}'," for key, node in properties.items()]
    lines.append("    }")
    lines.append("")
    lines.append("    _attribute_map = {")
    lines += [f"        '{_snake(key)}': '{key}'," for key in properties]
    lines.append("    }")
    lines.append("")
    arguments = "".join(f", {_snake(key)}=None" for key in properties)
    lines.append(f"    def __init__(self{arguments}):  # noqa: E501")
    for key in properties:
        lines.append(f"        self._{_snake(key)} = None")
    lines.append("        self.discriminator = None")
    for key in properties:
        lines.append(f"        self.{_snake(key)} = {_snake(key)}")
    for key, node in properties.items():
        attribute = _snake(key)
        lines += [
            "",
            "    @property",
            f"    def {attribute}(self):",
            f'        """The {key} of this {name}: {_type_of(node)}."""',
            f"        return self._{attribute}",
            "",
            f"    @{attribute}.setter",
            f"    def {attribute}(self, {attribute}):",
            f"        self._{attribute} = {attribute}",
        ]
    lines += [
        "",
        "    def to_dict(self):",
        "        result = {}",
        "        for attr in self._types:",
        "            value = getattr(self, attr)",
        "            if isinstance(value, list):",
        "                result[attr] = [x.to_dict() if hasattr(x, 'to_dict') else x for x in value]",
        "            elif hasattr(value, 'to_dict'):",
        "                result[attr] = value.to_dict()",
        "            else:",
        "                result[attr] = value",
        "        return result",
        "",
        "    def to_str(self):",
        "        return pprint.pformat(self.to_dict())",
        "",
        "    def __repr__(self):",
        "        return self.to_str()",
        "",
        "    def __eq__(self, other):",
        f"        return isinstance(other, {name}) and self.__dict__ == other.__dict__",
        "",
        "    def __ne__(self, other):",
        "        return not self == other",
        "",
    ]
    return "\n".join(lines)


_MARSHALLER = '''# coding: utf-8
import datetime
import re

import schema.__package_dotted__ as package


class Marshaller:
    """Turns an event (a dict) into the generated classes and back."""

    PRIMITIVE_TYPES = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "object": object,
    }

    @classmethod
    def marshall(cls, obj):
        if obj is None:
            return None
        if isinstance(obj, cls.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [cls.marshall(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(cls.marshall(item) for item in obj)
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, dict):
            obj_dict = obj
        else:
            obj_dict = {
                obj._attribute_map[attr]: getattr(obj, attr)
                for attr in obj._types
                if getattr(obj, attr) is not None
            }
        return {key: cls.marshall(val) for key, val in obj_dict.items()}

    @classmethod
    def unmarshall(cls, data, typeName):
        if data is None:
            return None
        if isinstance(typeName, str):
            if typeName.startswith("list["):
                sub_kls = re.match(r"list\\[(.*)\\]", typeName).group(1)
                return [cls.unmarshall(sub_data, sub_kls) for sub_data in data]
            if typeName in cls.NATIVE_TYPES_MAPPING:
                typeName = cls.NATIVE_TYPES_MAPPING[typeName]
            else:
                typeName = getattr(package, typeName)
        if typeName in cls.PRIMITIVE_TYPES:
            try:
                return typeName(data)
            except (TypeError, ValueError):
                return data
        if typeName == object:
            return data
        if typeName == datetime.datetime:
            return datetime.datetime.fromisoformat(str(data).replace("Z", "+00:00"))
        if typeName == datetime.date:
            return datetime.date.fromisoformat(str(data))
        kwargs = {}
        if typeName._types is not None and isinstance(data, (list, dict)):
            for attr, attr_type in typeName._types.items():
                if typeName._attribute_map[attr] in data:
                    kwargs[attr] = cls.unmarshall(data[typeName._attribute_map[attr]], attr_type)
        return typeName(**kwargs)
'''


def python_bindings(document: dict[str, Any]) -> bytes:
    """A zip of Python36 code bindings in AWS's layout for one OpenAPI 3 event schema."""
    package = _package(document)
    dotted = package.replace("/", ".")
    components = document.get("components", {}).get("schemas", {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        parts = package.split("/")
        for depth in range(1, len(parts)):
            archive.writestr("/".join(parts[:depth]) + "/__init__.py", "")
        exports = []
        for name, schema in components.items():
            if not isinstance(schema, dict) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                continue
            source = _class_source(name, schema, dotted)
            archive.writestr(f"{package}/{name}.py", source)
            exports.append(name)
        init = "# coding: utf-8\n\nfrom __future__ import absolute_import\n\n" + "".join(
            f"from {dotted}.{name} import {name}\n" for name in exports
        )
        archive.writestr(f"{package}/__init__.py", init + f"from {dotted}.marshaller import Marshaller\n")
        archive.writestr(f"{package}/marshaller.py", _MARSHALLER.replace("schema.__package_dotted__", dotted))
    return buffer.getvalue()
