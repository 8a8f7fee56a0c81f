"""A plugin's manifest: what it is, its hook, what it outputs and which outputs reach the video record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

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
    """A manifest does not validate; `problems` are (field path, message) pairs."""

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
        if self.name in self.after:
            raise ValueError("`after` names the plugin itself")
        for field, pointer in self.projection.items():
            if output_schema.schema_at_pointer(self.output_schema, pointer) is None:
                raise ValueError(f"projection.{field}: {pointer!r} is not described by output_schema")
        if self.hook in VALIDATION_HOOKS:
            valid = self.output_schema.get("properties", {}).get("valid", {})
            if valid.get("type") != "boolean" or "valid" not in self.output_schema.get("required", []):
                raise ValueError(
                    f'output_schema: a {self.hook} plugin outputs {{"valid": bool, "reason"?: str}}; '
                    'declare "valid" as a required boolean property'
                )
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


def parse_manifest(data: Any) -> PluginManifest:
    """A manifest from a parsed document; ManifestError lists each problem with the field it is about."""
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "manifest"
            message = re.sub(r"^Value error, ", "", error["msg"])
            problems.append((field, message))
        raise ManifestError(problems) from None


def load_manifest(path: Path | str) -> PluginManifest:
    """Reads a `.yaml`/`.yml`/`.json` manifest file."""
    text = Path(path).read_text()
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if str(path).endswith(".json") else "YAML"
        raise ManifestError([("manifest", f"not valid {kind}: {exc}")]) from None
    return parse_manifest(data)
