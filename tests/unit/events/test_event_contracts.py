"""Contract tests: canonical payloads fit their models, every model has one, bad payloads name the field."""

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from shared.events.base import Meta
from shared.events.channel import ChannelCreated
from shared.events.envelope import Envelope
from shared.events.plugins import PluginCompleted
from shared.events.postprocess import VideoProcessed
from shared.events.registry import (
    ALL_MODELS,
    EVENT_TYPES,
    EventValidationError,
    UnknownEventTypeError,
    model_for,
    parse_detail,
    parse_event,
)
from shared.events.schemas import schema_name
from shared.events.video import VideoStatusChanged

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
CANONICAL_FILES = sorted(EVENTS_DIR.rglob("*.json"))


def canonical(detail_type: str) -> dict[str, Any]:
    (path,) = [p for p in CANONICAL_FILES if json.loads(p.read_text())["detail-type"] == detail_type]
    return json.loads(path.read_text())


def shape(value: Any) -> Any:
    """The keys of a JSON value, recursively, with leaves blanked."""
    if isinstance(value, dict):
        return {key: shape(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [shape(sub) for sub in value]
    return None


def problems_of(raw: dict[str, Any], strict: bool = True) -> list[str]:
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw, strict=strict)
    return caught.value.fields


@pytest.mark.parametrize("path", CANONICAL_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_given_a_canonical_payload_when_parsed_strictly_then_it_fits_its_model_and_its_path(
    path: Path,
) -> None:
    raw = json.loads(path.read_text())

    envelope = parse_event(raw, strict=True)

    assert isinstance(envelope.detail, model_for(raw["source"], raw["detail-type"]))
    assert (
        path.relative_to(EVENTS_DIR).as_posix()
        == f"{raw['source']}/{raw['detail-type'].replace(' ', '')}.json"
    )
    # What a producer would send for this detail has the file's shape (field names, aliases) and values.
    sent = json.loads(envelope.detail.model_dump_json(by_alias=True, exclude_unset=True))
    assert shape(sent) == shape(raw["detail"])
    assert parse_detail(raw["source"], raw["detail-type"], sent, strict=True) == envelope.detail


def test_given_the_registry_when_listing_canonical_files_then_every_event_type_has_one() -> None:
    covered = {
        model_for(e["source"], e["detail-type"]) for e in (json.loads(p.read_text()) for p in CANONICAL_FILES)
    }

    assert set(ALL_MODELS) - covered == set()
    assert len(EVENT_TYPES) == len(ALL_MODELS) == 22


def test_given_the_registry_then_schema_names_and_event_types_are_unique() -> None:
    assert len({schema_name(m) for m in ALL_MODELS}) == len(ALL_MODELS)


@pytest.mark.parametrize(
    ("detail_type", "path", "value"),
    [
        ("Video.Processed", ["media", "width"], "wide"),
        ("Video.Processed", ["compute"], "ec2"),
        ("Recording.Ended", ["recording", "duration_ms"], -1),
        ("Video.StatusChanged", ["to"], "archived"),
        ("Plugin.Invoked", ["hook"], "preFlight"),
        ("Plugin.Invoked", ["video", "media", "mp4_key"], ""),
        ("Lifecycle.Completed", ["results", 3, "status"], "lost"),
        ("Broadcast.Started", ["stream_id"], "not-a-stream"),
        ("Channel.Created", ["meta", "version"], "2"),
        ("Transcript.Completed", ["meta", "occurred_at"], "2026-11-22T14:21:44"),
    ],
)
def test_given_a_wrong_value_when_parsed_then_the_error_names_the_field(
    detail_type: str, path: list[Any], value: Any
) -> None:
    raw = canonical(detail_type)
    node = raw["detail"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value

    assert problems_of(raw) == ["detail." + ".".join(map(str, path))]


@pytest.mark.parametrize(
    ("detail_type", "field"),
    [("Recording.Ended", "recording"), ("Video.Processed", "timings"), ("Plugin.Invoked", "invocation")],
)
def test_given_a_missing_field_when_parsed_then_the_error_names_it(detail_type: str, field: str) -> None:
    raw = canonical(detail_type)
    del raw["detail"][field]

    assert problems_of(raw) == [f"detail.{field}"]


def test_given_a_missing_meta_correlation_id_when_parsed_then_the_error_names_the_nested_field() -> None:
    raw = canonical("Title.Selected")
    del raw["detail"]["meta"]["correlation_id"]

    assert problems_of(raw) == ["detail.meta.correlation_id"]


def test_given_an_extra_field_when_parsed_strictly_then_the_error_names_it() -> None:
    raw = canonical("Video.Processed")
    raw["detail"]["media"]["codec"] = "h264"

    assert problems_of(raw, strict=True) == ["detail.media.codec"]


def test_given_an_extra_field_when_a_consumer_parses_by_default_then_it_is_ignored() -> None:
    raw = canonical("Video.Processed")
    raw["detail"]["added_in_a_later_release"] = {"anything": 1}

    envelope = parse_event(raw)

    assert "added_in_a_later_release" not in envelope.detail.model_dump()


def test_given_an_unknown_keyword_when_a_producer_builds_a_detail_then_it_is_refused() -> None:
    with pytest.raises(TypeError, match="'stream_key'"):
        ChannelCreated(
            meta=Meta.now(),
            channel_id="ch-1",
            owner_id="o-1",
            display_name="Lambda Lancer",
            ivs_channel_name="ch-1",
            stream_key="sk_us-west-2_AbCdEfGh12345678",  # type: ignore[call-arg]
        )


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("stream_key", "whatever", "detail.stream_key"),
        ("streamKey", "whatever", "detail.streamKey"),
        ("display_name", "sk_us-west-2_AbCdEfGh12345678", "detail.display_name"),
    ],
)
def test_given_key_material_in_a_channel_event_when_parsed_in_any_mode_then_it_is_refused_by_name(
    field: str, value: str, where: str, strict: bool
) -> None:
    raw = canonical("Channel.Created")
    raw["detail"][field] = value

    assert problems_of(raw, strict=strict) == [where]


def test_given_a_stream_key_value_when_a_producer_builds_a_channel_event_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="stream-key material"):
        ChannelCreated(
            meta=Meta.now(),
            channel_id="ch-1",
            owner_id="o-1",
            display_name="sk_us-west-2_AbCdEfGh12345678",
            ivs_channel_name="ch-1",
        )


