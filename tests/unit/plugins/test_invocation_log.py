"""The invocation log on fakes: rows written with the lifecycle's changes, no token, paged reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.plugins.invocation_log import (
    OUTPUT_PREVIEW_CHARS,
    REDACTED,
    decode_token,
    encode_token,
    recent_invocations,
)
from services.plugins.registry import RegisteredPlugin, Registry
from shared.auth import Principal
from shared.errors import BadRequestError, NotFoundError
from tests.unit.plugins.fakes import FakeLifecycleStore, Harness, manifest, video_processed
from tests.unit.plugins.test_manifest_registry import MemoryRegistryStore

DEVELOPER = Principal(sub="dev-1", groups=frozenset({"plugin-developer"}))


def test_given_an_invocation_when_it_starts_and_succeeds_then_a_pending_then_a_succeeded_row() -> None:
    harness = Harness(manifest("tagger"))
    harness.service.start(video_processed())
    [[started]] = harness.store.log_writes
    assert (started.status, started.ended_at, started.duration_ms) == ("pending", None, None)
    harness.clock.advance(2.5)
    harness.answer("tagger", {"value": "bees"})
    ended = harness.store.log[started.invocation_id]
    assert (ended.plugin, ended.video_id, ended.hook) == ("tagger", "vid-plugins-1", "preMetadata")
    assert (ended.status, ended.duration_ms, ended.output_preview) == ("succeeded", 2500, '{"value":"bees"}')
    assert ended.invocation_id == harness.invocation("tagger").invocation.id
    assert len(harness.store.log_writes) == 2


def test_given_every_kind_of_ending_then_each_row_has_its_status_and_reason() -> None:
    harness = Harness(
        manifest("gate", "preValidate"),
        manifest("silent", timeout_seconds=5),
        manifest("broken"),
        manifest("sloppy"),
        manifest("late", "postMetadata"),
    )
    harness.service.start(video_processed())
    harness.answer("gate", {"valid": True})
    harness.answer("broken", error=("ModelUnavailable", "the model did not load"))
    harness.answer("sloppy", {"value": 7})
    harness.pass_time(6)
    rows = {entry.plugin: entry for entry in harness.store.log.values()}
    assert {name: row.status for name, row in rows.items()} == {
        "gate": "succeeded", "silent": "timed_out", "broken": "failed", "sloppy": "rejected",
        "late": "pending",
    }  # fmt: skip
    assert rows["silent"].reason == "no completion within 5s"
    assert rows["broken"].reason == "ModelUnavailable: the model did not load"
    assert "schema" in (rows["sloppy"].reason or "")


def test_given_an_invalid_video_then_the_later_hooks_plugins_are_logged_as_skipped() -> None:
    harness = Harness(manifest("gate", "preValidate"), manifest("after-gate", "postMetadata"))
    harness.service.start(video_processed())
    harness.answer("gate", {"valid": False, "reason": "too short"})
    skipped = next(e for e in harness.store.log.values() if e.plugin == "after-gate")
    assert (skipped.status, skipped.started_at, skipped.duration_ms) == ("skipped", None, None)
    assert skipped.ended_at == skipped.logged_at == harness.clock.now
    assert "invalid" in (skipped.reason or "")


def test_given_a_plugin_echoing_its_token_then_neither_output_nor_reason_shows_it() -> None:
    harness = Harness(
        manifest("echo", output_schema={"type": "object", "properties": {"value": {"type": "string"}}}),
        manifest("leaky"),
    )
    harness.service.start(video_processed())
    echo_token, leaky_token = (harness.invocation(name).invocation.token for name in ("echo", "leaky"))
    harness.answer("echo", {"value": "x", "seen": echo_token})
    harness.answer("leaky", error=("Oops", f"bad token {leaky_token}"))
    text = " ".join(f"{e.output_preview} {e.reason}" for e in harness.store.log.values())
    assert echo_token not in text and leaky_token not in text
    assert text.count(REDACTED) == 2


def test_given_a_large_output_then_the_preview_is_cut() -> None:
    harness = Harness(manifest("wordy"))
    harness.service.start(video_processed())
    harness.answer("wordy", {"value": "w" * 5000})
    [row] = [e for e in harness.store.log.values() if e.status == "succeeded"]
    assert row.output_preview is not None
    assert len(row.output_preview) == OUTPUT_PREVIEW_CHARS and row.output_preview.endswith("…")


def test_given_a_rejected_forgery_then_no_row_is_written() -> None:
    harness = Harness(manifest("target"))
    harness.service.start(video_processed())
    harness.answer("target", token="v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert len(harness.store.log_writes) == 1  # only the start


def _registry(owner: str) -> Registry:
    store = MemoryRegistryStore()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    store.items["tagger"] = RegisteredPlugin(
        manifest=manifest("tagger"), owner_id=owner, registered_at=now, updated_at=now
    )
    return Registry(store)


def _three_videos() -> FakeLifecycleStore:
    harness = Harness(manifest("tagger"))
    for index in range(3):
        harness.service.start(video_processed(f"vid-{index}"))
        harness.clock.advance(60)
    return harness.store


def test_given_three_invocations_when_the_owner_pages_by_two_then_newest_first_across_pages() -> None:
    log = _three_videos()
    first = recent_invocations(_registry("dev-1"), log, DEVELOPER, "tagger", 2, None)
    assert [e.video_id for e in first.invocations] == ["vid-2", "vid-1"]
    rest = recent_invocations(_registry("dev-1"), log, DEVELOPER, "tagger", 2, first.next_token)
    assert ([e.video_id for e in rest.invocations], rest.next_token) == (["vid-0"], None)


def test_given_someone_elses_plugin_when_a_developer_asks_for_its_invocations_then_not_found() -> None:
    with pytest.raises(NotFoundError):
        recent_invocations(_registry("dev-2"), _three_videos(), DEVELOPER, "tagger", 2, None)
    admin = Principal(sub="root", groups=frozenset({"admin"}))
    assert (
        len(recent_invocations(_registry("dev-2"), _three_videos(), admin, "tagger", 5, None).invocations)
        == 3
    )


def test_given_page_tokens_when_decoded_then_only_this_plugins_unaltered_keys_pass() -> None:
    key = {"video_id": "invocation#inv-1", "log_plugin": "tagger", "log_at": "2026-11-22T14:00:00.000000Z"}
    token = encode_token(key)
    assert decode_token(token, "tagger") == key
    with pytest.raises(BadRequestError, match="another list"):
        decode_token(token, "titles")
    for forged in (
        "!!not-base64!!",
        encode_token({**key, "video_id": "vid-1"}),
        encode_token({**key, "extra": "x"}),
        encode_token({"video_id": "invocation#inv-1", "log_plugin": "tagger", "log_at": 5}),
    ):
        with pytest.raises(BadRequestError):
            decode_token(forged, "tagger")
