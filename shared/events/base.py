"""Building blocks of the event contract: constrained field types, the `meta` block and the base models.

Extra fields, the choice (see docs/events.md): producers are strict and consumers are tolerant.
- Building a detail in code (`VideoProcessed(...)`) refuses unknown keyword arguments, so a producer cannot
  emit a field the contract does not declare.
- Validating a received payload ignores unknown fields by default, so a consumer on v1 keeps working when a
  producer adds a field (events are additive within a version). Contract tests validate canonical payloads
  with `STRICT` as context, which turns unknown fields into errors.
- Channel events refuse stream-key material in every mode.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION: Literal["1"] = "1"

# Validation context that makes unknown fields an error (contract tests, `parse_detail(..., strict=True)`).
STRICT: dict[str, bool] = {"strict_extra": True}

# Inline JSON (plugin outputs, projections) stays small; anything bigger lives in S3 and travels as a key.
MAX_INLINE_JSON_BYTES = 32 * 1024

# IVS stream keys look like `sk_us-west-2_AbCd...`; the local ingest issues keys of the same shape.
STREAM_KEY_VALUE = re.compile(r"sk_[a-z]{2}(-[a-z]+)+-\d+_[A-Za-z0-9]{8,}")
STREAM_KEY_NAME = re.compile(r"stream_?key(?!_?(arn|id)$)|^(secret|key_value|private_key)$", re.IGNORECASE)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def max_json_bytes(limit: int) -> Any:
    """An after-validator refusing values whose compact JSON is over `limit` bytes."""

    def check(value: Any) -> Any:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        if size > limit:
            raise ValueError(
                f"inline JSON is {size} bytes, over the {limit}-byte limit: store it in S3, send the key"
            )
        return value

    return check


# Ids: UUIDs, ULIDs, IVS-style `st-...` and slug ids all pass; spaces, slashes and empty strings do not.
# `ID` is unanchored, for patterns that embed an id (`video:<id>`); `ID_PATTERN` is a whole id.
ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"
ID_PATTERN = rf"^{ID}$"
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
VideoId = Annotated[str, Field(pattern=ID_PATTERN, examples=["vid-01HZX3K9"])]
ChannelId = Annotated[str, Field(pattern=ID_PATTERN, examples=["ch-7f3a9c"])]
OwnerId = Annotated[str, Field(pattern=ID_PATTERN, examples=["4f1c2b7e-0d1a"])]
StreamId = Annotated[str, Field(pattern=r"^st-[A-Za-z0-9]{1,64}$", examples=["st-1A2b3c4D5e6F78ghij9Klmn"])]
PluginName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,47}$", examples=["transcript"])]
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", examples=["svideo-media"])]
S3Key = Annotated[
    str, Field(min_length=1, max_length=1024, pattern=r"^[^/]", examples=["videos/v1/video.mp4"])
]
S3Prefix = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^/]")]
DurationMs = Annotated[int, Field(ge=0)]
ByteCount = Annotated[int, Field(ge=0)]
Pixels = Annotated[int, Field(ge=1, le=16384)]
TokenCount = Annotated[int, Field(ge=0)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
JsonObject = Annotated[dict[str, JsonValue], AfterValidator(max_json_bytes(MAX_INLINE_JSON_BYTES))]

VideoStatus = Literal["recording", "processing", "enriching", "published", "invalid", "failed", "deleted"]
Compute = Literal["lambda", "fargate"]
Hook = Literal["preValidate", "postValidate", "preMetadata", "postMetadata"]
HOOK_ORDER: tuple[Hook, ...] = ("preValidate", "postValidate", "preMetadata", "postMetadata")


def _field_keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(name)
        if info.alias:
            keys.add(info.alias)
    return keys


class ContractModel(BaseModel):
    """Base of every model in the contract: immutable, strict for producers, tolerant for consumers."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, str_strip_whitespace=False)

    def __init__(self, /, **data: Any) -> None:
        unknown = sorted(set(data) - _field_keys(type(self)))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(map(repr, unknown))}")
        super().__init__(**data)

    # Tells pydantic this __init__ is not needed during validation, so parsing received payloads skips it.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="before")
    @classmethod
    def _screen_input(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        cls._screen(data)
        if info.context and info.context.get("strict_extra"):
            unknown = sorted(set(data) - _field_keys(cls))
            if unknown:
                raise PydanticCustomError(
                    "extra_forbidden",
                    "{reason}: {fields}",
                    {"reason": "extra field is forbidden", "fields": unknown},
                )
        return data

    @classmethod
    def _screen(cls, data: dict[str, Any]) -> None:
        """Hook for checks that apply in every mode (see ChannelEvent)."""


class Meta(ContractModel):
    """Carried by every svideo detail: contract version, correlation id and when the fact happened (UTC)."""

    version: Literal["1"]
    correlation_id: Identifier
    occurred_at: UtcDatetime

    @classmethod
    def now(cls, correlation_id: str | None = None) -> Meta:
        """A fresh block; pass the incoming event's correlation id to keep one id along a chain of events."""
        return cls(
            version=SCHEMA_VERSION,
            correlation_id=correlation_id or str(uuid.uuid4()),
            occurred_at=datetime.now(UTC),
        )


class EventDetail(ContractModel):
    """Any detail the contract knows; subclasses declare `source` and `detail_type`."""

    source: ClassVar[str]
    detail_type: ClassVar[str]

    def event_source(self) -> str:
        """The EventBridge `source` this detail is published under."""
        return self.source


class SvideoEvent(EventDetail):
    """A detail svideo publishes: carries `meta`."""

    meta: Meta


class AwsEventDetail(EventDetail):
    """A detail AWS (or the local cloud in its place) emits: no `meta`, AWS's own field names."""


def find_key_material(data: Any, path: str = "") -> list[str]:
    """Paths inside `data` whose name or value looks like a stream key."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and STREAM_KEY_NAME.search(key):
                found.append(here)
            else:
                found.extend(find_key_material(value, here))
    elif isinstance(data, list | tuple):
        for index, item in enumerate(data):
            found.extend(find_key_material(item, f"{path}[{index}]"))
    elif isinstance(data, str) and STREAM_KEY_VALUE.search(data):
        found.append(path or "<value>")
    return found


class ChannelEvent(SvideoEvent):
    """Channel events never carry stream-key material: neither a key-like field nor a key-like value."""

    @classmethod
    def _screen(cls, data: dict[str, Any]) -> None:
        leaks = find_key_material(data)
        if leaks:
            raise PydanticCustomError(
                "key_material",
                "{reason}: {fields}",
                {"reason": "stream-key material is never allowed in channel events", "fields": leaks},
            )
