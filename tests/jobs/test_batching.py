"""The batched Lua runner against a real Redis: results, errors, and a flushed script cache."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.jobs.batching import BatchedScript

ECHO_OR_FAIL = """
if ARGV[1] == 'fail' then return redis.error_reply('asked to fail') end
redis.call('INCR', KEYS[1])
return ARGV[1]
"""


async def test_concurrent_calls_each_get_their_own_answer(redis: Redis) -> None:
    script = BatchedScript(redis, ECHO_OR_FAIL)

    answers = await asyncio.gather(*(script(["counter"], [f"v{n}"]) for n in range(500)))

    assert answers == [f"v{n}" for n in range(500)]
    assert await redis.get("counter") == "500"


async def test_one_failing_call_does_not_fail_its_batch(redis: Redis) -> None:
    script = BatchedScript(redis, ECHO_OR_FAIL)

    results = await asyncio.gather(
        script(["c"], ["a"]), script(["c"], ["fail"]), script(["c"], ["b"]),
        return_exceptions=True,
    )  # fmt: skip

    assert results[0] == "a" and results[2] == "b"
    assert isinstance(results[1], ResponseError)


async def test_script_cache_flush_is_survived(redis: Redis) -> None:
    script = BatchedScript(redis, ECHO_OR_FAIL)
    assert await script(["k"], ["first"]) == "first"

    await redis.script_flush()

    assert await script(["k"], ["second"]) == "second"
    assert await redis.get("k") == "2"  # the refused call did not run twice


async def test_unreachable_redis_fails_every_caller() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    script = BatchedScript(dead, ECHO_OR_FAIL)
    try:
        results = await asyncio.gather(
            *(script(["k"], ["x"]) for _ in range(3)), return_exceptions=True
        )
    finally:
        await dead.aclose()

    assert all(isinstance(r, Exception) for r in results)
    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        await script(["k"], ["again"])
