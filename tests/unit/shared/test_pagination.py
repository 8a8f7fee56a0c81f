"""Page tokens: what one list issues, only that list takes back."""

from __future__ import annotations

import base64
import json

import pytest

from shared.pagination import PageTokenError, decode_page_token, encode_page_token

KEY = {"PK": "VIDEO#v1", "SK": "VIDEO", "channel_id": "ch-1", "created_key": "2026-11-22T00:00:00Z#v1"}
ATTRIBUTES = set(KEY)


def test_given_a_last_key_when_round_tripped_then_the_same_key_comes_back() -> None:
    token = encode_page_token(KEY)
    assert token is not None and "=" not in token
    assert decode_page_token(token, attributes=ATTRIBUTES, equal={"channel_id": "ch-1"}) == KEY


def test_given_no_last_key_or_no_token_then_there_is_no_page_to_follow() -> None:
    assert encode_page_token(None) is None and encode_page_token({}) is None
    assert decode_page_token(None, attributes=ATTRIBUTES) is None


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("%%%", "not a token this API issued"),
        (base64.urlsafe_b64encode(b"[1, 2]").decode(), "belongs to another list"),
        (encode_page_token({**KEY, "channel_id": "ch-2"}), "belongs to another list"),  # another channel
        (encode_page_token({**KEY, "extra": "x"}), "belongs to another list"),
        (encode_page_token({**KEY, "SK": "x" * 513}), "belongs to another list"),
        (encode_page_token({**KEY, "PK": "HISTORY#v1"}), "belongs to another list"),  # wrong item kind
    ],
)
def test_given_a_forged_or_foreign_token_when_decoded_then_refused(token: str | None, message: str) -> None:
    with pytest.raises(PageTokenError, match=message):
        decode_page_token(
            token, attributes=ATTRIBUTES, equal={"channel_id": "ch-1"}, prefixed={"PK": "VIDEO#"}
        )


def test_given_a_token_with_a_non_string_value_when_decoded_then_it_is_refused() -> None:
    token = base64.urlsafe_b64encode(json.dumps({**KEY, "SK": 7}).encode()).decode()
    with pytest.raises(PageTokenError):
        decode_page_token(token, attributes=ATTRIBUTES)
