"""The channel service on moto in-process: the DynamoDB repository (indexes, versions, the ledger
transaction), the S3 recording reader and the IVS events handler, with a fake IVS (moto's has no keys)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.channel.adapters.dynamodb import DynamoChannelRepository
from services.channel.adapters.s3 import S3RecordingReader
from services.channel.channels import ChannelSettings, create_channel, list_live_channels, list_my_channels
from services.channel.errors import BadRequestError, RecordingNotReadableError, StaleChannelError
from services.channel.handlers import dependencies, ivs_events
from services.channel.handlers.dependencies import EventsDependencies
from services.channel.models import CreateChannelRequest
from shared.auth import Principal
from shared.events.testing import FakePublisher
from tests.unit.channel.fakes import FakeIvs

BUCKET = "dev-svideo-recordings"
PREFIX = "ivs/v1/123456789012/AbCdef1G2hij/2026/11/22/14/5/rec1"
MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,NAME="720p30"
720p30/playlist.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,NAME="360p30"
360p30/playlist.m3u8
"""
OWNER = Principal(sub="alice-sub", groups=frozenset({"broadcaster"}))
SETTINGS = ChannelSettings(
    recording_configuration_arn="arn:aws:ivs:us-east-1:123456789012:recording-configuration/rc",
    ivs_channel_prefix="dev-svideo-",
    stage="dev",
)


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        string = [
            {"AttributeName": n, "AttributeType": "S"}
            for n in ("pk", "owner_id", "created_at", "ivs_channel_arn", "live_key", "live_since")
        ]

        def index(name: str, hash_key: str, range_key: str | None) -> dict[str, Any]:
            keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
            if range_key:
                keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
            return {"IndexName": name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}

        table = dynamodb.create_table(
            TableName="channels",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=string,
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[
                index("by-owner", "owner_id", "created_at"),
                index("by-ivs-channel", "ivs_channel_arn", None),
                index("live", "live_key", "live_since"),
            ],
        )
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield {"repository": DynamoChannelRepository(table), "s3": s3}


def _create(aws: dict[str, Any], ivs: FakeIvs, publisher: FakePublisher, name: str = "c") -> Any:
    return create_channel(
        OWNER,
        CreateChannelRequest(name=name),
        repository=aws["repository"],
        ivs=ivs,
        publisher=publisher,
        settings=SETTINGS,
    )


def test_given_channels_when_listing_mine_then_pages_come_newest_first_and_tokens_round_trip(
    aws: dict[str, Any],
) -> None:
    ivs, publisher = FakeIvs(), FakePublisher()
    ids = [_create(aws, ivs, publisher, f"c{i}").channel_id for i in range(3)]

    first = list_my_channels(OWNER, repository=aws["repository"], limit=2, token=None)
    second = list_my_channels(OWNER, repository=aws["repository"], limit=2, token=first.next_token)

    assert [c.channel_id for c in first.items + second.items] == ids[::-1]
    with pytest.raises(BadRequestError):
        list_my_channels(OWNER, repository=aws["repository"], limit=2, token="%%%")


def test_given_a_stale_version_when_saving_then_it_is_refused(aws: dict[str, Any]) -> None:
    repository: DynamoChannelRepository = aws["repository"]
    created = _create(aws, FakeIvs(), FakePublisher())
    channel = repository.get(created.channel_id)
    assert channel is not None
    repository.save(channel)

    with pytest.raises(StaleChannelError):
        repository.save(channel)


def test_given_a_master_playlist_in_s3_then_the_reader_lists_its_renditions(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key=f"{PREFIX}/media/hls/master.m3u8", Body=MASTER.encode())
    reader = S3RecordingReader(aws["s3"])

    renditions = reader.renditions(BUCKET, PREFIX)

    assert [(r.name, r.width, r.height) for r in renditions] == [("720p30", 1280, 720), ("360p30", 640, 360)]
    assert renditions[0].playlist_key == f"{PREFIX}/media/hls/720p30/playlist.m3u8"
    with pytest.raises(RecordingNotReadableError):
        reader.renditions(BUCKET, "ivs/v1/missing")


def _sqs_event(*ivs_events_: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": "r",
                "body": json.dumps(e),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for i, e in enumerate(ivs_events_)
        ]
    }


def _ivs(detail_type: str, arn: str, at: datetime, **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"id-{detail_type}-{detail.get('event_name') or detail.get('recording_status')}",
        "detail-type": detail_type,
        "source": "aws.ivs",
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [arn],
        "detail": {"channel_name": "dev-svideo-x", **detail},
    }


class Context:
    function_name = "ivs-events"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ivs-events"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def test_given_ivs_events_through_the_handler_then_live_state_events_and_a_bad_record_fails_alone(
    aws: dict[str, Any],
) -> None:
    repository: DynamoChannelRepository = aws["repository"]
    ivs, publisher = FakeIvs(), FakePublisher()
    created = _create(aws, ivs, publisher)
    channel = repository.get(created.channel_id)
    assert channel is not None
    aws["s3"].put_object(Bucket=BUCKET, Key=f"{PREFIX}/media/hls/master.m3u8", Body=MASTER.encode())
    dependencies.use(
        events=EventsDependencies(
            repository=repository,
            publisher=publisher,
            recordings=S3RecordingReader(aws["s3"]),
            reconnect_window=timedelta(seconds=5),
        )
    )
    t0 = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    stream = "st-1A2b3c4D5e6F78ghij9Klmn"
    start = _ivs(
        "IVS Stream State Change", channel.ivs_channel_arn, t0, event_name="Stream Start", stream_id=stream
    )
    try:
        response = ivs_events.handler(_sqs_event(start, start, {"source": "nonsense"}), Context())  # type: ignore[arg-type]
        assert response == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
        assert [
            c.channel_id for c in list_live_channels(repository=repository, limit=5, token=None).items
        ] == [created.channel_id]
        recording = _ivs(
            "IVS Recording State Change",
            channel.ivs_channel_arn,
            t0 + timedelta(seconds=20),
            stream_id=stream,
            recording_status="Recording End",
            recording_s3_bucket_name=BUCKET,
            recording_s3_key_prefix=PREFIX,
            recording_duration_ms=15000,
            recording_session_id="rec1",
            recording_session_stream_ids=[stream],
        )
        end = _ivs(
            "IVS Stream State Change",
            channel.ivs_channel_arn,
            t0 + timedelta(seconds=15),
            event_name="Stream End",
            stream_id=stream,
        )
        assert ivs_events.handler(_sqs_event(recording, end), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    finally:
        dependencies.use()

    types = [e.detail_type for e in publisher.published]
    assert types == ["Channel.Created", "Broadcast.Started", "Recording.Ended", "Broadcast.Ended"]
    assert list_live_channels(repository=repository, limit=5, token=None).items == []
    assert created.stream_key not in json.dumps(publisher.details_json())
