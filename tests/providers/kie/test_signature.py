"""Kie's webhook HMAC: its documented scheme, a known vector, and the timestamp's window."""

from __future__ import annotations

import base64
import hmac

import pytest

from bot.providers.kie.signature import HMAC_WINDOW_S, hmac_valid, kie_signature

KEY = b"webhook-hmac-key"
TASK = "task_nano-banana-pro_1765178625768"
NOW = 1_765_178_640


def reference_signature(key: bytes, task_id: str, ts: str) -> str:
    """Kie's documented scheme, written independently: base64(HMAC-SHA256(taskId.ts))."""
    mac = hmac.HMAC(key, msg=(task_id + "." + ts).encode("utf-8"), digestmod="sha256")
    return base64.standard_b64encode(mac.digest()).decode("ascii")


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
