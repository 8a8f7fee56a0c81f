"""The well-known names stacks share instead of cross-stack exports: one stack deploys without the others."""

from enum import StrEnum

PROJECT = "svideo"
METRICS_NAMESPACE = PROJECT


def resource_name(stage: str, *parts: str) -> str:
    """A physical name unique per stage: `resource_name("dev", "events", "dlq")` → `dev-svideo-events-dlq`."""
    return "-".join([stage, PROJECT, *parts])


def stack_name(stack_id: str, stage: str) -> str:
    """The deployed name of one of the app's stacks: `stack_name("VideoStack", "prod")` → `VideoStack-prod`.

    The stage is part of the name (and of the `cdk ls` id), so two stages deploy side by side in one account.
    """
    return f"{stack_id}-{stage}"


def bus_name(stage: str) -> str:
    return resource_name(stage)


def schema_registry_name(stage: str) -> str:
    return resource_name(stage)


class CoreParameter(StrEnum):
    """SSM parameters the core stack publishes for the service stacks."""

    BUS_NAME = "core/bus-name"
    BUS_ARN = "core/bus-arn"
    DLQ_ARN = "core/dlq-arn"
    DLQ_URL = "core/dlq-url"
    SCHEMA_REGISTRY_NAME = "core/schema-registry-name"
    ARCHIVE_NAME = "core/archive-name"


class ChannelParameter(StrEnum):
    """SSM parameters the channel stack publishes (post-processing reads the recording bucket)."""

    TABLE_NAME = "channel/table-name"
    RECORDING_BUCKET = "channel/recording-bucket"
    RECORDING_CONFIGURATION_ARN = "channel/recording-configuration-arn"


class IdentityParameter(StrEnum):
    """SSM parameters the identity stack publishes (the HTTP API's JWT authorizer and clients read them)."""

    USER_POOL_ID = "identity/user-pool-id"
    USER_POOL_ARN = "identity/user-pool-arn"
    USER_POOL_CLIENT_ID = "identity/user-pool-client-id"
    USER_POOL_ISSUER = "identity/user-pool-issuer"


class VideoParameter(StrEnum):
    """SSM parameters the video stack publishes: the catalog, the media bucket and the public HTTP API.

    Services that write media (post-processing, plugins) grant themselves `s3:PutObject` on
    `<media-bucket-arn>/videos/*` and write under `videos/<video_id>/` only.
    """

    TABLE_NAME = "video/table-name"
    MEDIA_BUCKET = "video/media-bucket-name"
    MEDIA_BUCKET_ARN = "video/media-bucket-arn"
    API_ID = "video/http-api-id"
    API_URL = "video/api-url"
    API_AUTHORIZER_ID = "video/http-api-authorizer-id"


class OperationsParameter(StrEnum):
    """SSM parameters the operations stack publishes: every stack's alarms notify this stage's topic."""

    ALARM_TOPIC_ARN = "operations/alarm-topic-arn"


def parameter_name(stage: str, key: str) -> str:
    """The SSM path of a shared value: `/svideo/<stage>/<key>`."""
    return f"/{PROJECT}/{stage}/{key.strip('/')}"


# config.json key of the web app → the SSM parameter (published by the stack that owns it) holding its value.
WEB_CONFIG: dict[str, str] = {
    "apiUrl": "video/api-url",
    "webSocketUrl": "live/websocket-url",
    "userPoolId": "identity/user-pool-id",
    "userPoolClientId": "identity/user-pool-client-id",
}
