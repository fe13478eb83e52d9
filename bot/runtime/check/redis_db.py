"""Redis: reachable, its version, persistence on, and the compact hash encoding the README asks
for; or, with REDIS_URL unset, an embedded redis-server that can be started."""

from __future__ import annotations

import asyncio
import re

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.app.redis_server import find_redis_server
from bot.config import Settings
from bot.errors import StartupError
from bot.runtime.check.base import Line, fail, ok, warn

LISTPACK_VALUE_BYTES = 4096  # the README's hash-max-listpack-value
CONNECT_TIMEOUT_S = 3.0
VERSION_TIMEOUT_S = 5.0


async def check_redis(settings: Settings) -> list[Line]:
    if settings.redis_url is None:
        return [await _embedded()]
    client = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=5,
        decode_responses=True,
    )
    try:
        version = str((await client.info("server")).get("redis_version", "?"))
        config = await _config(client)
    except (RedisError, OSError) as exc:
        return [
            fail(
                f"REDIS_URL: cannot reach Redis ({type(exc).__name__}): check the URL, "
                "its password and that Redis runs"
            )
        ]
    finally:
        await client.aclose()
    return [redis_line(version, config)]


async def _config(client: Redis) -> dict[str, str] | None:
    """The settings that matter here, or None where CONFIG is disabled (managed Redis)."""
    try:
        found: dict[str, str] = {}
        for name in ("appendonly", "save", "hash-max-listpack-value", "hash-max-ziplist-value"):
            answer = await client.config_get(name)
            found.update({str(key): str(value) for key, value in answer.items()})
    except ResponseError:
        return None
    return found


def redis_line(version: str, config: dict[str, str] | None) -> Line:
    """One line from Redis's version and CONFIG values (None: CONFIG refused)."""
    if config is None:
        return warn(
            f"REDIS_URL: Redis {version}; persistence and hash-max-listpack-value "
            "unknown (CONFIG is disabled): make sure persistence is on"
        )
    persistence = _persistence(config)
    if persistence is None:
        return fail(
            f"REDIS_URL: Redis {version} keeps nothing on disk (appendonly no, no save "
            "points): a restart loses jobs and credits; run it with --appendonly yes"
        )
    listpack = config.get("hash-max-listpack-value") or config.get("hash-max-ziplist-value")
    if listpack is None or not listpack.isdigit() or int(listpack) < LISTPACK_VALUE_BYTES:
        return warn(
            f"REDIS_URL: Redis {version}, {persistence}; hash-max-listpack-value is "
            f"{listpack or 'unknown'}: set it to {LISTPACK_VALUE_BYTES} (job records "
            "then take 0.5 KB instead of 1.4 KB)"
        )
    return ok(f"REDIS_URL: Redis {version}, {persistence}, hash-max-listpack-value {listpack}")


def _persistence(config: dict[str, str]) -> str | None:
    if config.get("appendonly") == "yes":
        return "append-only file on"
    if config.get("save", "").strip():
        return "snapshots on (save points)"
    return None


async def _embedded() -> Line:
    """Not started here: the running bot may own DATA_DIR/redis already."""
    try:
        binary = find_redis_server()
    except StartupError as exc:
        return fail(f"REDIS_URL: unset, and {exc}")
    version = await _server_version(binary)
    return ok(
        f"REDIS_URL: unset: the embedded redis-server {version} starts with Photobot "
        "(append-only file in DATA_DIR/redis)"
    )


async def _server_version(binary: str) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            binary, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
    except OSError:
        return "(version unknown)"
    try:
        async with asyncio.timeout(VERSION_TIMEOUT_S):
            out, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return "(version unknown)"
    match = re.search(rb"v=([0-9.]+)", out)
    return match[1].decode() if match else "(version unknown)"
