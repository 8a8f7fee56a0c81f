"""One small handler per CloudFormation resource type: the service API calls CloudFormation would make.

Each handler takes the resource's resolved properties and returns its physical id (what Ref gives) and its
attributes (what Fn::GetAtt gives). Calls go through boto3 to the local endpoint, so the services behind the
gateway (ours or moto's) receive exactly what they would receive from CloudFormation.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger("svideo.local.deploy")


@dataclass
class ResourceContext:
    """What a handler knows about the resource it creates and the cloud it creates it in."""

    stack: str
    logical_id: str
    resource_type: str
    region: str
    account_id: str
    endpoint: str
    client: Callable[[str], Any]

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def name(self, max_length: int = 64, *, lowercase: bool = False, suffix: str = "") -> str:
        """A generated physical name, stable across deploys (CloudFormation's are random; ours must be
        idempotent): `<stack>-<logical>-<hash>`."""
        digest = hashlib.sha256(f"{self.stack}/{self.logical_id}".encode()).hexdigest()[:8].upper()
        base = f"{self.stack}-{self.logical_id}"[: max_length - len(digest) - len(suffix) - 1]
        name = f"{base}-{digest}{suffix}"
        return name.lower() if lowercase else name


class Placeholders(dict[str, Any]):
    """Attributes of resources the local cloud records without creating: any attribute reads as a stable
    placeholder so references to them still resolve."""

    def __init__(self, prefix: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(values or {})
        self.prefix = prefix

    def __missing__(self, key: str) -> str:
        return f"{self.prefix}-{key.lower()}"


Created = tuple[Any, dict[str, Any]]
Create = Callable[[ResourceContext, dict[str, Any]], Created]
Delete = Callable[[ResourceContext, Any, dict[str, Any]], None]


@dataclass(frozen=True)
class Handler:
    create: Create
    delete: Delete | None = None
    upsert: bool = False  # create() can run again over the existing resource to update it in place
    recorded_only: bool = False  # nothing is created locally (no-op types): reported as such


HANDLERS: dict[str, Handler] = {}


def handles(*types: str, delete: Delete | None = None, upsert: bool = False) -> Callable[[Create], Create]:
    def register(create: Create) -> Create:
        for resource_type in types:
            HANDLERS[resource_type] = Handler(create, delete, upsert)
        return create

    return register


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _pick(props: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: props[name] for name in names if name in props}


def _ignore(*codes: str) -> Callable[[Callable[[], Any]], Any]:
    """Runs a call, ignoring the listed error codes (already exists / already gone)."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in codes:
                return None
            raise

    return run


