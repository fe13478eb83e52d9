"""TELEGRAM_WEBHOOK_SECRET and PUBLIC_BASE_URL agree: webhook mode needs an HTTPS URL Telegram
accepts, and PUBLIC_BASE_URL is a base, not one of Photobot's routes pasted whole."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Settings
from bot.runtime.check.base import Line, fail, ok

# Telegram sends webhooks to these ports only (setWebhook).
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook's secret_token
# Photobot's own routes: PUBLIC_BASE_URL ending in one is a route pasted instead of the base.
_ROUTE_SUFFIX = re.compile(r"/(telegram/webhook|healthz|metrics|stats|api(/.*)?|media(/.*)?)$")


def check_agreement(settings: Settings) -> list[Line]:
    """Every disagreement, one line each; one ok line when there is none."""
    base = settings.public_base_url
    problems = url_problems(str(base)) if base is not None else []
    if settings.telegram_webhook_secret is not None:
        problems += webhook_problems(
            settings.telegram_webhook_secret.get_secret_value(), None if base is None else str(base)
        )
    if problems:
        return [fail(problem) for problem in problems]
    return [ok(_mode(settings.webhook_mode, base is not None))]


def url_problems(url: str) -> list[str]:
    """Path mistakes in PUBLIC_BASE_URL."""
    parts = urlsplit(url)
    problems = []
    if parts.query or parts.fragment:
        problems.append(
            "PUBLIC_BASE_URL: has a query string or fragment: give the base only, "
            f"like {parts.scheme}://{parts.netloc}"
        )
    route = _ROUTE_SUFFIX.search(parts.path.rstrip("/"))
    if route is not None:
        problems.append(
            f"PUBLIC_BASE_URL: ends in {route[0]}, one of Photobot's routes: give "
            f"the base only, like {parts.scheme}://{parts.netloc}"
        )
    return problems


def webhook_problems(secret: str, url: str | None) -> list[str]:
    """What keeps Telegram from accepting the webhook this configuration asks for."""
    problems = []
    if not SECRET_TOKEN.fullmatch(secret):
        problems.append(
            "TELEGRAM_WEBHOOK_SECRET: Telegram takes 1-256 characters of A-Z, a-z, "
            "0-9, _ and - only"
        )
    if url is None:
        problems.append(
            "TELEGRAM_WEBHOOK_SECRET is set but PUBLIC_BASE_URL is not: a webhook "
            "needs a public HTTPS URL; unset the secret to poll instead"
        )
        return problems
    parts = urlsplit(url)
    if parts.scheme != "https":
        problems.append(
            "PUBLIC_BASE_URL: Telegram sends webhooks to https:// URLs only; "
            "unset TELEGRAM_WEBHOOK_SECRET to poll instead"
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port not in WEBHOOK_PORTS:
        problems.append(
            f"PUBLIC_BASE_URL: Telegram sends webhooks to ports 443, 80, 88 and "
            f"8443 only, not {port}"
        )
    return problems


def _mode(webhook: bool, public_url: bool) -> str:
    if webhook:
        return "TELEGRAM_WEBHOOK_SECRET: webhook mode, and PUBLIC_BASE_URL suits a webhook"
    if public_url:
        return (
            "TELEGRAM_WEBHOOK_SECRET: unset: Telegram is polled; PUBLIC_BASE_URL serves callbacks"
        )
    return "TELEGRAM_WEBHOOK_SECRET: unset: Telegram is polled, and callbacks are off"
