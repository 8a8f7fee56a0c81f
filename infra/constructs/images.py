"""A container image built from the repository by `cdk deploy` (Docker, arm64), or one already pushed."""

import re
from collections.abc import Callable

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from constructs import Construct

IMAGE_URI_CONTEXT = "postprocess.image_uri"  # `cdk deploy -c postprocess.image_uri=<uri>`: no Docker needed
_ECR_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+)"
    r"(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def prebuilt_or_built(
    scope: Construct, build: Callable[[], ecs.ContainerImage], context_key: str = IMAGE_URI_CONTEXT
) -> ecs.ContainerImage:
    """The image named by context `context_key` if given (an ECR URI gets pull rights for the task's
    execution role), otherwise `build()`, the Dockerfile asset that `cdk deploy` builds and pushes."""
    uri = scope.node.try_get_context(context_key)
    if not uri:
        return build()
    match = _ECR_URI.match(str(uri))
    if match is None:
        return ecs.ContainerImage.from_registry(str(uri))
    repository = ecr.Repository.from_repository_attributes(
        scope,
        "PrebuiltImageRepository",
        repository_arn=f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}",
        repository_name=match["repository"],
    )
    return ecs.ContainerImage.from_ecr_repository(repository, tag=match["digest"] or match["tag"] or "latest")
