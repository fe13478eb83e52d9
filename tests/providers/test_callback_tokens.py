"""Callback tokens: per job and provider, checked exactly, carried in the callback URL."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.providers.callback_tokens import (
    TOKEN_HEX_CHARS,
    callback_token,
    callback_url,
    verify_callback_token,
)

SECRET = b"s" * 32


def test_callback_token_is_32_hex_chars_and_deterministic() -> None:
    token = callback_token(SECRET, "kie", "job-1")
    assert len(token) == TOKEN_HEX_CHARS == 32
    assert int(token, 16) >= 0
    assert token == callback_token(SECRET, "kie", "job-1")
    expected = hmac.new(SECRET, b"kie:job-1", hashlib.sha256).hexdigest()[:32]
    assert token == expected


@pytest.mark.parametrize(
    ("secret", "provider", "job"),
    [(b"other-secret", "kie", "job-1"), (SECRET, "novita", "job-1"), (SECRET, "kie", "job-2")],
    ids=["secret", "provider", "job"],
)
def test_callback_token_depends_on_every_input(secret: bytes, provider: str, job: str) -> None:
    assert callback_token(secret, provider, job) != callback_token(SECRET, "kie", "job-1")


GOOD = callback_token(SECRET, "kie", "job-1")


@pytest.mark.parametrize(
    ("token", "valid"),
    [
        (GOOD, True),
        (GOOD.upper(), False),
        (GOOD[:-1], False),
        (GOOD + "0", False),
        ("", False),
        (callback_token(SECRET, "kie", "job-2"), False),
        (hmac.new(SECRET, b"kie:job-1", hashlib.sha256).hexdigest(), False),
        ("é" * 32, False),
    ],
    ids=[
        "exact", "uppercase", "truncated", "extended", "empty", "other-job", "full-digest",
        "non-ascii",
    ],
)  # fmt: skip
def test_verify_callback_token(token: str, valid: bool) -> None:
    assert verify_callback_token(SECRET, "kie", "job-1", token) is valid


def test_callback_url_carries_job_and_token() -> None:
    url = callback_url("https://bot.example.com/", "/api/kie/callback", SECRET, "kie", "job 1&x")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "bot.example.com",
        "/api/kie/callback",
    )
    query = parse_qs(parts.query)
    assert query == {"job": ["job 1&x"], "token": [callback_token(SECRET, "kie", "job 1&x")]}
