"""Whether a plain `photobot` runs the live bot or falls back to the sandbox: only when none of
the live settings is set, in the environment or `.env`."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings

from bot.config import ConfigError, Settings, describe

# Any one of these means someone meant to go live; the others missing is then a mistake.
LIVE_SETTINGS = ("TELEGRAM_BOT_TOKEN", "PUBLIC_BASE_URL", "KIE_API_KEY", "NOVITA_API_KEY")
DEFAULT_PORT = 8080


class _Glance(BaseSettings):
    """The few settings the choice reads, from the same sources as the live settings."""

    model_config = Settings.model_config

    telegram_bot_token: str | None = None
    public_base_url: str | None = None
    kie_api_key: str | None = None
    novita_api_key: str | None = None
    http_port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)


def nothing_configured() -> bool:
    """True when none of LIVE_SETTINGS is set (an empty value counts as unset)."""
    glance = _read()
    return not any(getattr(glance, name.lower()) for name in LIVE_SETTINGS)


def sandbox_port() -> int:
    """HTTP_PORT when it is set, else 8080."""
    return _read().http_port


def _read() -> _Glance:
    try:
        return _Glance()
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