def _camel(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """CloudFormation's PascalCase properties to APIs spelt in camelCase (ECS, IVS); `keep` names maps whose
    keys are user data."""
    if isinstance(value, list):
        return [_camel(item, keep) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        new_key = key[:1].lower() + key[1:]
        result[new_key] = item if key in keep else _camel(item, keep)
    return result


def _vpc_keys(value: Any) -> Any:
    """EventBridge and Pipes spell the template's `AwsVpcConfiguration` `awsvpcConfiguration` in the API."""
    if isinstance(value, list):
        return [_vpc_keys(item) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {"AwsVpcConfiguration": "awsvpcConfiguration", "AwsvpcConfiguration": "awsvpcConfiguration"}
    return {renamed.get(key, key): _vpc_keys(item) for key, item in value.items()}


# ---------------------------------------------------------------- recorded, nothing to create locally

RECORDED_ONLY = (
    "AWS::CDK::Metadata",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::Logs::MetricFilter",
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::ResourcePolicy",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::Route",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::FlowLog",
    "AWS::Events::EventBusPolicy",
    "AWS::ApiGatewayV2::Deployment",
    "AWS::Cognito::UserPoolDomain",
    "AWS::XRay::Group",
    "AWS::EventSchemas::Discoverer",
    "AWS::IVS::PlaybackKeyPair",
    "AWS::SNS::TopicPolicy",
    "AWS::ECR::Repository",
    "AWS::Lambda::Url",
    "AWS::SSM::Document",
    "AWS::Budgets::Budget",
    "AWS::CodeStarNotifications::NotificationRule",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::CachePolicy",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::Function",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
)


_EC2_IDS = {"AWS::EC2::VPC": "VpcId", "AWS::EC2::Subnet": "SubnetId", "AWS::EC2::SecurityGroup": "GroupId"}


def _recorded(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    digest = hashlib.sha256(f"{ctx.stack}/{ctx.logical_id}".encode()).hexdigest()[:12]
    known = {
        "RegistryName": props.get("RegistryName", ctx.name()),
        "SchemaName": props.get("SchemaName", ctx.name()),
        "SchemaVersion": "1",
        "GroupId": f"sg-{digest}",
        "VpcId": f"vpc-{digest}",
        "SubnetId": f"subnet-{digest}",
        "CidrBlock": props.get("CidrBlock", "10.0.0.0/16"),
    }
    physical = props.get("Name") or props.get("SchemaName") or props.get("RegistryName") or f"local-{digest}"
    if ctx.resource_type.startswith("AWS::EC2::"):
        physical = known.get(_EC2_IDS.get(ctx.resource_type, ""), f"local-{digest}")
    return physical, Placeholders(f"arn:aws:local:{ctx.region}:{ctx.account_id}:{ctx.logical_id}", known)


for _type in RECORDED_ONLY:
    HANDLERS[_type] = Handler(_recorded, recorded_only=True)


# ---------------------------------------------------------------- EventBridge


@handles(
    "AWS::Events::EventBus",
    delete=lambda ctx, name, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("events").delete_event_bus(Name=name)
    ),
)
def _event_bus(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props["Name"]
    request = {"Name": name, **_pick(props, "Description", "KmsKeyIdentifier")}
    _ignore("ResourceAlreadyExistsException")(lambda: ctx.client("events").create_event_bus(**request))
    return name, {"Arn": ctx.arn("events", f"event-bus/{name}"), "Name": name}


def _rule_target(target: dict[str, Any]) -> dict[str, Any]:
    converted = _vpc_keys(target)
    input_transformer = converted.get("InputTransformer")
    if input_transformer and isinstance(input_transformer.get("InputPathsMap"), dict):
        input_transformer["InputPathsMap"] = dict(input_transformer["InputPathsMap"])
    return dict(converted)


def _delete_rule(ctx: ResourceContext, physical: str, props: dict[str, Any]) -> None:
    events = ctx.client("events")
    bus, _, name = physical.rpartition("|")
    scope = {"Name": name, **({"EventBusName": bus} if bus else {})}
    try:
        targets = events.list_targets_by_rule(Rule=name, **({"EventBusName": bus} if bus else {}))["Targets"]
        if targets:
            events.remove_targets(
                Rule=name,
                Ids=[target["Id"] for target in targets],
                Force=True,
                **({"EventBusName": bus} if bus else {}),
            )
        events.delete_rule(**scope, Force=True)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


@handles("AWS::Events::Rule", delete=_delete_rule, upsert=True)
def _rule(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    events = ctx.client("events")
    name = props.get("Name") or ctx.name(64)
    bus = props.get("EventBusName")
    bus_name = bus.rsplit("/", 1)[-1] if bus else None
    request: dict[str, Any] = {
        "Name": name,
        **_pick(props, "ScheduleExpression", "State", "Description", "RoleArn"),
    }
    if bus:
        request["EventBusName"] = bus
    if "EventPattern" in props:
        request["EventPattern"] = _json(props["EventPattern"])
    response = events.put_rule(**request)
    scope = {"EventBusName": bus} if bus else {}
    wanted = [_rule_target(target) for target in props.get("Targets", [])]
    existing = events.list_targets_by_rule(Rule=name, **scope)["Targets"]
    stale = [target["Id"] for target in existing if target["Id"] not in {t["Id"] for t in wanted}]
    if stale:
        events.remove_targets(Rule=name, Ids=stale, **scope)
    for start in range(0, len(wanted), 10):
        result = events.put_targets(Rule=name, Targets=wanted[start : start + 10], **scope)
        if result.get("FailedEntryCount"):
            failed = result["FailedEntries"][0]
            raise ClientError(
                {
                    "Error": {
                        "Code": failed.get("ErrorCode", "ValidationException"),
                        "Message": failed.get("ErrorMessage", "PutTargets failed"),
                    }
                },
                "PutTargets",
            )
    physical = f"{bus_name}|{name}" if bus_name and bus_name != "default" else name
    return physical, {"Arn": response["RuleArn"]}


@handles(
    "AWS::Events::Archive",
    delete=lambda ctx, name, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("events").delete_archive(ArchiveName=name)
    ),
)
def _archive(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("ArchiveName") or ctx.name(48)
    request = {
        "ArchiveName": name,
        "EventSourceArn": props["SourceArn"],
        **_pick(props, "Description", "RetentionDays"),
    }
    if "EventPattern" in props:
        request["EventPattern"] = _json(props["EventPattern"])
    response = _ignore("ResourceAlreadyExistsException")(
        lambda: ctx.client("events").create_archive(**request)
    )
    arn = response["ArchiveArn"] if response else ctx.arn("events", f"archive/{name}")
    return name, {"Arn": arn, "ArchiveName": name}


@handles("AWS::Events::Connection")
def _connection(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.name(64)
    request = {"Name": name, **_pick(props, "AuthorizationType", "AuthParameters", "Description")}
    response = ctx.client("events").create_connection(**request)
    arn = response["ConnectionArn"]
    return name, {"Arn": arn, "SecretArn": ctx.arn("secretsmanager", f"secret:events!connection/{name}")}


@handles("AWS::Events::ApiDestination")
def _api_destination(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.name(64)
    request = {
        "Name": name,
        **_pick(
            props,
            "ConnectionArn",
            "InvocationEndpoint",
            "HttpMethod",
            "InvocationRateLimitPerSecond",
            "Description",
        ),
    }
    response = ctx.client("events").create_api_destination(**request)
    return name, {"Arn": response["ApiDestinationArn"]}


# ---------------------------------------------------------------- SQS, SNS

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "ContentBasedDeduplication",
    "FifoQueue",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "SqsManagedSseEnabled",
)


@handles(
    "AWS::SQS::Queue",
    upsert=True,
    delete=lambda ctx, url, props: _ignore("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")(
        lambda: ctx.client("sqs").delete_queue(QueueUrl=url)
    ),
)
def _queue(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    fifo = bool(props.get("FifoQueue"))
    name = props.get("QueueName") or ctx.name(80, suffix=".fifo" if fifo else "")
    attributes = {key: _text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            attributes[key] = _json(props[key])
    sqs = ctx.client("sqs")
    creation = {key: value for key, value in attributes.items() if key == "FifoQueue"}
    url = sqs.create_queue(QueueName=name, Attributes=creation)["QueueUrl"]
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = ctx.arn("sqs", name)
    return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@handles("AWS::SQS::QueuePolicy", upsert=True)
def _queue_policy(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    for url in props.get("Queues", []):
        ctx.client("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": _json(props["PolicyDocument"])}
        )
    return ctx.name(), {}


@handles("AWS::SNS::Topic", delete=lambda ctx, arn, props: ctx.client("sns").delete_topic(TopicArn=arn))
def _topic(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    fifo = bool(props.get("FifoTopic"))
    name = props.get("TopicName") or ctx.name(256, suffix=".fifo" if fifo else "")
    attributes = {
        key: _text(props[key])
        for key in ("DisplayName", "FifoTopic", "ContentBasedDeduplication")
        if key in props
    }
    sns = ctx.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return arn, {"TopicArn": arn, "TopicName": name}


@handles(
    "AWS::SNS::Subscription",
    delete=lambda ctx, arn, props: _ignore("NotFound")(
        lambda: ctx.client("sns").unsubscribe(SubscriptionArn=arn)
    ),
)
def _subscription(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    attributes = {
        key: _json(props[key])
        if key in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy")
        else _text(props[key])
        for key in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
        if key in props
    }
    response = ctx.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return response["SubscriptionArn"], {}


# ---------------------------------------------------------------- CloudWatch (local.cloudwatch evaluates)

_ALARM_PROPERTIES = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
)
_ALARM_NUMBERS = {"Period": int, "EvaluationPeriods": int, "DatapointsToAlarm": int, "Threshold": float}


@handles(
    "AWS::CloudWatch::Alarm",
    upsert=True,
    delete=lambda ctx, name, props: ctx.client("cloudwatch").delete_alarms(AlarmNames=[name]),
)
def _alarm(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("AlarmName") or ctx.name(255)
    request = {key: props[key] for key in _ALARM_PROPERTIES if key in props}
    for key, kind in _ALARM_NUMBERS.items():
        if key in request:
            request[key] = kind(request[key])
    if "ActionsEnabled" in request:
        request["ActionsEnabled"] = str(request["ActionsEnabled"]).lower() == "true"
    ctx.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
    return name, {"Arn": ctx.arn("cloudwatch", f"alarm:{name}")}


@handles(
    "AWS::CloudWatch::Dashboard",
    upsert=True,
    delete=lambda ctx, name, props: ctx.client("cloudwatch").delete_dashboards(DashboardNames=[name]),
)
def _dashboard(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("DashboardName") or ctx.name(255)
    ctx.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=_json(props["DashboardBody"]))
    return name, {}


# ---------------------------------------------------------------- DynamoDB, S3, SSM, Secrets, KMS, Logs


def _delete_table(ctx: ResourceContext, name: str, props: dict[str, Any]) -> None:
    _ignore("ResourceNotFoundException")(lambda: ctx.client("dynamodb").delete_table(TableName=name))


@handles("AWS::DynamoDB::Table", delete=_delete_table)
def _table(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    dynamodb = ctx.client("dynamodb")
    name = props.get("TableName") or ctx.name(255)
    on_demand = props.get("BillingMode", "PROVISIONED") == "PAY_PER_REQUEST"
    request: dict[str, Any] = {
        "TableName": name,
        **_pick(props, "KeySchema", "AttributeDefinitions", "BillingMode", "TableClass"),
    }
    default_throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if not on_demand:
        request["ProvisionedThroughput"] = props.get("ProvisionedThroughput", default_throughput)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            indexes = []
            for index in props[key]:
                index = _pick(index, "IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                if key == "GlobalSecondaryIndexes" and not on_demand:
                    index.setdefault("ProvisionedThroughput", default_throughput)
                indexes.append(index)
            request[key] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    description = dynamodb.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    attributes = {"Arn": description["TableArn"]}
    if "LatestStreamArn" in description:
        attributes["StreamArn"] = description["LatestStreamArn"]
    return name, attributes


@handles("AWS::DynamoDB::GlobalTable", delete=_delete_table)
def _global_table(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    """CDK's TableV2: one region locally, so the table itself; replica settings have nothing to apply to."""
    indexes = [
        _pick(index, "IndexName", "KeySchema", "Projection")
        for index in props.get("GlobalSecondaryIndexes", [])
    ]
    table_props = {
        **_pick(props, "TableName", "KeySchema", "AttributeDefinitions", "BillingMode"),
        **_pick(props, "LocalSecondaryIndexes", "StreamSpecification", "TimeToLiveSpecification"),
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    }
    name, attributes = _table(ctx, table_props)
    attributes["TableId"] = name
    return name, attributes


def _delete_bucket(ctx: ResourceContext, name: str, props: dict[str, Any]) -> None:
    s3 = ctx.client("s3")
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                s3.delete_objects(Bucket=name, Delete={"Objects": objects})
        s3.delete_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucket":
            raise


def _s3_filter(filter_: dict[str, Any] | None) -> dict[str, Any]:
    if not filter_:
        return {}
    rules = filter_.get("S3Key", {}).get("Rules", [])
    return {
        "Filter": {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}
    }


def _notification_configuration(config: dict[str, Any]) -> dict[str, Any]:
    """The template's NotificationConfiguration in the API's shape."""
    result: dict[str, Any] = {}
    if config.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        result["EventBridgeConfiguration"] = {}
    for template_key, api_key, arn_key, api_arn_key in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        if template_key in config:
            result[api_key] = [
                {api_arn_key: item[arn_key], "Events": [item["Event"]], **_s3_filter(item.get("Filter"))}
                for item in config[template_key]
            ]
    return result


@handles("AWS::S3::Bucket", delete=_delete_bucket, upsert=True)
def _bucket(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    s3 = ctx.client("s3")
    name = props.get("BucketName") or ctx.name(63, lowercase=True)
    _ignore("BucketAlreadyOwnedByYou", "BucketAlreadyExists")(lambda: s3.create_bucket(Bucket=name))
    if props.get("VersioningConfiguration", {}).get("Status"):
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    cors = props.get("CorsConfiguration")
    if cors:
        rules = [
            {
                **_pick(rule, "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ID"),
                **({"ExposeHeaders": rule["ExposedHeaders"]} if "ExposedHeaders" in rule else {}),
                **({"MaxAgeSeconds": rule["MaxAge"]} if "MaxAge" in rule else {}),
            }
            for rule in cors.get("CorsRules", [])
        ]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    if props.get("NotificationConfiguration"):
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration=_notification_configuration(props["NotificationConfiguration"]),
        )
    domain = f"{name}.s3.amazonaws.com"
    return name, {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": domain,
        "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
    }


@handles("Custom::S3BucketNotifications", upsert=True)
def _bucket_notifications(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    """CDK's notifications custom resource: its properties are already in the API's shape."""
    configuration = props.get("NotificationConfiguration", {})
    ctx.client("s3").put_bucket_notification_configuration(
        Bucket=props["BucketName"], NotificationConfiguration=configuration
    )
    return f"{props['BucketName']}-notifications", {}


@handles("AWS::S3::BucketPolicy", upsert=True)
def _bucket_policy(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    ctx.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=_json(props["PolicyDocument"]))
    return props["Bucket"], {}


@handles(
    "AWS::SSM::Parameter",
    upsert=True,
    delete=lambda ctx, name, props: _ignore("ParameterNotFound")(
        lambda: ctx.client("ssm").delete_parameter(Name=name)
    ),
)
def _parameter(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or f"CFN-{ctx.name(1000)}"
    ctx.client("ssm").put_parameter(
        Name=name,
        Value=str(props["Value"]),
        Type=props.get("Type", "String"),
        Overwrite=True,
        **_pick(props, "Description"),
    )
    return name, {"Type": props.get("Type", "String"), "Value": props["Value"]}


@handles(
    "AWS::SecretsManager::Secret",
    delete=lambda ctx, arn, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    ),
)
def _secret(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    secrets = ctx.client("secretsmanager")
    name = props.get("Name") or ctx.name(512)
    value = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if value is None and generate is not None:
        options = _pick(
            generate,
            "ExcludeCharacters",
            "ExcludeLowercase",
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "IncludeSpace",
            "PasswordLength",
            "RequireEachIncludedType",
        )
        password = secrets.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in generate:
            value = json.dumps(
                {**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password}
            )
        else:
            value = password
    arn = secrets.create_secret(Name=name, SecretString=value or "", **_pick(props, "Description"))["ARN"]
    return arn, {"Id": arn}


@handles(
    "AWS::KMS::Key",
    delete=lambda ctx, key_id, props: _ignore("NotFoundException")(
        lambda: ctx.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    ),
)
def _key(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    metadata = ctx.client("kms").create_key(**_pick(props, "Description", "KeyUsage", "KeySpec"))[
        "KeyMetadata"
    ]
    return metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


@handles("AWS::KMS::Alias", upsert=True)
def _key_alias(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    kms = ctx.client("kms")
    _ignore("AlreadyExistsException")(
        lambda: kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    )
    return props["AliasName"], {}


# ---------------------------------------------------------------- Schema Registry (local.schemas)


@handles(
    "AWS::EventSchemas::Registry",
    upsert=True,
    delete=lambda ctx, arn, props: _ignore("NotFoundException")(
        lambda: ctx.client("schemas").delete_registry(RegistryName=arn.rsplit("/", 1)[-1])
    ),
)
def _schema_registry(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    schemas = ctx.client("schemas")
    name = props.get("RegistryName") or ctx.name()
    description = props.get("Description", "")
    try:
        created = schemas.create_registry(RegistryName=name, Description=description)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            raise
        created = schemas.update_registry(RegistryName=name, Description=description)
    return created["RegistryArn"], {"RegistryArn": created["RegistryArn"], "RegistryName": name}


@handles(
    "AWS::EventSchemas::Schema",
    upsert=True,
    delete=lambda ctx, arn, props: _ignore("NotFoundException")(
        lambda: ctx.client("schemas").delete_schema(
            RegistryName=props["RegistryName"], SchemaName=arn.rsplit("/", 1)[-1]
        )
    ),
)
def _schema(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    schemas = ctx.client("schemas")
    name = props.get("SchemaName") or ctx.name()
    fields = {
        "Content": _json(props["Content"]),
        "Type": props["Type"],
        "Description": props.get("Description", ""),
    }
    try:
        created = schemas.create_schema(RegistryName=props["RegistryName"], SchemaName=name, **fields)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            raise
        created = schemas.update_schema(RegistryName=props["RegistryName"], SchemaName=name, **fields)
    return created["SchemaArn"], {
        "SchemaArn": created["SchemaArn"],
        "SchemaName": name,
        "SchemaVersion": created["SchemaVersion"],
    }


@handles("AWS::Logs::LogGroup", upsert=True)
def _log_group(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    logs = ctx.client("logs")
    name = props.get("LogGroupName") or ctx.name(512)
    _ignore("ResourceAlreadyExistsException")(lambda: logs.create_log_group(logGroupName=name))
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")}


# ---------------------------------------------------------------- IAM (recorded in moto, never enforced)


def _delete_role(ctx: ResourceContext, name: str, props: dict[str, Any]) -> None:
    iam = ctx.client("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise


@handles("AWS::IAM::Role", delete=_delete_role, upsert=True)
def _role(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    iam = ctx.client("iam")
    name = props.get("RoleName") or ctx.name(64)
    request = {
        "RoleName": name,
        "AssumeRolePolicyDocument": _json(props["AssumeRolePolicyDocument"]),
        **_pick(props, "Path", "Description", "MaxSessionDuration"),
    }
    response = _ignore("EntityAlreadyExists")(lambda: iam.create_role(**request))
    role = response["Role"] if response else iam.get_role(RoleName=name)["Role"]
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=_json(policy["PolicyDocument"])
        )
    for arn in props.get("ManagedPolicyArns", []):
        # AWS managed policies may be unknown locally; IAM is not enforced, so a missing one changes nothing.
        try:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":
                raise
    return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}


@handles("AWS::IAM::Policy", upsert=True)
def _policy(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    iam = ctx.client("iam")
    document = _json(props["PolicyDocument"])
    for role in props.get("Roles", []):
        iam.put_role_policy(RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=document)
    for user in props.get("Users", []):
        iam.put_user_policy(UserName=user, PolicyName=props["PolicyName"], PolicyDocument=document)
    return props["PolicyName"], {"Id": props["PolicyName"]}


@handles("AWS::IAM::ManagedPolicy")
def _managed_policy(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    iam = ctx.client("iam")
    name = props.get("ManagedPolicyName") or ctx.name(128)
    arn = iam.create_policy(
        PolicyName=name, PolicyDocument=_json(props["PolicyDocument"]), **_pick(props, "Path", "Description")
    )["Policy"]["Arn"]
    for role in props.get("Roles", []):
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return arn, {"PolicyArn": arn}


# ---------------------------------------------------------------- Lambda


def _function_code(props: dict[str, Any]) -> dict[str, Any]:
    code = props.get("Code", {})
    if "ZipFile" in code:  # inline source: CloudFormation zips it as index.py (or index.js)
        filename = "index.js" if str(props.get("Runtime", "")).startswith("nodejs") else "index.py"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(filename, code["ZipFile"])
        return {"ZipFile": buffer.getvalue()}
    return _pick(code, "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")


_FUNCTION_CONFIGURATION = (
    "Runtime",
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "Layers",
    "TracingConfig",
    "DeadLetterConfig",
    "EphemeralStorage",
    "LoggingConfig",
    "KMSKeyArn",
    "SnapStart",
    "ImageConfig",
    "VpcConfig",
)


def _delete_function(ctx: ResourceContext, name: str, props: dict[str, Any]) -> None:
    _ignore("ResourceNotFoundException")(lambda: ctx.client("lambda").delete_function(FunctionName=name))


@handles("AWS::Lambda::Function", delete=_delete_function)
def _function(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    awslambda = ctx.client("lambda")
    name = props.get("FunctionName") or ctx.name(64)
    request = {
        "FunctionName": name,
        "Code": _function_code(props),
        **_pick(props, *_FUNCTION_CONFIGURATION),
        **_pick(props, "Architectures", "PackageType"),
    }
    request.pop("VpcConfig", None)  # no VPCs locally
    response = awslambda.create_function(**request)
    if "ReservedConcurrentExecutions" in props:
        awslambda.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"])
        )
    return name, {
        "Arn": response.get("FunctionArn", ctx.arn("lambda", f"function:{name}")),
        "SnapStartResponse.ApplyOn": props.get("SnapStart", {}).get("ApplyOn", "None"),
        "SnapStartResponse.OptimizationStatus": "Off",
    }


@handles("AWS::Lambda::LayerVersion")
def _layer(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("LayerName") or ctx.name(64)
    response = ctx.client("lambda").publish_layer_version(
        LayerName=name,
        Content=_pick(props.get("Content", {}), "S3Bucket", "S3Key", "S3ObjectVersion"),
        **_pick(props, "Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"),
    )
    return response["LayerVersionArn"], {"LayerVersionArn": response["LayerVersionArn"]}


@handles("AWS::Lambda::Version")
def _version(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("lambda").publish_version(
        FunctionName=props["FunctionName"], **_pick(props, "Description")
    )
    return response["FunctionArn"], {"Version": response["Version"], "FunctionArn": response["FunctionArn"]}


@handles("AWS::Lambda::Alias")
def _alias(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    awslambda = ctx.client("lambda")
    request = {
        "FunctionName": props["FunctionName"],
        "Name": props["Name"],
        "FunctionVersion": str(props["FunctionVersion"]),
        **_pick(props, "Description"),
    }
    response = _ignore("ResourceConflictException")(lambda: awslambda.create_alias(**request))
    if response is None:
        response = awslambda.update_alias(**request)
    return response["AliasArn"], {"AliasName": props["Name"]}


@handles("AWS::Lambda::Permission", upsert=True)
def _permission(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    statement_id = ctx.name(100)
    request = {
        "FunctionName": props["FunctionName"],
        "StatementId": statement_id,
        "Action": props["Action"],
        "Principal": props["Principal"],
        **_pick(props, "SourceArn", "SourceAccount"),
    }
    # Resource policies are not enforced locally: recording them is best effort.
    _ignore("ResourceConflictException", "ResourceNotFoundException")(
        lambda: ctx.client("lambda").add_permission(**request)
    )
    return statement_id, {}


_MAPPING_SETTINGS = (
    "BatchSize",
    "Enabled",
    "StartingPosition",
    "StartingPositionTimestamp",
    "MaximumBatchingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "ParallelizationFactor",
    "DestinationConfig",
    "ScalingConfig",
    "TumblingWindowInSeconds",
)


@handles(
    "AWS::Lambda::EventSourceMapping",
    delete=lambda ctx, uuid, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("lambda").delete_event_source_mapping(UUID=uuid)
    ),
)
def _event_source_mapping(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("lambda").create_event_source_mapping(
        FunctionName=props["FunctionName"], **_pick(props, "EventSourceArn", *_MAPPING_SETTINGS)
    )
    uuid = response["UUID"]
    return uuid, {"Id": uuid, "EventSourceMappingArn": ctx.arn("lambda", f"event-source-mapping:{uuid}")}


@handles("AWS::Lambda::EventInvokeConfig", upsert=True)
def _event_invoke_config(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    qualifier = props.get("Qualifier")
    ctx.client("lambda").put_function_event_invoke_config(
        FunctionName=props["FunctionName"],
        **({"Qualifier": qualifier} if qualifier not in (None, "$LATEST") else {}),
        **_pick(props, "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"),
    )
    return f"{props['FunctionName']}:{qualifier or '$LATEST'}", {}


# ---------------------------------------------------------------- Pipes, ECS, Scheduler


@handles(
    "AWS::Pipes::Pipe",
    delete=lambda ctx, name, props: _ignore("NotFoundException")(
        lambda: ctx.client("pipes").delete_pipe(Name=name)
    ),
)
def _pipe(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.name(64)
    request = {
        "Name": name,
        **_vpc_keys(
            _pick(
                props,
                "RoleArn",
                "Source",
                "SourceParameters",
                "Enrichment",
                "EnrichmentParameters",
                "Target",
                "TargetParameters",
                "DesiredState",
                "Description",
                "LogConfiguration",
            )
        ),
    }
    response = ctx.client("pipes").create_pipe(**request)
    return name, {
        "Arn": response["Arn"],
        "CurrentState": response.get("CurrentState", "RUNNING"),
        "StateReason": "",
        "CreationTime": str(response.get("CreationTime", "")),
        "LastModifiedTime": str(response.get("LastModifiedTime", "")),
    }


# ---------------------------------------------------------------- Step Functions


def _definition(props: dict[str, Any]) -> str:
    """`Definition` (an object) or `DefinitionString`, with `DefinitionSubstitutions` applied as on AWS."""
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = _json(props["DefinitionString"])
    else:
        raise NotImplementedError("a state machine defined in S3 (DefinitionS3Location)")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", value if isinstance(value, str) else json.dumps(value))
    return text


@handles(
    "AWS::StepFunctions::StateMachine",
    delete=lambda ctx, arn, props: _ignore("StateMachineDoesNotExist")(
        lambda: ctx.client("stepfunctions").delete_state_machine(stateMachineArn=arn)
    ),
    upsert=True,
)
def _state_machine(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    states = ctx.client("stepfunctions")
    name = props.get("StateMachineName") or ctx.name(80)
    arn = ctx.arn("states", f"stateMachine:{name}")
    settings = {
        "definition": _definition(props),
        "roleArn": props["RoleArn"],
        **_camel(_pick(props, "LoggingConfiguration", "TracingConfiguration")),
    }
    try:
        states.describe_state_machine(stateMachineArn=arn)
        states.update_state_machine(stateMachineArn=arn, **settings)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "StateMachineDoesNotExist":
            raise
        states.create_state_machine(
            name=name,
            type=props.get("StateMachineType", "STANDARD"),
            tags=_camel(props.get("Tags", [])),
            **settings,
        )
    return arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": arn}


@handles("AWS::ECS::Cluster", upsert=True)
def _cluster(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("ClusterName") or ctx.name(255)
    arn = ctx.client("ecs").create_cluster(clusterName=name)["cluster"]["clusterArn"]
    return name, {"Arn": arn}


# Maps whose keys are user data (log options, labels), not property names to re-case.
_ECS_USER_MAPS = frozenset({"Options", "DockerLabels", "DriverOpts", "Labels", "SecretOptions"})


@handles("AWS::ECS::TaskDefinition")
def _task_definition(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    family = props.get("Family") or ctx.name(255)
    request = _camel(
        _pick(
            props,
            "ContainerDefinitions",
            "Cpu",
            "Memory",
            "NetworkMode",
            "RequiresCompatibilities",
            "ExecutionRoleArn",
            "TaskRoleArn",
            "Volumes",
            "RuntimePlatform",
            "EphemeralStorage",
        ),
        _ECS_USER_MAPS,
    )
    for key in ("cpu", "memory"):
        if key in request:
            request[key] = str(request[key])
    response = ctx.client("ecs").register_task_definition(family=family, **request)
    arn = response["taskDefinition"]["taskDefinitionArn"]
    return arn, {"TaskDefinitionArn": arn}


@handles("AWS::ECS::Service")
def _ecs_service(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    raise NotImplementedError("long-running ECS services are not run by the local cloud")


@handles(
    "AWS::Scheduler::ScheduleGroup",
    delete=lambda ctx, name, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("scheduler").delete_schedule_group(Name=name)
    ),
)
def _schedule_group(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.name(64)
    response = _ignore("ConflictException")(lambda: ctx.client("scheduler").create_schedule_group(Name=name))
    arn = response["ScheduleGroupArn"] if response else ctx.arn("scheduler", f"schedule-group/{name}")
    return name, {"Arn": arn, "State": "ACTIVE"}


@handles(
    "AWS::Scheduler::Schedule",
    delete=lambda ctx, name, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("scheduler").delete_schedule(
            Name=name, GroupName=props.get("GroupName", "default")
        )
    ),
)
def _schedule(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.name(64)
    request = {
        "Name": name,
        "Target": _vpc_keys(props["Target"]),
        **_pick(
            props,
            "GroupName",
            "ScheduleExpression",
            "ScheduleExpressionTimezone",
            "FlexibleTimeWindow",
            "State",
            "StartDate",
            "EndDate",
            "Description",
            "KmsKeyArn",
        ),
    }
    request.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    response = ctx.client("scheduler").create_schedule(**request)
    return name, {"Arn": response["ScheduleArn"]}


# ---------------------------------------------------------------- API Gateway v2 (management in moto)


@handles(
    "AWS::ApiGatewayV2::Api",
    delete=lambda ctx, api_id, props: _ignore("NotFoundException")(
        lambda: ctx.client("apigatewayv2").delete_api(ApiId=api_id)
    ),
)
def _api(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    request = {
        "Name": props.get("Name") or ctx.name(128),
        "ProtocolType": props.get("ProtocolType", "HTTP"),
        **_pick(
            props,
            "CorsConfiguration",
            "Description",
            "RouteSelectionExpression",
            "DisableExecuteApiEndpoint",
            "ApiKeySelectionExpression",
            "Version",
        ),
    }
    response = ctx.client("apigatewayv2").create_api(**request)
    api_id = response["ApiId"]
    # Execution is served by the gateway itself, under this path (no per-API host names locally).
    endpoint = f"{ctx.endpoint}/_aws/execute-api/{api_id}"
    return api_id, {"ApiId": api_id, "ApiEndpoint": endpoint}


@handles("AWS::ApiGatewayV2::Stage")
def _stage(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    ctx.client("apigatewayv2").create_stage(
        ApiId=props["ApiId"],
        StageName=props["StageName"],
        **_pick(
            props, "AutoDeploy", "StageVariables", "Description", "DefaultRouteSettings", "RouteSettings"
        ),
    )
    return props["StageName"], {}


@handles("AWS::ApiGatewayV2::Integration")
def _integration(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("apigatewayv2").create_integration(
        ApiId=props["ApiId"],
        IntegrationType=props["IntegrationType"],
        **_pick(
            props,
            "IntegrationUri",
            "IntegrationMethod",
            "PayloadFormatVersion",
            "TimeoutInMillis",
            "ConnectionType",
            "CredentialsArn",
            "Description",
            "IntegrationSubtype",
            "RequestParameters",
            "TemplateSelectionExpression",
            "RequestTemplates",
        ),
    )
    return response["IntegrationId"], {"IntegrationId": response["IntegrationId"]}


@handles("AWS::ApiGatewayV2::Authorizer")
def _authorizer(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("apigatewayv2").create_authorizer(
        ApiId=props["ApiId"],
        AuthorizerType=props["AuthorizerType"],
        Name=props["Name"],
        IdentitySource=props.get("IdentitySource", []),
        **_pick(
            props,
            "JwtConfiguration",
            "AuthorizerUri",
            "AuthorizerPayloadFormatVersion",
            "EnableSimpleResponses",
            "AuthorizerResultTtlInSeconds",
            "AuthorizerCredentialsArn",
        ),
    )
    return response["AuthorizerId"], {"AuthorizerId": response["AuthorizerId"]}


@handles("AWS::ApiGatewayV2::Route")
def _route(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("apigatewayv2").create_route(
        ApiId=props["ApiId"],
        RouteKey=props["RouteKey"],
        **_pick(
            props,
            "Target",
            "AuthorizationType",
            "AuthorizerId",
            "AuthorizationScopes",
            "OperationName",
            "ApiKeyRequired",
            "RouteResponseSelectionExpression",
        ),
    )
    return response["RouteId"], {}


@handles("AWS::ApiGatewayV2::RouteResponse")
def _route_response(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    response = ctx.client("apigatewayv2").create_route_response(
        ApiId=props["ApiId"],
        RouteId=props["RouteId"],
        RouteResponseKey=props["RouteResponseKey"],
        **_pick(props, "ModelSelectionExpression", "ResponseModels", "ResponseParameters"),
    )
    return response["RouteResponseId"], {}


# ---------------------------------------------------------------- Cognito, IVS


@handles(
    "AWS::Cognito::UserPool",
    delete=lambda ctx, pool_id, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("cognito-idp").delete_user_pool(UserPoolId=pool_id)
    ),
)
def _user_pool(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    request = {
        "PoolName": props.get("UserPoolName") or ctx.name(128),
        **_pick(
            props,
            "Policies",
            "AutoVerifiedAttributes",
            "AliasAttributes",
            "UsernameAttributes",
            "Schema",
            "MfaConfiguration",
            "AdminCreateUserConfig",
            "UsernameConfiguration",
            "AccountRecoverySetting",
            "DeletionProtection",
            "LambdaConfig",  # moto stores the triggers; local.cognito runs them
        ),
    }
    pool = ctx.client("cognito-idp").create_user_pool(**request)["UserPool"]
    pool_id = pool["Id"]
    provider = f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
    return pool_id, {
        "Arn": pool["Arn"],
        "UserPoolId": pool_id,
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
    }


@handles("AWS::Cognito::UserPoolClient")
def _user_pool_client(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    request = {
        "UserPoolId": props["UserPoolId"],
        "ClientName": props.get("ClientName") or ctx.name(128),
        **_pick(
            props,
            "GenerateSecret",
            "ExplicitAuthFlows",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
            "CallbackURLs",
            "LogoutURLs",
            "SupportedIdentityProviders",
            "PreventUserExistenceErrors",
            "AccessTokenValidity",
            "IdTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "ReadAttributes",
            "WriteAttributes",
            "EnableTokenRevocation",
        ),
    }
    client = ctx.client("cognito-idp").create_user_pool_client(**request)["UserPoolClient"]
    return client["ClientId"], {
        "ClientId": client["ClientId"],
        "Name": client["ClientName"],
        "ClientSecret": client.get("ClientSecret", ""),
    }


@handles("AWS::Cognito::UserPoolGroup")
def _user_pool_group(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    name = props.get("GroupName") or ctx.name(128)
    ctx.client("cognito-idp").create_group(
        GroupName=name, UserPoolId=props["UserPoolId"], **_pick(props, "Description", "Precedence", "RoleArn")
    )
    return name, {}


@handles(
    "AWS::IVS::Channel",
    delete=lambda ctx, arn, props: _ignore("ResourceNotFoundException")(
        lambda: ctx.client("ivs").delete_channel(arn=arn)
    ),
)
def _ivs_channel(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    request = _camel(_pick(props, "LatencyMode", "Type", "Authorized", "RecordingConfigurationArn"))
    channel = ctx.client("ivs").create_channel(name=props.get("Name") or ctx.name(128), **request)["channel"]
    return channel["arn"], {
        "Arn": channel["arn"],
        "IngestEndpoint": channel.get("ingestEndpoint", ""),
        "PlaybackUrl": channel.get("playbackUrl", ""),
    }


@handles("AWS::IVS::RecordingConfiguration")
def _ivs_recording_configuration(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    request = _camel(
        _pick(
            props,
            "DestinationConfiguration",
            "RecordingReconnectWindowSeconds",
            "ThumbnailConfiguration",
            "RenditionConfiguration",
        )
    )
    configuration = ctx.client("ivs").create_recording_configuration(
        name=props.get("Name") or ctx.name(128), **request
    )["recordingConfiguration"]
    return configuration["arn"], {"Arn": configuration["arn"], "State": configuration.get("state", "ACTIVE")}


@handles("AWS::IVS::StreamKey")
def _ivs_stream_key(ctx: ResourceContext, props: dict[str, Any]) -> Created:
    key = ctx.client("ivs").create_stream_key(channelArn=props["ChannelArn"])["streamKey"]
    return key["arn"], {"Arn": key["arn"], "Value": key.get("value", "")}
