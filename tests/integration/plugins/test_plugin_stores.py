"""The DynamoDB stores on moto: conditional creates, optimistic locking, the registry round trip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.plugins.adapters import DynamoLifecycleStore, DynamoRegistryStore
from services.plugins.registry import Registry
from shared.auth import Principal
from tests.unit.plugins.fakes import Harness, manifest, video_processed


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dynamodb = boto3.resource("dynamodb")
        made = []
        for name, key in (("registry", "name"), ("lifecycles", "video_id")):
            made.append(
                dynamodb.create_table(
                    TableName=name,
                    KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            )
        yield made[0], made[1]


def test_given_a_registered_name_when_registering_again_then_the_conditional_create_refuses(
    tables: Any,
) -> None:
    store = DynamoRegistryStore(tables[0])
    registry = Registry(store)
    developer = Principal(sub="dev-1", groups=frozenset({"plugin-developer"}))
    registry.register(developer, manifest("one", "preValidate"))
    assert store.create(store.get("one")) is False  # type: ignore[arg-type]
    assert [p.name for p in registry.list_plugins(developer)] == ["one"]
    assert registry.enabled_manifests()[0].hook == "preValidate"


def test_given_a_lifecycle_when_two_writers_save_the_same_version_then_only_one_wins(tables: Any) -> None:
    harness = Harness(manifest("one"))
    store = DynamoLifecycleStore(tables[1])
    harness.service.store = store
    assert harness.service.start(video_processed()) is True
    assert harness.service.start(video_processed()) is False
    first, second = store.get("vid-plugins-1"), store.get("vid-plugins-1")
    assert first is not None and second is not None
    assert store.save(first, first.version) is True
    assert store.save(second, second.version) is False
    assert store.get("vid-plugins-1").version == 2  # type: ignore[union-attr]


def test_given_the_dynamo_store_when_a_plugin_answers_then_the_lifecycle_completes(tables: Any) -> None:
    harness = Harness(manifest("one"))
    harness.service.store = DynamoLifecycleStore(tables[1])
    harness.store = harness.service.store  # type: ignore[assignment]
    harness.service.start(video_processed())
    harness.answer("one")
    state = harness.state()
    assert (state.status, state.verdict, state.completion_published) == ("completed", "valid", True)


def test_given_a_plugin_timing_out_on_videos_in_a_row_then_the_registry_disables_it_on_dynamodb(
    tables: Any,
) -> None:
    from services.plugins.adapters import RegistryCatalog
    from services.plugins.registry import TIMEOUT_STRIKES

    store = DynamoRegistryStore(tables[0])
    Registry(store).register(Principal(sub="dev-1", groups=frozenset({"plugin-developer"})), manifest("slow"))
    catalog = RegistryCatalog(store)
    for n in range(TIMEOUT_STRIKES):
        assert [m.name for m in catalog.enabled_manifests()] == ["slow"]
        catalog.record_outcome("slow", f"vid-{n}", "timed_out")
    assert catalog.enabled_manifests() == []
    plugin = store.get("slow")
    assert plugin is not None and plugin.disabled_reason is not None and "vid-2" in plugin.disabled_reason
