"""The client protocol: only subscribe/unsubscribe/ping parse; everything else is an error frame."""

import json

import pytest

from services.live.models import Ping, ProtocolError, Subscribe, Unsubscribe, parse_client_message


def test_given_every_topic_kind_when_parsed_then_topics_keep_their_order_without_duplicates() -> None:
    message = parse_client_message(
        json.dumps(
            {"action": "subscribe", "topics": ["videos", "channels", "channel:ch-1", "video:vid-1", "videos"]}
        )
    )
    assert message == Subscribe(
        action="subscribe", topics=["videos", "channels", "channel:ch-1", "video:vid-1"]
    )


def test_given_unsubscribe_and_ping_when_parsed_then_they_are_recognised() -> None:
    assert isinstance(parse_client_message('{"action": "unsubscribe", "topics": ["videos"]}'), Unsubscribe)
    assert isinstance(parse_client_message('{"action": "ping"}'), Ping)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (None, "bad_request"),
        ("", "bad_request"),
        ("not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        ('{"action": "sendmessage", "data": "hi all"}', "unknown_action"),
        ('{"action": "publish", "topic": "videos"}', "unknown_action"),
        ('{"topics": ["videos"]}', "unknown_action"),
        ('{"action": "subscribe", "topics": []}', "bad_request"),
        ('{"action": "subscribe", "topics": ["everything"]}', "bad_request"),
        ('{"action": "subscribe", "topics": ["channel:"]}', "bad_request"),
        ('{"action": "subscribe", "topics": ["video:a b"]}', "bad_request"),
        ('{"action": "subscribe", "topics": ["videos"], "to": "conn-2"}', "bad_request"),
        (json.dumps({"action": "subscribe", "topics": [f"video:v{i}" for i in range(21)]}), "bad_request"),
        (json.dumps({"action": "ping", "pad": "x" * 5000}), "bad_request"),
    ],
)
def test_given_a_message_outside_the_protocol_when_parsed_then_it_is_refused_with_a_code(
    body: str | None, code: str
) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_client_message(body)
    assert refused.value.code == code
    assert refused.value.message
