"""A plugin's manifest: what it is, its hook, what it outputs and which outputs reach the video record."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from services.plugins import output_schema
from shared.events.base import Hook, PluginName
from shared.text import display_text, no_bidi_controls

VALIDATION_HOOKS: frozenset[str] = frozenset({"preValidate", "postValidate"})
MIN_TIMEOUT_SECONDS = 1
MAX_TIMEOUT_SECONDS = 900  # one hook may not hold a video for more than 15 minutes
DEFAULT_TIMEOUT_SECONDS = 60
MAX_OUTPUT_BYTES = 32 * 1024  # as compact JSON; larger results go to S3 and the output carries the key
# Fields the video service owns; a projection may not overwrite them.
RESERVED_VIDEO_FIELDS: frozenset[str] = frozenset(
    {
        "video_id", "id", "channel_id", "owner_id", "status", "reason", "verdict", "media", "history",
        "plugins", "created_at", "updated_at", "published_at", "deleted_at", "meta", "version",
    }
)  # fmt: skip
SemVer = Annotated[
    str,
    Field(
        pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        examples=["1.0.0"],
    ),
]
VideoField = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
JsonPointer = Annotated[str, Field(pattern=r"^(/[^/]*)*$", max_length=256)]
Delivery = Literal["queue", "webhook"]


class ManifestError(ValueError):
    """A manifest does not validate; `problems` are (JSON pointer into the manifest, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class ValidationOutput(BaseModel):
    """What a preValidate/postValidate plugin answers: `valid: false` makes the video `invalid`."""

    model_config = ConfigDict(extra="allow")

    valid: bool
    reason: str | None = Field(default=None, min_length=1, max_length=2000)


class PluginManifest(BaseModel):
    """The registration document of one plugin (YAML or JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: PluginName
    version: SemVer
    description: Annotated[str, display_text(500, multi_line=True), AfterValidator(no_bidi_controls)]
    author: Annotated[str, display_text(200), AfterValidator(no_bidi_controls)]
    hook: Hook
    after: list[PluginName] = Field(default_factory=list, max_length=20)
    timeout_seconds: int = Field(
        default=DEFAULT_TIMEOUT_SECONDS, ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS
    )
    output_schema: dict[str, Any] = Field(
        description="JSON Schema (draft 2020-12; patterns in RE2 syntax) of the output"
    )
    projection: dict[VideoField, JsonPointer] = Field(
        default_factory=dict, max_length=20, description='{"video_field": "/pointer/in/output"}'
    )
    delivery: Delivery = "queue"

    @field_validator("after")
    @classmethod
    def _after_unique(cls, after: list[str]) -> list[str]:
        if len(set(after)) != len(after):
            raise ValueError("lists a plugin twice")
        return after

    @field_validator("output_schema")
    @classmethod
    def _schema_valid(cls, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            output_schema.check_schema(schema)
        except output_schema.SchemaError as exc:
            raise ValueError(f"at {exc.path or '/'}: {exc.message}") from exc
        if schema.get("type") != "object":
            raise ValueError('the output is a JSON object: the schema needs "type": "object"')
        return schema

    @field_validator("projection")
    @classmethod
    def _no_reserved_fields(cls, projection: dict[str, str]) -> dict[str, str]:
        reserved = sorted(set(projection) & RESERVED_VIDEO_FIELDS)
        if reserved:
            raise ValueError(f"video fields {reserved} are reserved for the video service")
        return projection

    @model_validator(mode="after")
    def _consistent(self) -> PluginManifest:
        if problems := consistency_problems(self.model_dump()):
            raise ValueError("; ".join(f"{pointer}: {message}" for pointer, message in problems))
        return self

    def output_errors(self, output: dict[str, Any]) -> list[str]:
        """How an output breaks this plugin's contract (empty when it conforms)."""
        size = len(json.dumps(output, separators=(",", ":")).encode())
        if size > MAX_OUTPUT_BYTES:  # checked first: validation work stays bounded by the output's size
            return [f"/: output is {size} bytes, over {MAX_OUTPUT_BYTES}: store it in S3 and output the key"]
        problems = output_schema.errors(self.output_schema, output)
        if not problems and self.hook in VALIDATION_HOOKS:
            try:
                ValidationOutput.model_validate(output)
            except ValidationError as exc:
                problems = [f"/{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return problems

    def project(self, output: dict[str, Any]) -> dict[str, Any]:
        """This plugin's contribution to the video record; pointers that find nothing contribute nothing."""
        fields: dict[str, Any] = {}
        for field, pointer in self.projection.items():
            found, value = output_schema.resolve_pointer(output, pointer)
            if found:
                fields[field] = value
        return fields


def pointer(*parts: object) -> str:
    """The JSON pointer (RFC 6901) of a place in the manifest: ("projection", "a/b") is /projection/a~1b."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def consistency_problems(
    data: Mapping[str, Any], invalid: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """The checks that span fields, each problem with its pointer; run on the raw document too, so they are
    reported beside the fields' own errors (pydantic runs a model's checks only once its fields are valid).
    A check that reads a field in `invalid` (refused on its own) is not made: its error says enough."""
    problems: list[tuple[str, str]] = []
    after = data.get("after")
    if not {"after", "name"} & invalid and isinstance(after, list) and data.get("name") in after:
        problems.append((pointer("after", after.index(data["name"])), "`after` names the plugin itself"))
    schema = data.get("output_schema")
    if not isinstance(schema, dict) or "output_schema" in invalid:
        return problems
    projection = data.get("projection")
    checked = isinstance(projection, dict) and "projection" not in invalid
    for field, target in cast(dict[str, Any], projection).items() if checked else []:
        if not isinstance(target, str):
            continue
        try:
            described = output_schema.schema_at_pointer(schema, target)
        except (AttributeError, TypeError):  # an output_schema refused on its own: its error says why
            continue
        if described is None:
            problems.append((pointer("projection", field), f"{target!r} is not described by output_schema"))
    if "hook" not in invalid and data.get("hook") in VALIDATION_HOOKS:
        properties = schema.get("properties")
        valid = properties.get("valid", {}) if isinstance(properties, dict) else {}
        required = schema.get("required")
        if (
            not isinstance(valid, dict)
            or valid.get("type") != "boolean"
            or not isinstance(required, list)
            or "valid" not in required
        ):
            problems.append((
                pointer("output_schema"),
                f'a {data["hook"]} plugin outputs {{"valid": bool, "reason"?: str}}; '
                'declare "valid" as a required boolean property',
            ))  # fmt: skip
    return problems


def parse_manifest(data: Any) -> PluginManifest:
    """A manifest from a parsed document; ManifestError lists every problem at once, each with the JSON
    pointer of the field it is about."""
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if not error["loc"]:  # the model's own check: reported below, one problem per field
                continue
            message = re.sub(r"^Value error, ", "", error["msg"])
            problems.append((pointer(*error["loc"]), message))
        if isinstance(data, Mapping):
            invalid = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            problems += [p for p in consistency_problems(data, invalid) if p not in problems]
        else:
            problems.append(("", "a manifest is a mapping (YAML) or an object (JSON)"))
        raise ManifestError(problems) from None


def load_manifest(path: Path | str) -> PluginManifest:
    """Reads a `.yaml`/`.yml`/`.json` manifest file."""
    text = Path(path).read_text()
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if str(path).endswith(".json") else "YAML"
        raise ManifestError([("", f"not valid {kind}: {exc}")]) from None
    return parse_manifest(data)
