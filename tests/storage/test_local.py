"""Local storage's signed /media URLs, and the keys it accepts as paths on disk."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from bot.storage.local import media_signature, safe_key, verify_media_signature

SECRET = b"s" * 32


def test_media_signature_is_hex_hmac_of_key_and_expiry() -> None:
    expected = hmac.new(SECRET, b"in/abc.jpg\n1700000000", hashlib.sha256).hexdigest()
    assert media_signature(SECRET, "in/abc.jpg", 1700000000) == expected


def test_media_signature_separates_key_and_expiry() -> None:
    assert media_signature(SECRET, "a1", 23) != media_signature(SECRET, "a", 123)


FUTURE = int(time.time()) + 3600
MEDIA_SIG = media_signature(SECRET, "in/abc.jpg", FUTURE)


@pytest.mark.parametrize(
    ("key", "expires", "signature", "valid"),
    [
        ("in/abc.jpg", FUTURE, MEDIA_SIG, True),
        ("in/abc.jpg", FUTURE + 1, MEDIA_SIG, False),
        ("in/abd.jpg", FUTURE, MEDIA_SIG, False),
        ("in/abc.jpg", FUTURE, MEDIA_SIG[:-1], False),
        ("in/abc.jpg", FUTURE, MEDIA_SIG.upper(), False),
        ("in/abc.jpg", FUTURE, "", False),
        ("in/abc.jpg", 1, media_signature(SECRET, "in/abc.jpg", 1), False),
        ("in/abc.jpg", FUTURE, media_signature(b"other", "in/abc.jpg", FUTURE), False),
    ],
    ids=[
        "valid", "expiry-extended", "key-changed", "truncated", "uppercase", "empty",
        "expired", "other-secret",
    ],
)  # fmt: skip
def test_verify_media_signature(key: str, expires: int, signature: str, valid: bool) -> None:
    assert verify_media_signature(SECRET, key, expires, signature) is valid


def test_verify_media_signature_refuses_non_ascii_signature() -> None:
    assert verify_media_signature(SECRET, "in/abc.jpg", FUTURE, "é" * 64) is False


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        ("abc.jpg", True),
        ("in/2024/abc.jpg", True),
        ("in/a..b.jpg", True),
        ("", False),
        ("/etc/passwd", False),
        ("../secret", False),
        ("in/../../secret", False),
        ("in/./abc.jpg", False),
        (".", False),
        ("..", False),
        ("in//abc.jpg", False),
        ("in/", False),
        ("in\\..\\secret", False),
    ],
)
def test_safe_key(key: str, safe: bool) -> None:
    assert safe_key(key) is safe
