"""Settings validation: every bad variable is named, no value is echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import EXIT_CONFIG_ERROR, ConfigError, Settings, load_settings

TOKEN = "123456:AAH-very-secret-telegram-token"
KIE_KEY = "kie-secret-api-key-0123456789"
BASE = {
    "telegram_bot_token": TOKEN,
    "kie_api_key": KIE_KEY,
    "public_base_url": "https://bot.example.com",
}
_PREFIXES = ("TELEGRAM_", "KIE_", "R2_", "REDIS_", "NOVITA_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the developer's or CI's environment."""
    names = {name.upper() for name in Settings.model_fields}
    for var in list(os.environ):
        if var.upper().startswith(_PREFIXES) or var.upper() in names:
            monkeypatch.delenv(var, raising=False)


def load(**values: Any) -> Settings:
    return load_settings(_env_file=None, **values)


def config_error(**values: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load(**values)
    return str(info.value)


def test_minimal_settings_load_with_defaults() -> None:
    settings = load(**BASE)
    assert settings.telegram_bot_token.get_secret_value() == TOKEN
    assert settings.base_url() == "https://bot.example.com"
    assert settings.http_port == 8080
    assert settings.redis_url is None
    assert settings.admin_ids == frozenset()
    assert settings.media_hosts == ("*",)
    assert settings.uses_r2 is False
    assert settings.webhook_mode is False
    assert settings.log_level == "INFO"


def test_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KIE_API_KEY", KIE_KEY)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.com/")
    monkeypatch.setenv("HTTP_PORT", "9000")
    monkeypatch.setenv("ADMIN_IDS", "1, 2,3")
    settings = load()
    assert settings.http_port == 9000
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.base_url() == "https://bot.example.com"


@pytest.mark.parametrize("missing", ["telegram_bot_token", "kie_api_key"])
def test_missing_required_setting_is_named(missing: str) -> None:
    values = {k: v for k, v in BASE.items() if k != missing}
    message = config_error(**values)
    assert message == f"{missing.upper()} is required"


def test_missing_token_from_empty_environment_is_named_first() -> None:
    assert config_error() == "TELEGRAM_BOT_TOKEN is required"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("http_port", "eighty"),
        ("http_port", "0"),
        ("http_port", "70000"),
        ("public_base_url", "not a url"),
        ("public_base_url", "ftp://bot.example.com"),
        ("redis_url", "http://localhost:6379"),
        ("redis_url", "localhost:6379"),
        ("log_level", "LOUD"),
        ("signed_url_ttl", "10"),
        ("poll_after_seconds", "0"),
        ("media_allow_private", "maybe"),
        ("kie_base_url", "nope"),
    ],
)
def test_malformed_setting_is_named_without_secrets(name: str, value: str) -> None:
    message = config_error(**{**BASE, name: value})
    assert message.startswith(f"{name.upper()} is invalid: ")
    assert "\n" not in message
    assert TOKEN not in message
    assert KIE_KEY not in message


@pytest.mark.parametrize(
    ("name", "env_value"),
    [("HTTP_PORT", "80x"), ("PUBLIC_BASE_URL", "bot.example.com"), ("REDIS_URL", "tcp://r"),
     ("LOG_LEVEL", "verbose")],
)  # fmt: skip
def test_malformed_environment_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, env_value: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KIE_API_KEY", KIE_KEY)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.com")
    monkeypatch.setenv(name, env_value)
    message = config_error()
    assert message.startswith(f"{name} is invalid")
    assert TOKEN not in message and KIE_KEY not in message


@pytest.mark.parametrize(
    ("name", "secret_looking_value"),
    [
        ("http_port", "hunter2-SECRET"),
        ("public_base_url", "hunter2-SECRET"),
        ("redis_url", "hunter2-SECRET"),
        ("log_level", "hunter2-SECRET"),
        ("media_allow_private", "hunter2-SECRET"),
    ],
)
def test_bad_value_is_not_echoed(name: str, secret_looking_value: str) -> None:
    message = config_error(**{**BASE, name: secret_looking_value})
    assert name.upper() in message
    assert "hunter2" not in message