def test_given_the_rotated_key_event_then_only_the_key_id_is_representable() -> None:
    raw = canonical("StreamKey.Rotated")
    raw["detail"]["stream_key_id"] = "sk_us-west-2_AbCdEfGh12345678"

    assert problems_of(raw) == ["detail.stream_key_id"]


def test_given_an_oversized_plugin_output_when_parsed_then_the_error_names_output() -> None:
    raw = canonical("Plugin.Completed")
    raw["detail"]["output"] = {"transcript": "word " * 10_000}

    assert problems_of(raw) == ["detail.output"]


def test_given_oversized_inputs_when_plugin_invoked_is_parsed_then_the_error_names_inputs() -> None:
    raw = canonical("Plugin.Invoked")
    raw["detail"]["inputs"] = {f"p{i}": {"blob": "x" * 30_000} for i in range(3)}

    assert problems_of(raw) == ["detail.inputs"]


def test_given_a_completion_from_any_plugin_source_then_it_maps_to_plugin_completed() -> None:
    raw = canonical("Plugin.Completed")
    raw["source"] = "svideo.plugin.my-plugin"
    raw["detail"]["plugin"] = "my-plugin"

    assert isinstance(parse_event(raw).detail, PluginCompleted)
    assert model_for("svideo.plugin.anything", "Plugin.Completed") is PluginCompleted


