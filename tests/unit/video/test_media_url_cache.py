"""Media URLs are signed once per object per window and reused within it, each valid two windows."""

from __future__ import annotations

from typing import Any

from services.video.media import S3MediaStore


class CountingS3:
    def __init__(self) -> None:
        self.signed: list[tuple[str, int]] = []

    def generate_presigned_url(self, operation: str, Params: dict[str, Any], ExpiresIn: int) -> str:
        self.signed.append((Params["Key"], ExpiresIn))
        return f"https://s3.example/{Params['Key']}?n={len(self.signed)}&expires={ExpiresIn}"


def test_given_many_lists_in_one_window_then_each_object_is_signed_once() -> None:
    now = [1_000_000.0]
    s3 = CountingS3()
    media = S3MediaStore(s3, "media", expiry_s=900, clock=lambda: now[0])
    keys = [f"videos/v{i}/poster.jpg" for i in range(200)]

    first = [media.url(key) for key in keys]
    for _ in range(49):
        assert [media.url(key) for key in keys] == first

    assert len(s3.signed) == 200
    assert {expires for _, expires in s3.signed} == {1800}  # still valid for >= 900 s after the window ends


def test_given_the_next_window_then_objects_are_signed_anew() -> None:
    now = [1_000_000.0]
    s3 = CountingS3()
    media = S3MediaStore(s3, "media", expiry_s=900, clock=lambda: now[0])
    before = media.url("videos/v1/video.mp4")
    now[0] += 900

    after = media.url("videos/v1/video.mp4")

    assert before != after and len(s3.signed) == 2


def test_given_a_cdn_then_nothing_is_signed() -> None:
    s3 = CountingS3()
    media = S3MediaStore(s3, "media", cdn_base_url="https://cdn.example/")
    assert media.url("videos/v1/poster.jpg") == "https://cdn.example/videos/v1/poster.jpg"
    assert s3.signed == []