def test_bad_admin_ids_value_is_not_echoed() -> None:
    message = config_error(**{**BASE, "admin_ids": "1,hunter2-SECRET"})
    assert "ADMIN_IDS" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("raw", "ids"),
    [("1, 2,3", {1, 2, 3}), ("42", {42}), ("", set()), ("7,,8,", {7, 8}), (" 5 , 5 ", {5})],
)
def test_admin_ids_parsed(raw: str, ids: set[int]) -> None:
    assert load(**BASE, admin_ids=raw).admin_ids == frozenset(ids)


@pytest.mark.parametrize(
    ("raw", "ids"), [("1, 2", frozenset({1, 2})), ("", None), ("  ", None), (None, None)]
)
def test_an_empty_allow_list_is_no_list_rather_than_nobody(
    raw: str | None, ids: frozenset[int] | None
) -> None:
    values = {**BASE} if raw is None else {**BASE, "allowed_user_ids": raw}
    assert load(**values).allowed_user_ids == ids


@pytest.mark.parametrize(
    ("raw", "hosts"),
    [
        ("*", ("*",)),
        ("tempfile.aiquickdraw.com", ("tempfile.aiquickdraw.com",)),
        (" *.AIQuickDraw.com , files.example.com,, ", ("*.aiquickdraw.com", "files.example.com")),
        ("", ()),
    ],
)
def test_media_hosts_parsed(raw: str, hosts: tuple[str, ...]) -> None:
    assert load(**BASE, media_hosts=raw).media_hosts == hosts


def test_media_hosts_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_HOSTS", "a.example.com, *.b.example.com")
    settings = load(**BASE)
    assert settings.media_hosts == ("a.example.com", "*.b.example.com")


@pytest.mark.parametrize(
    ("value", "level"), [("debug", "DEBUG"), ("Warning", "WARNING"), ("CRITICAL", "CRITICAL")]
)
def test_log_level_normalised(value: str, level: str) -> None:
    assert load(**BASE, log_level=value).log_level == level


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379/0", "rediss://r.example:6380", "unix:///tmp/r.sock"]
)
def test_redis_url_accepted(url: str) -> None:
    assert load(**BASE, redis_url=url).redis_url == url


R2_FULL = {
    "r2_endpoint_url": "https://acct.r2.cloudflarestorage.com",
    "r2_access_key_id": "AKIA-r2-id",
    "r2_secret_access_key": "r2-very-secret-key",
    "r2_bucket": "photobot",
}


def test_full_r2_configuration_loads() -> None:
    settings = load(**BASE, **R2_FULL)
    assert settings.uses_r2 is True
    assert settings.r2_bucket == "photobot"


