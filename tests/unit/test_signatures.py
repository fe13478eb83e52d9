"""Callback tokens, Kie's webhook HMAC and signed media URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.providers.callback_tokens import (
    TOKEN_HEX_CHARS,
    callback_token,
    callback_url,
    verify_callback_token,
)
from bot.providers.kie.signature import HMAC_WINDOW_S, hmac_valid, kie_signature
from bot.storage.local import media_signature, safe_key, verify_media_signature

SECRET = b"s" * 32
KEY = b"webhook-hmac-key"
TASK = "task_nano-banana-pro_1765178625768"
NOW = 1_765_178_640


def reference_signature(key: bytes, task_id: str, ts: str) -> str:
    """Kie's documented scheme, written independently: base64(HMAC-SHA256(taskId.ts))."""
    mac = hmac.HMAC(key, msg=(task_id + "." + ts).encode("utf-8"), digestmod="sha256")
    return base64.standard_b64encode(mac.digest()).decode("ascii")


# --- callback tokens -------------------------------------------------------------------------


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


# --- Kie webhook HMAC ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "task_id", "ts"),
    [(KEY, TASK, str(NOW)), (b"k", "t", "0"), (KEY, "tâche-ü", "1700000000")],
)
def test_kie_signature_matches_independent_hmac(key: bytes, task_id: str, ts: str) -> None:
    assert kie_signature(key, task_id, ts) == reference_signature(key, task_id, ts)


def test_kie_signature_known_vector() -> None:
    # `printf abc.123 | openssl dgst -sha256 -hmac key -binary | base64`
    assert kie_signature(b"key", "abc", "123") == "aYytRUjXsXcoKaGzDPYI2fUh/3VVh8+fJHU8Tp4lLlg="


SIG = reference_signature(KEY, TASK, str(NOW))


@pytest.mark.parametrize(
    ("ts", "signature", "now", "valid"),
    [
        (str(NOW), SIG, NOW, True),
        (str(NOW), SIG, NOW + HMAC_WINDOW_S, True),
        (str(NOW), SIG, NOW - HMAC_WINDOW_S, True),
        (str(NOW), SIG, NOW + HMAC_WINDOW_S + 1, False),
        (str(NOW), SIG, NOW - HMAC_WINDOW_S - 1, False),
        (str(NOW), SIG, NOW + 300.5, False),
        (str(NOW), SIG[:-1], NOW, False),
        (str(NOW), SIG[:20], NOW, False),
        (str(NOW), "", NOW, False),
        (str(NOW), SIG + "=", NOW, False),
        (str(NOW), reference_signature(b"other", TASK, str(NOW)), NOW, False),
        (str(NOW), reference_signature(KEY, "other-task", str(NOW)), NOW, False),
        (str(NOW + 1), SIG, NOW, False),
        ("", SIG, NOW, False),
        ("-5", SIG, NOW, False),
        ("1765178640.0", SIG, NOW, False),
        (" 1765178640", SIG, NOW, False),
        ("abc", SIG, NOW, False),
        ("0x69", SIG, NOW, False),
    ],
    ids=[
        "exact", "window-end", "window-start", "just-after-window", "just-before-window",
        "fractional-past-window", "truncated-by-one", "truncated-half", "empty-signature",
        "extended-signature", "other-key", "other-task", "timestamp-not-signed", "empty-ts",
        "negative-ts", "decimal-ts", "space-ts", "letters-ts", "hex-ts",
    ],
)  # fmt: skip
def test_hmac_valid(ts: str, signature: str, now: float, valid: bool) -> None:
    assert hmac_valid(KEY, TASK, ts, signature, now) is valid


@pytest.mark.parametrize("ts", ["²", "1765178640¹", "9" * 5000], ids=["sup2", "sup1", "huge"])
def test_hmac_valid_refuses_odd_digit_timestamps(ts: str) -> None:
    assert hmac_valid(KEY, TASK, ts, SIG, NOW) is False


# --- signed media URLs -----------------------------------------------------------------------


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
