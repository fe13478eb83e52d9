"""The bot token (getMe), the webhook Telegram holds (getWebhookInfo) and whether another process
already polls this token (getUpdates), without taking any update away from the bot."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.config import Settings
from bot.runtime.check.base import Line, fail, ok, skip, warn

CALL_TIMEOUT_S = 5.0
# How long the poller probe waits. A poller that is already running loses its pending long poll
# to the probe (Telegram answers it 409) and polls again: PTB after 1 s, other libraries after
# a few seconds; that new poll ends the probe's with 409, which is the detection.
PROBE_S = 5
REFUSED = (
    "TELEGRAM_BOT_TOKEN: Telegram refused this token ({status}): copy it again from @BotFather"
)
WEBHOOK_PATH = "/telegram/webhook"


class BotApi:
    """Bot API calls that return (HTTP status, body); the URL (it holds the token) is never
    logged or printed."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        api = str(settings.telegram_api_base_url).rstrip("/")
        self._base = f"{api}/bot{settings.telegram_bot_token.get_secret_value()}"
        self._http = http

    async def call(
        self, method: str, params: dict[str, Any] | None = None, timeout_s: float = CALL_TIMEOUT_S
    ) -> tuple[int, dict[str, Any]]:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with self._http.post(
            f"{self._base}/{method}", json=params or {}, timeout=timeout
        ) as response:
            body = await response.json(content_type=None)
        return response.status, body if isinstance(body, dict) else {}


async def check_telegram(settings: Settings, http: aiohttp.ClientSession) -> list[Line]:
    api = BotApi(http, settings)
    try:
        status, me = await api.call("getMe")
    except (aiohttp.ClientError, ValueError) as exc:
        what = type(exc).__name__
        return [fail(f"TELEGRAM_API_BASE_URL: cannot reach the Telegram Bot API ({what})")]
    if status in (401, 404):  # 404: a token of the wrong shape
        return [fail(REFUSED.format(status=status))]
    username = me.get("result", {}).get("username") if me.get("ok") else None
    if status != 200 or not isinstance(username, str):
        return [fail(f"TELEGRAM_BOT_TOKEN: getMe answered HTTP {status}, not the bot: try again")]
    return [ok(f"TELEGRAM_BOT_TOKEN: the bot is @{username}"), await _updates(api, settings)]


async def _updates(api: BotApi, settings: Settings) -> Line:
    """Who receives this bot's updates: the webhook Telegram holds, or pollers."""
    status, info = await api.call("getWebhookInfo")
    if status != 200 or not info.get("ok"):
        return fail(f"Telegram: getWebhookInfo answered HTTP {status}: try again")
    result = info.get("result", {})
    url = str(result.get("url") or "")
    if settings.webhook_mode:
        return _webhook_line(url, expected_webhook(settings), result)
    if url:
        return fail(
            f"Telegram: a webhook is set ({url}) but this configuration polls (no "
            "TELEGRAM_WEBHOOK_SECRET): another deployment may serve this bot. Stop it first "
            "(Photobot removes the webhook when it starts polling), or set "
            "TELEGRAM_WEBHOOK_SECRET to serve the webhook here"
        )
    return await _probe_pollers(api)


def expected_webhook(settings: Settings) -> str | None:
    """The webhook URL Photobot sets in webhook mode, or None without PUBLIC_BASE_URL."""
    if settings.public_base_url is None:
        return None
    return f"{settings.base_url()}{WEBHOOK_PATH}"


def _webhook_line(url: str, expected: str | None, result: dict[str, Any]) -> Line:
    if expected is None:
        return skip("Telegram: webhook not compared: PUBLIC_BASE_URL is unset")
    if not url:
        return ok(f"Telegram: webhook mode; Photobot sets the webhook to {expected} at start")
    if url != expected:
        return fail(
            f"Telegram: the webhook is set to {url}, not {expected}: if another deployment "
            "serves it, stop that one first (Photobot sets its own webhook when it starts)"
        )
    last_error = result.get("last_error_message")
    if last_error:
        return warn(f"Telegram: webhook {url} set; Telegram's last delivery failed: {last_error}")
    return ok(f"Telegram: webhook mode, the webhook is {url}")


async def _probe_pollers(api: BotApi) -> Line:
    """getUpdates with no offset: Telegram confirms (drops) an update only when a call passes an
    offset above its id, so this call takes nothing away from the bot. (offset=-1 would be
    wrong: a negative offset makes Telegram forget every earlier update.) No allowed_updates
    either: a call without it keeps the bot's own setting. Only 409 Conflict matters."""
    params = {"limit": 1, "timeout": PROBE_S}
    status, body = await api.call("getUpdates", params, timeout_s=PROBE_S + CALL_TIMEOUT_S)
    if status == 409:
        return fail(
            "Telegram: another process is polling this bot token (409 Conflict): stop it "
            "before starting Photobot (if it is this Photobot, it is already running)"
        )
    if status != 200 or not body.get("ok"):
        return fail(f"Telegram: getUpdates answered HTTP {status}: try again")
    return ok("Telegram: polling; no webhook is set and no other process polls this token")