@pytest.mark.parametrize("missing", ["r2_access_key_id", "r2_secret_access_key", "r2_bucket"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_partial_r2_names_the_missing_variable(missing: str, how: str) -> None:
    values = {k: v for k, v in R2_FULL.items() if k != missing}
    if how == "empty":
        values[missing] = ""
    message = config_error(**BASE, **values)
    assert message == f"{missing.upper()} is required when R2_ENDPOINT_URL is set"
    assert "r2-very-secret-key" not in message


def test_r2_without_endpoint_names_r2_endpoint_url() -> None:
    values = {k: v for k, v in R2_FULL.items() if k != "r2_endpoint_url"}
    message = config_error(**BASE, **values)
    assert "R2_ENDPOINT_URL" in message


def test_a_token_and_a_kie_key_alone_are_polling_mode() -> None:
    settings = load(telegram_bot_token=TOKEN, kie_api_key=KIE_KEY)
    assert settings.callbacks is False
    assert settings.callbacks_label == "off (polling)"
    assert settings.webhook_mode is False
    assert str(settings.kie_upload_base_url) == "https://kieai.redpandaai.co/"
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        settings.base_url()  # nobody may build a callback URL out of nothing
    assert load(**BASE).callbacks_label == "on"


def test_a_webhook_secret_without_a_public_url_names_both() -> None:
    message = config_error(
        telegram_bot_token=TOKEN, kie_api_key=KIE_KEY, telegram_webhook_secret="hook-SECRET-1"
    )
    assert "TELEGRAM_WEBHOOK_SECRET" in message and "PUBLIC_BASE_URL" in message
    assert "\n" not in message and "hook-SECRET-1" not in message
    assert load(**BASE, telegram_webhook_secret="hook-SECRET-1").webhook_mode


def test_a_webhook_secret_without_a_public_url_stops_the_command_line_in_one_line(
    tmp_path: Path,
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN, "KIE_API_KEY": KIE_KEY,
        "TELEGRAM_WEBHOOK_SECRET": "hook-SECRET-1",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--live"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == EXIT_CONFIG_ERROR
    [line] = result.stderr.splitlines()
    assert line.startswith("photobot: configuration error: TELEGRAM_WEBHOOK_SECRET is set but")
    assert "PUBLIC_BASE_URL" in line and "hook-SECRET-1" not in line and TOKEN not in line


def test_live_command_line_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """`--live` never falls back to the sandbox (tests/sandbox/test_command.py has the rest)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--live"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == EXIT_CONFIG_ERROR == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert result.stdout == ""


def test_settings_from_values_alone_ignore_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KIE_WEBHOOK_HMAC_KEY", "from-the-shell")
    monkeypatch.setenv("USER_MAX_JOBS_IN_FLIGHT", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    settings = load_settings(from_env=False, **BASE)
    assert settings.kie_webhook_hmac_key is None
    assert settings.user_max_jobs_in_flight == 3
    assert settings.log_level == "INFO"
    assert load_settings(**BASE).kie_webhook_hmac_key is not None  # the default does read it


def test_novita_settings_default_to_async_without_test_mode() -> None:
    settings = load(**BASE)
    assert settings.novita_api_key is None
    assert (settings.novita_seedream_mode, settings.novita_test_mode) == ("async", "off")
    assert (
        settings.text_to_image_providers == settings.image_to_video_providers == ("kie", "novita")
    )
    assert settings.failover_cooldown_seconds == 300


@pytest.mark.parametrize(
    ("name", "value"),
    [("novita_seedream_mode", "later"), ("novita_test_mode", "maybe"),
     ("text_to_image_providers", "kie,openai"), ("image_to_video_providers", ""),
     ("text_to_image_providers", "kie,kie"), ("failover_cooldown_seconds", "0")],
)  # fmt: skip
def test_bad_novita_and_preference_values_are_named(name: str, value: str) -> None:
    assert config_error(**BASE, **{name: value}).startswith(name.upper())


def test_provider_lists_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXT_TO_IMAGE_PROVIDERS", " Novita, kie ")
    monkeypatch.setenv("IMAGE_TO_VIDEO_PROVIDERS", "novita")
    settings = load(**BASE)
    assert settings.text_to_image_providers == ("novita", "kie")
    assert settings.image_to_video_providers == ("novita",)


def test_metrics_token_is_a_secret_for_the_log_scrubber() -> None:
    settings = load(**BASE, metrics_token="metrics-token-0123456789")
    assert "metrics-token-0123456789" in settings.secret_values()
    assert "metrics-token-0123456789" not in repr(settings)
    assert load(**BASE).metrics_token is None  # unset: /metrics is open


def test_credit_settings_parsed() -> None:
    settings = load_settings(
        from_env=False, **BASE, payments="stars", prices="nano-banana-pro=5, suno/generate = 9",
        star_packages="50:100, 200:450",
    )  # fmt: skip
    assert settings.charges
    assert settings.prices == {"nano-banana-pro": 5, "suno/generate": 9}
    assert settings.star_packages == ((50, 100), (200, 450))
    assert not load_settings(from_env=False, **BASE).charges  # off by default


@pytest.mark.parametrize(
    ("name", "value"),
    [("payments", "paypal"), ("prices", "nano-banana-pro"), ("prices", "nano-banana-pro=-1"),
     ("star_packages", "50"), ("star_packages", "0:100"), ("star_packages", "50:100,50:200"),
     ("free_credits", "-1")],
)  # fmt: skip
def test_bad_credit_settings_are_named(name: str, value: str) -> None:
    assert config_error(**BASE, **{name: value}).startswith(name.upper())


def test_a_price_for_a_model_we_do_not_have_stops_start_up(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "TELEGRAM_BOT_TOKEN": TOKEN, "KIE_API_KEY": KIE_KEY,
           "PUBLIC_BASE_URL": "https://bot.example.com", "PRICES": "dall-e=3"}  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "bot", "--live"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == EXIT_CONFIG_ERROR
    assert result.stderr.strip().splitlines() == [
        "photobot: configuration error: PRICES is invalid: no model is called 'dall-e'"
    ]
