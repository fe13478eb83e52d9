"""The pure parts of `photobot check`: the webhook settings' agreement, what answered the public
URL, Redis's CONFIG read as one line, and the deadline and exception guard."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.runtime.check.base import Line, Status, guarded
from bot.runtime.check.public_url import judge
from bot.runtime.check.redis_db import redis_line
from bot.runtime.check.settings_agree import check_agreement, url_problems, webhook_problems

BASE: dict[str, Any] = {
    "telegram_bot_token": "123456:AAH-very-secret-telegram-token",
    "kie_api_key": "kie-secret-api-key-0123456789",
    "public_base_url": "https://bot.example.com",
}


def settings(**values: Any) -> Settings:
    return load_settings(from_env=False, **{**BASE, **values})


@pytest.mark.parametrize(
    ("url", "mistake"),
    [
        ("https://bot.example.com/telegram/webhook", "ends in /telegram/webhook"),
        ("https://bot.example.com/api/kie/callback", "ends in /api/kie/callback"),
        ("https://bot.example.com/healthz/", "ends in /healthz"),
        ("https://bot.example.com/?token=1", "has a query string or fragment"),
    ],
)
def test_a_route_or_query_pasted_into_the_base_url_is_named(url: str, mistake: str) -> None:
    (problem,) = url_problems(url)
    assert problem.startswith(f"PUBLIC_BASE_URL: {mistake}")
    assert "https://bot.example.com" in problem


@pytest.mark.parametrize(
    "url", ["https://bot.example.com", "https://bot.example.com/", "https://example.com/photobot"]
)
def test_a_base_url_or_a_proxy_prefix_is_fine(url: str) -> None:
    assert url_problems(url) == []


def test_webhook_mode_needs_https_on_a_telegram_port() -> None:
    assert webhook_problems("s3cret_ok", "https://bot.example.com") == []
    assert webhook_problems("s3cret_ok", "https://bot.example.com:8443") == []
    (http,) = webhook_problems("s3cret_ok", "http://bot.example.com")
    assert "https:// URLs only" in http
    (port,) = webhook_problems("s3cret_ok", "https://bot.example.com:9000")
    assert "not 9000" in port


def test_a_webhook_secret_without_a_public_url_or_with_bad_characters() -> None:
    (no_url,) = webhook_problems("s3cret", None)
    assert no_url.startswith("TELEGRAM_WEBHOOK_SECRET is set but PUBLIC_BASE_URL is not")
    (bad,) = webhook_problems("has spaces!", "https://bot.example.com")
    assert bad.startswith("TELEGRAM_WEBHOOK_SECRET: Telegram takes 1-256 characters")
    assert "has spaces" not in bad


def test_agreement_lines_per_mode() -> None:
    (polling,) = check_agreement(settings())
    assert polling.status is Status.OK and "polled" in polling.text
    (webhook,) = check_agreement(settings(telegram_webhook_secret="abc_DEF-123"))
    assert webhook == Line(
        Status.OK, "TELEGRAM_WEBHOOK_SECRET: webhook mode, and PUBLIC_BASE_URL suits a webhook"
    )
    wrong = settings(telegram_webhook_secret="abc", public_base_url="http://x.example.com/healthz")
    assert [line.status for line in check_agreement(wrong)] == [Status.FAIL, Status.FAIL]


NONCE = "f" * 32
URL = "https://bot.example.com/healthz"


@pytest.mark.parametrize(
    ("status", "kind", "body", "expected"),
    [
        (200, "application/json", b'{"photobot_check": "' + NONCE.encode() + b'"}', "reaches this"),
        (200, "application/json", b'{"photobot_check": "other"}', "another machine's"),
        (
            200,
            "application/json",
            b'{"ok":true,"redis":true,"bot":true,"mode":"live"}',
            "another Photobot",
        ),
        (200, "application/json", b'{"status": "up"}', "something else (JSON, HTTP 200)"),
        (200, "text/html", b"<html><title>ngrok</title></html>", "ngrok's browser warning"),
        (200, "text/html", b"<html>bypass-tunnel-reminder</html>", "localtunnel's reminder"),
        (401, "text/html", b"<html>Please sign in</html>", "a login page"),
        (502, "text/html", b"<!DOCTYPE html><h1>Bad gateway</h1>", "a proxy error page (HTTP 502)"),
        (404, "text/plain", b"404 page not found", "answered HTTP 404 (text/plain)"),
    ],
)
def test_what_answered_the_public_url(status: int, kind: str, body: bytes, expected: str) -> None:
    line = judge(URL, status, kind, body, NONCE, running=False)
    assert expected in line.text
    assert line.failed is (expected != "reaches this")


def test_the_running_photobots_answer_is_accepted_only_while_it_holds_the_port() -> None:
    body = b'{"ok":true,"redis":true,"bot":true,"mode":"live"}'
    assert judge(URL, 200, "application/json", body, None, running=True).status is Status.OK


def test_html_pages_carry_the_tunnel_advice() -> None:
    line = judge(URL, 200, "text/html", b"<html>ngrok</html>", NONCE, running=False)
    assert (
        "use cloudflared or localtunnel, or no public URL at all (jobs are then polled)"
        in line.text
    )


@pytest.mark.parametrize(
    ("config", "status", "text"),
    [
        (
            {"appendonly": "yes", "save": "", "hash-max-listpack-value": "4096"},
            Status.OK,
            "append-only file on, hash-max-listpack-value 4096",
        ),
        (
            {"appendonly": "no", "save": "3600 1", "hash-max-ziplist-value": "4096"},
            Status.OK,
            "snapshots on",
        ),
        (
            {"appendonly": "no", "save": "", "hash-max-listpack-value": "4096"},
            Status.FAIL,
            "keeps nothing on disk",
        ),
        (
            {"appendonly": "yes", "save": "", "hash-max-listpack-value": "64"},
            Status.WARN,
            "hash-max-listpack-value is 64: set it to 4096",
        ),
        (None, Status.WARN, "unknown (CONFIG is disabled)"),
    ],
)
def test_redis_config_as_one_line(config: dict[str, str] | None, status: Status, text: str) -> None:
    line = redis_line("7.2.4", config)
    assert line.status is status
    assert text in line.text


async def test_a_check_past_its_deadline_or_raising_is_one_line() -> None:
    never = asyncio.Event()

    async def hangs() -> list[Line]:
        await never.wait()
        return []

    async def breaks() -> list[Line]:
        raise KeyError("123456:AAH-very-secret-telegram-token")

    assert await guarded("REDIS_URL", 0.01, hangs) == [
        Line(Status.FAIL, "REDIS_URL: no answer within 0.01 s")
    ]
    assert await guarded("storage", 1, breaks) == [
        Line(Status.FAIL, "storage: could not check: KeyError")
    ]
