"""Post-processing settings: the Lambda-vs-Fargate threshold, compute sizes, the env each entry reads.

The threshold is derived, not chosen: the longest recording whose scratch space fits Lambda's /tmp and whose
transfer + stitch fits well inside Lambda's timeout, at the highest bitrate we plan for. docs/postprocess.md
shows the arithmetic with the numbers below. No value here reads the environment at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field

from .models import GIB, MIB, Limits

# Lambda's hard limits.
LAMBDA_MAX_TIMEOUT_S = 900
LAMBDA_MAX_EPHEMERAL_MIB = 10_240
# Segments + MP4 on disk at once, plus slack (the domain's Limits.space_factor/space_reserve_bytes).
SCRATCH_FACTOR = Limits().space_factor
SCRATCH_RESERVE_BYTES = Limits().space_reserve_bytes
# Highest bitrate planned for: an IVS STANDARD channel's 1080p rendition (8.5 Mb/s video + 160 kb/s audio).
PLANNING_BITRATE_BPS = 8_660_000
# Measured (benchmarks/postprocess.py): 60 min of 720p, 1241 MB, in, stitched, framed and out in 10 s.
MEASURED_STITCH_BYTES_PER_S = 124_000_000
# S3 transfer rate assumed for a 2 GB Lambda function with 8 parallel GETs (not measurable offline).
ASSUMED_S3_BYTES_PER_S = 50_000_000
# Only this share of the timeout is planned for: a slow S3 day or a cold start must still finish.
TIMEOUT_SHARE = 0.5


def lambda_space_limit_ms(ephemeral_mib: int = LAMBDA_MAX_EPHEMERAL_MIB) -> int:
    """Longest recording (ms) whose scratch space fits `ephemeral_mib` of /tmp at the planning bitrate."""
    usable = (ephemeral_mib * MIB - SCRATCH_RESERVE_BYTES) / SCRATCH_FACTOR
    return int(usable / (PLANNING_BITRATE_BPS / 8) * 1000)


def lambda_time_limit_ms(timeout_s: int = LAMBDA_MAX_TIMEOUT_S) -> int:
    """Longest recording (ms) whose download + stitch + MP4 upload fits `TIMEOUT_SHARE` of the timeout."""
    seconds_per_byte = 2 / ASSUMED_S3_BYTES_PER_S + 1 / MEASURED_STITCH_BYTES_PER_S
    max_bytes = timeout_s * TIMEOUT_SHARE / seconds_per_byte
    return int(max_bytes / (PLANNING_BITRATE_BPS / 8) * 1000)


def default_lambda_max_duration_ms(timeout_s: int = LAMBDA_MAX_TIMEOUT_S) -> int:
    """The routing threshold: the tighter of the two limits, rounded down to a whole minute."""
    limit = min(lambda_space_limit_ms(), lambda_time_limit_ms(timeout_s))
    return limit - limit % 60_000


# CDK context key that overrides the threshold (`cdk synth -c postprocess.lambda_max_duration_ms=...`).
THRESHOLD_CONTEXT_KEY = "postprocess.lambda_max_duration_ms"
# CDK context key for the function's timeout: seconds, or {stage: seconds}. The jobs queue's retry timing,
# the lease and the default threshold follow from it (`-c postprocess.lambda_timeout_s=300`).
TIMEOUT_CONTEXT_KEY = "postprocess.lambda_timeout_s"
# Time a lease outlasts the attempt that took it (the attempt itself ends at the function's timeout).
LEASE_MARGIN_S = 60


def lambda_timeout_s(value: object, stage: str) -> int:
    """The function timeout a stage's context gives (`TIMEOUT_CONTEXT_KEY`), Lambda's longest if none."""
    if isinstance(value, dict):
        value = value.get(stage)
    if value is None or value == "":
        return LAMBDA_MAX_TIMEOUT_S
    try:
        seconds = int(str(value))
    except ValueError:
        raise ValueError(f"{TIMEOUT_CONTEXT_KEY}: a whole number of seconds, not {value!r}") from None
    if not 1 <= seconds <= LAMBDA_MAX_TIMEOUT_S:
        raise ValueError(f"{TIMEOUT_CONTEXT_KEY}: {seconds} s is outside Lambda's 1-{LAMBDA_MAX_TIMEOUT_S} s")
    return seconds


# Function sizing (see docs/postprocess.md): memory buys network bandwidth and the 2nd vCPU for frames.
LAMBDA_MEMORY_MIB = 2048
LAMBDA_TIMEOUT_S = LAMBDA_MAX_TIMEOUT_S
LAMBDA_EPHEMERAL_MIB = LAMBDA_MAX_EPHEMERAL_MIB
MAX_RECEIVE_COUNT = 3
# Fargate sizing: 1 vCPU / 2 GB is ample for stream copy; the disk caps the longest recording.
FARGATE_CPU = 1024
FARGATE_MEMORY_MIB = 2048
FARGATE_EPHEMERAL_GIB = 100
FARGATE_CONTAINER_NAME = "postprocess"


class ServiceSettings(BaseModel):
    """What both entry points need, from their environment; validated once at cold start / task start."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    bus_name: Annotated[str, Field(alias="BUS_NAME", min_length=1)]
    media_bucket: Annotated[str, Field(alias="MEDIA_BUCKET", min_length=3)]
    ledger_table: Annotated[str, Field(alias="LEDGER_TABLE", min_length=1)]
    workdir: Annotated[str, Field(alias="WORKDIR")] = "/tmp"
    # Scratch budget; on Lambda the stack sets it from the function's ephemeral storage.
    scratch_mib: Annotated[int, Field(alias="SCRATCH_MIB", gt=0)] = LAMBDA_EPHEMERAL_MIB
    thumbnail_count: Annotated[int, Field(alias="THUMBNAIL_COUNT", ge=0, le=50)] = 4
    # How long one attempt may hold a video before another delivery may take it over.
    lease_s: Annotated[int, Field(alias="LEASE_S", gt=0)] = LAMBDA_TIMEOUT_S + LEASE_MARGIN_S

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls.model_validate(dict(env))

    def limits(self, *, stitch_timeout_s: float | None = None) -> Limits:
        base = Limits()
        reserve = min(base.space_reserve_bytes, self.scratch_mib * MIB // 4)
        return Limits(
            tmp_budget_bytes=self.scratch_mib * MIB,
            space_reserve_bytes=reserve,
            thumbnail_count=self.thumbnail_count,
            stitch_timeout_s=stitch_timeout_s or base.stitch_timeout_s,
            reencode_timeout_s=max(stitch_timeout_s or base.reencode_timeout_s, base.reencode_timeout_s),
        )


class LambdaSettings(ServiceSettings):
    max_receive_count: Annotated[int, Field(alias="MAX_RECEIVE_COUNT", ge=1)] = MAX_RECEIVE_COUNT
    # Where a recording too big for this function goes (RunTask with the same input).
    cluster_arn: Annotated[str, Field(alias="TASK_CLUSTER_ARN", min_length=1)]
    task_definition_arn: Annotated[str, Field(alias="TASK_DEFINITION_ARN", min_length=1)]
    task_subnets: Annotated[str, Field(alias="TASK_SUBNETS")] = ""
    task_security_groups: Annotated[str, Field(alias="TASK_SECURITY_GROUPS")] = ""
    container_name: Annotated[str, Field(alias="TASK_CONTAINER_NAME")] = FARGATE_CONTAINER_NAME


class TaskSettings(ServiceSettings):
    scratch_mib: Annotated[int, Field(alias="SCRATCH_MIB", gt=0)] = FARGATE_EPHEMERAL_GIB * GIB // MIB
    lease_s: Annotated[int, Field(alias="LEASE_S", gt=0)] = 6 * 3600
