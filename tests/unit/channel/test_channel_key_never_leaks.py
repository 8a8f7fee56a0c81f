"""The stream key through the real API handler: in the create and rotate responses only — never in a log line
(Powertools logs at DEBUG, with the incoming event), a list response or an event."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from services.channel.handlers import api as channel_api_handler
from services.channel.handlers import dependencies
from shared.events.testing import FakePublisher
from shared.observability import logger
from tests.unit.api.conftest import call_handler
from tests.unit.api.support import OWNER, Request, http_event
from tests.unit.api.test_channel_authorization_matrix import CHANNEL_ID, seeded


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every line the handlers' logger writes, at DEBUG, with Powertools' JSON formatter."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    yield captured
    logger.setLevel(level)
    logging.getLogger(logger.name).removeHandler(handler)
    dependencies.use()


def test_given_create_rotate_and_lists_when_logging_at_debug_then_the_key_appears_in_no_log_list_or_event(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, log_lines: io.StringIO
) -> None:
    caplog.set_level(logging.DEBUG)  # every library logger too (Powertools' resolver, botocore)
    world = seeded()
    dependencies.use(api=world)

    def send(request: Request, signed_in: bool = True) -> tuple[int, object]:
        return call_handler(
            channel_api_handler.handler, http_event(request, OWNER, signed_in_route=signed_in)
        )

    created_status, created = send(Request("POST", "/channels", body={"name": "Keys stay secret"}))
    rotated_status, rotated = send(
        Request(
            "POST", "/channels/{channel_id}/stream-key/rotate", path_parameters={"channel_id": CHANNEL_ID}
        )
    )
    listed = [
        send(Request("GET", "/channels"))[1],
        send(Request("GET", "/channels/live"), signed_in=False)[1],
        send(Request("GET", "/channels/{channel_id}", path_parameters={"channel_id": CHANNEL_ID}), False)[1],
    ]

    assert created_status == 201 and rotated_status == 200
    keys = [created["stream_key"], rotated["stream_key"]]  # type: ignore[index]
    output = capsys.readouterr()
    logged = log_lines.getvalue() + caplog.text + output.out + output.err
    assert "Calling API Route Handler" in caplog.text, "the resolver's DEBUG lines were captured"
    assert isinstance(world.publisher, FakePublisher)
    for key in keys:
        assert key.startswith("sk_")
        assert key not in logged
        assert key not in json.dumps(listed)
        assert key not in json.dumps(world.publisher.details_json())
