"""Settings of the plugin service's functions, read from the environment once per cold start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_table: str = Field(min_length=1)
    lifecycle_table: str = Field(min_length=1)
    bus_name: str = Field(min_length=1)  # where a registered plugin's rule must be
    stage: str = Field(min_length=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            registry_table=env.get("REGISTRY_TABLE", ""), lifecycle_table=env.get("LIFECYCLE_TABLE", ""),
            bus_name=env.get("BUS_NAME", ""), stage=env.get("STAGE", ""),
        )  # fmt: skip


class LifecycleSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    bus_name: str = Field(min_length=1)
    registry_table: str = Field(min_length=1)
    lifecycle_table: str = Field(min_length=1)
    token_secret_arn: str = Field(min_length=1)
    schedule_group: str = Field(min_length=1)
    deadline_queue_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sqs:")
    scheduler_role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam:")
    schedule_dead_letter_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sqs:")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            bus_name=env.get("BUS_NAME", ""),
            registry_table=env.get("REGISTRY_TABLE", ""),
            lifecycle_table=env.get("LIFECYCLE_TABLE", ""),
            token_secret_arn=env.get("TOKEN_SECRET_ARN", ""),
            schedule_group=env.get("SCHEDULE_GROUP", ""),
            deadline_queue_arn=env.get("DEADLINE_QUEUE_ARN", ""),
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
            schedule_dead_letter_arn=env.get("SCHEDULE_DEAD_LETTER_ARN", ""),
        )
