"""Dockerfile, compose.yaml and .env.example agree with each other and with bot/config.py (there
is no Docker engine here to run them, so their contracts are checked as files)."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.config import Settings, load_settings
from bot.runtime.healthcheck import DEFAULT_PORT

ROOT = Path(__file__).resolve().parent.parent
REDIS_IN_COMPOSE = "redis://redis:6379/0"
# What `docker run --env-file .env` needs on top of a copied .env.example to start.
FILLED_IN = {
    "TELEGRAM_BOT_TOKEN": "123456:filled-in-token",
    "KIE_API_KEY": "filled-in-key",
    "PUBLIC_BASE_URL": "https://photobot.example.com",
}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    steps = [line.strip().split(None, 1) for line in joined.splitlines() if line.strip()]
    return [(step[0].upper(), step[1] if len(step) > 1 else "") for step in steps]


def instruction(name: str) -> str:
    """The last one of its kind, which is the one Docker uses."""
    return [args for step, args in dockerfile() if step == name][-1]


def image_env() -> dict[str, str]:
    pairs = (item.split("=", 1) for item in instruction("ENV").split())
    return {key: value for key, value in pairs}


def env_file(path: Path) -> dict[str, str]:
    """Parsed as `docker run --env-file` does: KEY=VALUE lines, `#` comments, no quoting."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def container_settings(env: dict[str, str]) -> Settings:
    """The settings Photobot builds from a container's environment (`KEY=` counts as unset)."""
    values = {key.lower(): value for key, value in env.items() if value}
    return load_settings(from_env=False, **values)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_image_runs_photobot_live_as_the_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(instruction("CMD")) == ["photobot", "--live"]
    assert scripts["photobot"] == "bot.__main__:main"


def test_the_image_healthcheck_is_exec_form_and_follows_the_port(
    compose: dict[str, Any],
) -> None:
    options, _, command = instruction("HEALTHCHECK").partition(" CMD ")
    exec_form = json.loads(command)  # JSON array: exec form, no shell
    assert exec_form == ["python", "-m", "bot.runtime.healthcheck"]
    assert importlib.util.find_spec(exec_form[2]) is not None
    assert (
        "--timeout=5s" in options
    )  # the module's own timeout is shorter, see bot/runtime/healthcheck.py
    assert compose["services"]["photobot"]["healthcheck"]["test"] == ["CMD", *exec_form]
    assert Settings.model_fields["http_port"].default == DEFAULT_PORT
    assert instruction("EXPOSE") == str(DEFAULT_PORT)


def test_a_copied_env_example_keeps_data_on_the_volume() -> None:
    """`docker run --env-file .env` with .env copied from .env.example: DATA_DIR is the image's
    /data, which is the volume and belongs to the image's user."""
    example = env_file(ROOT / ".env.example")
    env = {**image_env(), **example, **FILLED_IN, "REDIS_URL": REDIS_IN_COMPOSE}

    assert "DATA_DIR" not in example
    volume = json.loads(instruction("VOLUME"))
    assert container_settings(env).data_dir == Path(image_env()["DATA_DIR"])
    assert [str(container_settings(env).data_dir)] == volume
    assert f"chown photobot:photobot {volume[0]}" in instruction("RUN")


def test_a_relative_data_dir_from_an_older_env_lands_on_the_volume() -> None:
    """An .env written for running outside Docker (DATA_DIR=./data, the default) resolves, from
    the image's working directory, to a link to the volume."""
    env = {**image_env(), **FILLED_IN, "DATA_DIR": "./data"}
    workdir = PurePosixPath(instruction("WORKDIR"))
    resolved = workdir / PurePosixPath(container_settings(env).data_dir.as_posix())
    [volume] = json.loads(instruction("VOLUME"))

    assert str(resolved) == "/app/data"
    assert f"ln -s {volume} {resolved}" in instruction("RUN")


def test_every_setting_is_in_env_example_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text()
    named = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    assert named == {name.upper() for name in Settings.model_fields}


def test_compose_runs_photobot_after_a_healthy_redis(compose: dict[str, Any]) -> None:
    photobot, redis = compose["services"]["photobot"], compose["services"]["redis"]

    assert photobot["build"] == "."
    assert photobot["env_file"] == ".env"
    assert photobot["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert container_settings({**FILLED_IN, **photobot["environment"]}).redis_url == (
        REDIS_IN_COMPOSE
    )
    assert photobot["environment"]["DATA_DIR"] == json.loads(instruction("VOLUME"))[0]
    port = f"${{HTTP_PORT:-{DEFAULT_PORT}}}"
    assert photobot["ports"] == [f"{port}:{port}"]

    assert redis["image"].split(":")[0] == "redis"
    assert redis["command"][:1] == ["redis-server"]
    assert "--appendonly yes" in " ".join(redis["command"])
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_compose_keeps_both_services_data_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    mounts = {
        name: dict(volume.split(":", 1) for volume in service["volumes"])
        for name, service in compose["services"].items()
    }
    assert mounts == {"photobot": {"photobot-data": "/data"}, "redis": {"redis-data": "/data"}}
    assert declared == {"photobot-data", "redis-data"}


def test_the_build_context_leaves_secrets_and_virtualenvs_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv*", "data"} <= set(ignored)
