"""Shared values through SSM: a stack publishes its own under `/svideo/<stage>/<key>`, others read them."""

from collections.abc import Mapping
from enum import StrEnum

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.naming import parameter_name


def publish_parameters(scope: Construct, stage: str, values: Mapping[StrEnum, str]) -> None:
    """One String parameter per key (construct id `Parameter-<key>`), described by the key's member name."""
    for key, value in values.items():
        ssm.StringParameter(
            scope,
            f"Parameter-{key.value}",
            parameter_name=parameter_name(stage, key.value),
            string_value=value,
            description=f"svideo {stage}: {key.name.lower().replace('_', ' ')}",
        )


def read_parameter(scope: Construct, stage: str, key: str) -> str:
    """Another stack's value, resolved at deploy time (a template parameter), so each stack deploys alone."""
    return ssm.StringParameter.value_for_string_parameter(scope, parameter_name(stage, key))
