"""The invocation log on moto: rows in the lifecycle's transaction, the by-plugin index, TTL, paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.plugins.adapters import DynamoInvocationLog, DynamoLifecycleStore
from services.plugins.invocation_log import PLUGIN_INDEX
from shared.errors import BadRequestError
from tests.unit.plugins.fakes import Harness, manifest, video_processed


@pytest.fixture
def lifecycles(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The lifecycle table as PluginsStack declares it: `video_id` key, the by-plugin index, TTL."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        table = boto3.resource("dynamodb").create_table(
            TableName="lifecycles",
            KeySchema=[{"AttributeName": "video_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("video_id", "log_plugin", "log_at")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": PLUGIN_INDEX,
                    "KeySchema": [
                        {"AttributeName": "log_plugin", "KeyType": "HASH"},
                        {"AttributeName": "log_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        table.meta.client.update_time_to_live(
            TableName="lifecycles", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        yield table


def _harness(table: Any, *manifests: Any) -> Harness:
    harness = Harness(*manifests)
    harness.store = harness.service.store = DynamoLifecycleStore(table)  # type: ignore[assignment]
    return harness


def test_given_lifecycles_on_dynamodb_when_plugins_answer_then_the_index_pages_their_rows_newest_first(
    lifecycles: Any,
) -> None:
    harness = _harness(lifecycles, manifest("tagger"), manifest("other"))
    for index in range(3):
        harness.service.start(video_processed(f"vid-{index}"))
        harness.clock.advance(10)
        harness.answer("tagger", video_id=f"vid-{index}")
    log = DynamoInvocationLog(lifecycles)

    first = log.page("tagger", 2, None)
    assert [(e.video_id, e.status, e.duration_ms) for e in first.invocations] == [
        ("vid-2", "succeeded", 10_000), ("vid-1", "succeeded", 10_000),
    ]  # fmt: skip
    rest = log.page("tagger", 2, first.next_token)
    assert [e.video_id for e in rest.invocations] == ["vid-0"]
    assert rest.next_token is None or log.page("tagger", 2, rest.next_token).invocations == []
    assert {e.status for e in log.page("other", 10, None).invocations} == {"pending"}
    with pytest.raises(BadRequestError):
        log.page("other", 2, first.next_token)


def test_given_a_log_row_then_it_has_a_ttl_and_no_token_and_the_lifecycle_item_has_no_ttl(
    lifecycles: Any,
) -> None:
    harness = _harness(lifecycles, manifest("tagger"))
    harness.service.start(video_processed())
    token = harness.invocation("tagger").invocation.token
    items = lifecycles.scan()["Items"]
    [row] = [item for item in items if str(item["video_id"]).startswith("invocation#")]
    [state] = [item for item in items if item["video_id"] == "vid-plugins-1"]
    assert int(row["expires_at"]) > harness.clock.now.timestamp() + 29 * 86400
    assert "expires_at" not in state
    assert token not in str(row)


def test_given_a_stale_save_then_neither_state_nor_log_rows_are_written(lifecycles: Any) -> None:
    harness = _harness(lifecycles, manifest("tagger"))
    harness.service.start(video_processed())
    store = DynamoLifecycleStore(lifecycles)
    stale = store.get("vid-plugins-1")
    assert stale is not None
    harness.answer("tagger")
    entry = stale.invocations["tagger"].log_entry(stale.video_id, None)
    assert store.save(stale, stale.version, [entry.model_copy(update={"status": "failed"})]) is False
    [row] = DynamoInvocationLog(lifecycles).page("tagger", 5, None).invocations
    assert row.status == "succeeded"
