"""Settings read from the environment or a `.env` file, validated once at start-up."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

EXIT_CONFIG_ERROR = 2

ProviderName = Literal["kie", "novita"]


class Settings(BaseSettings):
    """Every setting Photobot reads; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        # `KEY=` in .env means "not set", as the commented .env.example writes it.
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr
    telegram_api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    telegram_webhook_secret: SecretStr | None = None
    # Unset: polling mode. Nothing reaches Photobot from outside: Telegram by long polling,
    # providers polled for every job, input files handed to Kie through its file upload API.
    public_base_url: AnyHttpUrl | None = None
    http_host: str = "0.0.0.0"
    http_port: int = Field(8080, ge=1, le=65535)

    kie_api_key: SecretStr
    kie_base_url: AnyHttpUrl = AnyHttpUrl("https://api.kie.ai")
    kie_webhook_hmac_key: SecretStr | None = None
    # Kie's file upload host: input files go there when Photobot has no public URL to offer.
    kie_upload_base_url: AnyHttpUrl = AnyHttpUrl("https://kieai.redpandaai.co")
    novita_api_key: SecretStr | None = None
    novita_base_url: AnyHttpUrl = AnyHttpUrl("https://api.novita.ai")
    novita_seedream_mode: Literal["async", "sync"] = "async"
    novita_test_mode: Literal["off", "succeed", "fail"] = "off"
    # Providers allowed for /imagine and for /video on a photo, in order of preference; a
    # provider failing for a reason the user did not cause is skipped for the cool-down.
    text_to_image_providers: Annotated[tuple[ProviderName, ...], NoDecode] = ("kie", "novita")
    image_to_video_providers: Annotated[tuple[ProviderName, ...], NoDecode] = ("kie", "novita")
    failover_cooldown_seconds: float = Field(300.0, gt=0)

    redis_url: str | None = None
    r2_endpoint_url: AnyHttpUrl | None = None
    r2_access_key_id: SecretStr | None = None
    r2_secret_access_key: SecretStr | None = None
    r2_bucket: str | None = None
    signed_url_ttl: int = Field(3600, ge=60, le=7 * 24 * 3600)
    # Stored inputs, kept results, download-link copies and job records older than this are
    # deleted (bot/storage/sweep.py; records by their Redis expiry).
    media_retention_days: int = Field(14, ge=1, le=3650)
    callback_secret: SecretStr | None = None
    # When set, GET /metrics needs `Authorization: Bearer <this>`.
    metrics_token: SecretStr | None = None

    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # When set, only these users (and admins) may use the bot; everyone else is told once an hour.
    allowed_user_ids: Annotated[frozenset[int] | None, NoDecode] = None
    media_hosts: Annotated[tuple[str, ...], NoDecode] = ("*",)
    media_allow_private: bool = False
    # Where result downloads are spooled before upload; unset: the system's (honours TMPDIR).
    media_tmp_dir: Path | None = None
    poll_after_seconds: float = Field(45.0, gt=0)
    kie_confirm_results: bool = False
    user_max_jobs_in_flight: int = Field(3, ge=0)
    user_max_jobs_per_hour: int = Field(30, ge=0)
    # Credits (bot/credits/): off, every job is free under the limits above; stars, jobs cost
    # their price in credits, and credits are bought with Telegram Stars.
    payments: Literal["off", "stars"] = "off"
    free_credits: int = Field(12, ge=0, le=1_000_000)  # a new user's; 3 images at 4
    daily_free_credits: int = Field(0, ge=0, le=1_000_000)  # a balance below it is topped up daily
    # model=credits,... over the registry's prices (checked against it at start-up).
    prices: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # stars:credits,... the packages /buy offers.
    star_packages: Annotated[tuple[tuple[int, int], ...], NoDecode] = ((50, 100), (150, 330))
    # Admins are alerted when a provider's balance falls below this (its own unit).
    provider_balance_alert: float | None = Field(None, ge=0)
    video_engine: Literal["grok", "sora"] = "grok"
    # For users who chose no language and whose Telegram app speaks one Photobot does not.
    default_language: Literal["en", "id"] = "en"
    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    # json: one object a line, with the job id on every line logged while working on a job.
    log_format: Literal["text", "json"] = "text"

    @property
    def retention_s(self) -> int:
        return self.media_retention_days * 24 * 3600

    @field_validator("admin_ids", "allowed_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip() and info.field_name == "allowed_user_ids":
            return None  # set but empty: no allow-list, rather than nobody allowed in
        if isinstance(value, str):
            parts = [part for part in value.replace(" ", "").split(",") if part]
            if not all(re.fullmatch(r"-?[0-9]{1,20}", part) for part in parts):
                raise ValueError("expected comma-separated numeric Telegram user ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("prices", mode="before")
    @classmethod
    def _split_prices(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        prices: dict[str, int] = {}
        for part in (p.strip() for p in value.split(",") if p.strip()):
            match = re.fullmatch(r"([\w./-]{1,100})\s*=\s*([0-9]{1,7})", part)
            if match is None:
                raise ValueError("expected model=credits pairs, e.g. nano-banana-pro=4")
            prices[match[1]] = int(match[2])
        return prices

    @field_validator("star_packages", mode="before")
    @classmethod
    def _split_packages(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        packages = []
        for part in (p.strip() for p in value.split(",") if p.strip()):
            match = re.fullmatch(r"([0-9]{1,6})\s*:\s*([0-9]{1,9})", part)
            if match is None or int(match[1]) < 1 or int(match[2]) < 1:
                raise ValueError("expected stars:credits pairs, e.g. 50:100,200:450")
            packages.append((int(match[1]), int(match[2])))
        if not packages and value.strip():
            raise ValueError("expected stars:credits pairs, e.g. 50:100,200:450")
        if len({stars for stars, _ in packages}) != len(packages):
            raise ValueError("two packages cost the same number of stars")
        if len(packages) > 10:
            raise ValueError("at most 10 packages")
        return tuple(packages)

    @field_validator("media_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("text_to_image_providers", "image_to_video_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(part.strip().lower() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError("expected at least one of kie, novita")
        if len(set(value)) != len(value):
            raise ValueError("a provider is listed twice")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        return value or None

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def charges(self) -> bool:
        """Whether jobs cost credits."""
        return self.payments == "stars"

    @property
    def uses_r2(self) -> bool:
        return self.r2_endpoint_url is not None

    @property
    def webhook_mode(self) -> bool:
        return self.telegram_webhook_secret is not None

    @property
    def callbacks(self) -> bool:
        """Whether providers can call back (PUBLIC_BASE_URL is set); otherwise polling mode."""
        return self.public_base_url is not None

    @property
    def callbacks_label(self) -> str:
        """How the start-up line, /healthz and /stats name the mode."""
        return "on" if self.callbacks else "off (polling)"

    def base_url(self) -> str:
        """PUBLIC_BASE_URL without a trailing slash; only for callers that checked `callbacks`."""
        if self.public_base_url is None:
            raise ConfigError("PUBLIC_BASE_URL is not set")
        return str(self.public_base_url).rstrip("/")

    def secret_values(self) -> list[str]:
        """Every secret setting's value, for the log scrubber."""
        secrets = (
            self.telegram_bot_token,
            self.kie_api_key,
            self.kie_webhook_hmac_key,
            self.novita_api_key,
            self.r2_secret_access_key,
            self.callback_secret,
            self.telegram_webhook_secret,
            self.metrics_token,
        )
        return [s.get_secret_value() for s in secrets if s is not None]

    def check_webhook_url(self) -> None:
        """Telegram can only push updates to a public URL: a secret without one is a mistake
        that would otherwise leave the bot deaf."""
        if self.webhook_mode and not self.callbacks:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is set but PUBLIC_BASE_URL is not: a webhook needs a "
                "public URL (set PUBLIC_BASE_URL, or unset TELEGRAM_WEBHOOK_SECRET to poll)"
            )

    def check_r2_complete(self) -> None:
        """R2 is all or nothing: a half-configured bucket would fail on the first photo."""
        if not self.uses_r2:
            if self.r2_access_key_id or self.r2_secret_access_key or self.r2_bucket:
                raise ConfigError("R2_ENDPOINT_URL is required when other R2_ settings are set")
            return
        for name in ("r2_access_key_id", "r2_secret_access_key", "r2_bucket"):
            if not getattr(self, name):
                raise ConfigError(f"{name.upper()} is required when R2_ENDPOINT_URL is set")


class _ExplicitSettings(Settings):
    """Settings from the values given and nothing else: no environment, no `.env` file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


def describe(error: ValidationError) -> str:
    """One line naming the first bad variable and what is expected."""
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    if first["type"] == "missing":
        return f"{name} is required"
    return f"{name} is invalid: {first['msg']}"


def load_settings(*, from_env: bool = True, **values: Any) -> Settings:
    """Build settings from the environment plus `values` (or, without `from_env`, from `values`
    alone, as tests do); raises ConfigError on bad input."""
    try:
        settings = (Settings if from_env else _ExplicitSettings)(**values)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    settings.check_r2_complete()
    settings.check_webhook_url()
    return settings


def load_settings_or_exit() -> Settings:
    """Used by the command line: a bad setting prints one line and exits with code 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"photobot: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
