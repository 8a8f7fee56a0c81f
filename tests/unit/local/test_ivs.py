"""The local IVS's pure parts: the API from our own state, the stream key check, IVS's S3 layout and event
shapes,
and the reconnect window with a fake clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local.aws import AwsError, AwsRequest
from local.ingest import PublishTarget
from local.ingest.events import recording_state_change, stream_state_change
from local.ingest.layout import (
    Segment,
    media_playlist,
    new_stream_id,
    parse_media_playlist,
    recording_prefix,
    rendition_name,
)
from local.ingest.window import ReconnectWindows
from local.ivs import IvsService


class FakeCloud:
    account_id = "123456789012"
    region = "us-east-1"
    endpoint = "http://127.0.0.1:4566"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.routes: dict[str, Any] = {}

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def add_internal_route(self, method: str, path: str, handler: Any) -> None:
        self.routes[path] = handler

    def client(self, service: str) -> Any:
        raise AssertionError("unit tests make no calls")


class FakeIngest:
    ingest_endpoint = "127.0.0.1:1935"

    def __init__(self) -> None:
        self.published: list[tuple[PublishTarget, str]] = []
        self.ended: list[str] = []

    def playback_url(self, channel_id: str) -> str:
        return f"http://127.0.0.1:8935/live/{channel_id}.m3u8"

    def begin_publish(self, target: PublishTarget, client_id: str) -> str:
        self.published.append((target, client_id))
        return target.channel_id

    def end_publish(self, client_id: str) -> None:
        self.ended.append(client_id)

    def live_stream(self, channel_arn: str) -> None:
        return None

    def live_streams(self) -> list[Any]:
        return []

    def stream_history(self, channel_arn: str) -> list[Any]:
        return []


@pytest.fixture
def service(tmp_path: Path) -> tuple[IvsService, FakeCloud, FakeIngest]:
    cloud = FakeCloud(tmp_path)
    ivs = IvsService(cloud, rtmp_port=1935, http_port=8935)
    fake = FakeIngest()
    ivs.ingest = fake  # type: ignore[assignment]
    return ivs, cloud, fake


def call(ivs: IvsService, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    request = AwsRequest("POST", f"/{operation}", {}, {}, json.dumps(body).encode(), "ivs", "us-east-1")
    response = ivs.handle(request)
    assert response is not None
    return dict(json.loads(response.get_data()))


def publish(cloud: FakeCloud, ivs: IvsService, key: str, token: str | None = None) -> int:
    body = f"app=app&name={key}&clientid=7&call=publish&addr=127.0.0.1".encode()
    query = {"token": [token or ivs._callback_token]}
    request = AwsRequest("POST", "/_svideo/ivs/on_publish", query, {}, body, None, "us-east-1")
    return int(cloud.routes["/_svideo/ivs/on_publish"](request).status_code)


def test_given_create_channel_then_it_returns_ingest_playback_and_the_key_value_but_lists_never_show_the_key(
    service: tuple[IvsService, FakeCloud, FakeIngest],
) -> None:
    ivs, _, _ = service
    created = call(ivs, "CreateChannel", {"name": "alice"})
    channel, key = created["channel"], created["streamKey"]
    assert channel["ingestEndpoint"] == "127.0.0.1:1935"
    assert channel["playbackUrl"].endswith(channel["arn"].rsplit("/", 1)[1] + ".m3u8")
    assert key["value"].startswith("sk_us-east-1_") and key["channelArn"] == channel["arn"]
    listed = call(ivs, "ListStreamKeys", {"channelArn": channel["arn"]})
    assert key["value"] not in json.dumps(listed)
    assert call(ivs, "GetStreamKey", {"arn": key["arn"]})["streamKey"]["value"] == key["value"]


def test_given_unknown_or_bad_input_then_errors_are_the_ones_ivs_reports(
    service: tuple[IvsService, FakeCloud, FakeIngest],
) -> None:
    ivs, _, _ = service
    with pytest.raises(AwsError) as missing:
        call(ivs, "GetChannel", {"arn": "arn:aws:ivs:us-east-1:123456789012:channel/nope"})
    assert (missing.value.code, missing.value.status) == ("ResourceNotFoundException", 404)
    with pytest.raises(AwsError) as bad_name:
        call(ivs, "CreateChannel", {"name": "not valid!"})
    assert bad_name.value.code == "ValidationException"
    channel = call(ivs, "CreateChannel", {"name": "bob"})["channel"]
    with pytest.raises(AwsError) as second_key:
        call(ivs, "CreateStreamKey", {"channelArn": channel["arn"]})
    assert second_key.value.code == "ServiceQuotaExceededException"
    with pytest.raises(AwsError) as offline:
        call(ivs, "GetStream", {"channelArn": channel["arn"]})
    assert (offline.value.code, offline.value.status) == ("ChannelNotBroadcasting", 404)
    config = call(
        ivs, "CreateRecordingConfiguration", {"destinationConfiguration": {"s3": {"bucketName": "rec"}}}
    )["recordingConfiguration"]
    call(ivs, "UpdateChannel", {"arn": channel["arn"], "recordingConfigurationArn": config["arn"]})
    with pytest.raises(AwsError) as in_use:
        call(ivs, "DeleteRecordingConfiguration", {"arn": config["arn"]})
    assert (in_use.value.code, in_use.value.status) == ("ConflictException", 409)
    with pytest.raises(AwsError) as window:
        call(
            ivs,
            "CreateRecordingConfiguration",
            {
                "destinationConfiguration": {"s3": {"bucketName": "rec"}},
                "recordingReconnectWindowSeconds": 301,
            },
        )
    assert window.value.code == "ValidationException"


def test_given_recording_configuration_defaults_then_they_match_ivs(
    service: tuple[IvsService, FakeCloud, FakeIngest],
) -> None:
    ivs, _, _ = service
    config = call(
        ivs, "CreateRecordingConfiguration", {"destinationConfiguration": {"s3": {"bucketName": "rec"}}}
    )["recordingConfiguration"]
    assert config["state"] == "ACTIVE"
    assert config["thumbnailConfiguration"]["recordingMode"] == "INTERVAL"
    assert config["thumbnailConfiguration"]["targetIntervalSeconds"] == 60
    assert config["recordingReconnectWindowSeconds"] == 0
    assert config["renditionConfiguration"]["renditionSelection"] == "ALL"


def test_given_the_channels_key_when_nginx_asks_then_the_publish_is_renamed_to_the_channel_id(
    service: tuple[IvsService, FakeCloud, FakeIngest],
) -> None:
    ivs, cloud, ingest = service
    created = call(ivs, "CreateChannel", {"name": "carol"})
    assert publish(cloud, ivs, created["streamKey"]["value"]) == 302
    target, client_id = ingest.published[0]
    assert target.channel_arn == created["channel"]["arn"] and client_id == "7"


def test_given_a_wrong_key_or_a_forged_callback_then_the_publish_is_refused(
    service: tuple[IvsService, FakeCloud, FakeIngest],
) -> None:
    ivs, cloud, ingest = service
    created = call(ivs, "CreateChannel", {"name": "dave"})
    assert publish(cloud, ivs, "sk_us-east-1_guessed") == 403
    with pytest.raises(AwsError):
        publish(cloud, ivs, created["streamKey"]["value"], token="forged")
    call(ivs, "DeleteStreamKey", {"arn": created["streamKey"]["arn"]})
    assert publish(cloud, ivs, created["streamKey"]["value"]) == 403  # a rotated-away key stops working
    assert ingest.published == []


def test_given_a_recording_start_time_then_the_prefix_follows_the_ivs_layout() -> None:
    started = datetime(2020, 6, 23, 20, 12, 5, tzinfo=UTC)
    assert recording_prefix("123456789012", "AsXego4U6tnj", started, "j8Z9O91ndcVs") == (
        "ivs/v1/123456789012/AsXego4U6tnj/2020/6/23/20/12/j8Z9O91ndcVs"
    )
    assert rendition_name(720, 29.97) == "720p30"
    assert len(new_stream_id()) == 26 and new_stream_id().startswith("st-")


def test_given_segments_then_playlists_round_trip_and_end_with_endlist_only_when_ended() -> None:
    segments = [Segment("0.ts", 6.0), Segment("1.ts", 2.0, discontinuity=True)]
    live = media_playlist(segments, ended=False)
    assert "#EXT-X-ENDLIST" not in live and "#EXT-X-DISCONTINUITY" in live
    parsed, ended = parse_media_playlist(media_playlist(segments, ended=True))
    assert [(s.uri, s.duration) for s in parsed] == [("0.ts", 6.0), ("1.ts", 2.0)] and ended


def test_given_ivs_events_then_their_shape_matches_the_ivs_eventbridge_docs() -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:channel/AsXego4U6tnj"
    stream = stream_state_change(
        "Session Created", channel_arn=arn, channel_name="c", stream_id="st-1"
    ).entry()
    assert stream["Source"] == "aws.ivs" and stream["DetailType"] == "IVS Stream State Change"
    assert stream["Resources"] == [arn]
    assert json.loads(stream["Detail"]) == {
        "event_name": "Session Created",
        "channel_name": "c",
        "stream_id": "st-1",
    }
    recording = recording_state_change(
        "Recording End",
        channel_arn=arn,
        channel_name="c",
        stream_id="st-2",
        bucket="b",
        key_prefix="ivs/v1/x",
        duration_ms=8000,
        recording_session_id="r1",
        stream_ids=["st-1", "st-2"],
    ).entry()
    assert recording["DetailType"] == "IVS Recording State Change"
    assert set(json.loads(recording["Detail"])) == {
        "channel_name",
        "stream_id",
        "recording_status",
        "recording_status_reason",
        "recording_s3_bucket_name",
        "recording_s3_key_prefix",
        "recording_duration_ms",
        "recording_session_id",
        "recording_session_stream_ids",
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_given_a_drop_within_the_window_then_the_stream_resumes_the_same_recording() -> None:
    clock = FakeClock()
    windows = ReconnectWindows(clock)
    first, new = windows.stream_started("ch", "st-1", window_seconds=10, new_recording_id=lambda: "rec-1")
    assert new
    windows.stream_ended("ch")
    clock.now = 9
    assert windows.expired() == []
    resumed, new = windows.stream_started("ch", "st-2", window_seconds=10, new_recording_id=lambda: "rec-2")
    assert not new and resumed is first and first.stream_ids == ["st-1", "st-2"]
    windows.stream_ended("ch")
    clock.now = 18.5
    assert windows.expired() == []
    clock.now = 19
    assert [s.recording_id for s in windows.expired()] == ["rec-1"]
    assert windows.expired() == []


def test_given_a_drop_longer_than_the_window_then_a_new_recording_starts_and_the_old_one_ends_once() -> None:
    clock = FakeClock()
    windows = ReconnectWindows(clock)
    windows.stream_started("ch", "st-1", window_seconds=5, new_recording_id=lambda: "rec-1")
    windows.stream_ended("ch")
    clock.now = 6
    session, new = windows.stream_started("ch", "st-2", window_seconds=5, new_recording_id=lambda: "rec-2")
    assert new and session.recording_id == "rec-2"
    assert [s.recording_id for s in windows.expired()] == ["rec-1"]
    assert windows.current("ch") is session