def test_given_a_completion_whose_source_is_another_plugin_when_parsed_then_it_is_refused() -> None:
    raw = canonical("Plugin.Completed")
    raw["source"] = "svideo.plugin.titles"

    assert problems_of(raw) == ["detail.plugin"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "failed"}, "needs `error`"),
        ({"error": {"code": "Boom", "message": "x"}}, "no `error`"),
    ],
)
def test_given_status_and_payload_that_disagree_when_parsed_then_it_is_refused(
    change: dict[str, Any], message: str
) -> None:
    raw = canonical("Plugin.Completed")
    raw["detail"].update(change)

    with pytest.raises(EventValidationError, match=message):
        parse_event(raw)


def test_given_a_detail_type_under_the_plugin_prefix_that_is_not_plugin_wide_then_it_is_unknown() -> None:
    with pytest.raises(UnknownEventTypeError):
        model_for("svideo.plugin.somebody", "Transcript.Completed")


def test_given_an_unknown_event_type_when_parsed_then_a_value_error_names_it() -> None:
    raw = canonical("Video.Published")
    raw["detail-type"] = "Video.Exploded"

    with pytest.raises(ValueError, match=r"Video\.Exploded"):
        parse_event(raw)


def test_given_an_event_without_source_when_parsed_then_the_error_names_source() -> None:
    raw = canonical("Video.Published")
    del raw["source"]

    assert problems_of(raw) == ["source"]


def test_given_a_bad_envelope_field_when_parsed_then_the_error_names_it() -> None:
    raw = canonical("Video.Published")
    raw["time"] = "yesterday"

    assert problems_of(raw) == ["time"]


def test_given_a_detail_alone_when_parse_detail_then_errors_name_the_field_without_prefix() -> None:
    detail = copy.deepcopy(canonical("Video.ProcessingFailed")["detail"])
    detail["attempts"] = 0

    with pytest.raises(EventValidationError) as caught:
        parse_detail("svideo.postprocess", "Video.ProcessingFailed", detail)

    assert caught.value.fields == ["attempts"]
    assert "svideo.postprocess/Video.ProcessingFailed" in str(caught.value)


def test_given_an_offset_time_when_meta_is_parsed_then_it_is_stored_in_utc() -> None:
    paris = timezone(timedelta(hours=1))

    meta = Meta(version="1", correlation_id="c-1", occurred_at=datetime(2026, 11, 22, 15, 0, tzinfo=paris))

    assert meta.occurred_at == datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
    assert meta.occurred_at.tzinfo is UTC


def test_given_a_status_change_when_serialised_then_it_uses_from_and_to() -> None:
    event = VideoStatusChanged(
        meta=Meta.now("c-1"),
        video_id="vid-1",
        channel_id="ch-1",
        owner_id="o-1",
        from_status="enriching",
        to_status="failed",
        reason="lifecycle timed out",
    )

    body = json.loads(event.model_dump_json(by_alias=True))

    assert (body["from"], body["to"], body["meta"]["correlation_id"]) == ("enriching", "failed", "c-1")


def test_given_a_failure_status_without_reason_then_it_is_refused() -> None:
    raw = canonical("Video.StatusChanged")
    raw["detail"]["to"] = "failed"

    with pytest.raises(EventValidationError, match="needs a `reason`"):
        parse_event(raw)


def test_given_the_catalog_page_then_it_lists_every_event_type() -> None:
    catalog = (EVENTS_DIR.parents[1] / "docs" / "events.md").read_text()

    assert [
        m.detail_type for m in ALL_MODELS if f"| `{m.detail_type}` | `{m.__name__}` |" not in catalog
    ] == []


def test_given_powertools_parser_when_an_envelope_model_is_used_then_the_detail_is_typed_and_tolerant() -> (
    None
):
    raw = canonical("Video.Processed")
    raw["detail"]["added_later"] = True

    envelope = parse(event=raw, model=Envelope[VideoProcessed])

    assert isinstance(envelope, EventBridgeModel)
    assert envelope.detail.media.width == 1280
    assert envelope.detail_type == "Video.Processed"
