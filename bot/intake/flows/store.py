"""Flows in Redis: any replica continues a user's flow, and one that sits idle for 10 minutes
is closed with a polite word."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import codec
from bot import constants as k
from bot.intake.flows.state import FLOW_TIMEOUT_S, FlowState

log = logging.getLogger(__name__)

EXPIRY_CHECK_EVERY_S = 15.0
EXPIRY_BATCH = 100

# KEYS: deadlines zset. ARGV: now, limit. Removes due flows (only the flow instance that was
# scheduled: a newer flow of the same user keeps going) and returns them.
TAKE_EXPIRED = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local chat, user, id = string.match(member, '^(-?%d+):(-?%d+):(%w+)$')
  if chat then
    local key = 'flow:' .. chat .. ':' .. user
    local raw = redis.call('GET', key)
    if raw then
      local ok, data = pcall(cjson.decode, raw)
      if ok and type(data) == 'table' and data['id'] == id then
        redis.call('DEL', key)
        table.insert(out, raw)
      end
    end
  end
end
return out
"""


def _key(chat_id: int, user_id: int) -> str:
    return k.FLOW_KEY.format(chat_id=chat_id, user_id=user_id)


class FlowStore:
    def __init__(self, redis: Redis, timeout_s: float = FLOW_TIMEOUT_S) -> None:
        self._redis = redis
        self._timeout_s = timeout_s
        self._take_expired = redis.register_script(TAKE_EXPIRED)

    async def get(self, chat_id: int, user_id: int) -> FlowState | None:
        raw = await self._redis.get(_key(chat_id, user_id))
        return codec.loads(FlowState, raw) if raw else None

    async def save(self, state: FlowState) -> None:
        """Store the flow; each step gives the user another full timeout."""
        member = f"{state.chat_id}:{state.user_id}:{state.id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(state.chat_id, state.user_id), codec.dumps(state),
                     ex=int(self._timeout_s) + 3600)  # fmt: skip
            pipe.zadd(k.FLOW_DEADLINES_KEY, {member: time.time() + self._timeout_s})
            await pipe.execute()

    async def clear(self, state: FlowState) -> None:
        member = f"{state.chat_id}:{state.user_id}:{state.id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_key(state.chat_id, state.user_id))
            pipe.zrem(k.FLOW_DEADLINES_KEY, member)
            await pipe.execute()

    async def take_expired(self, now: float) -> list[FlowState]:
        raws = await self._take_expired(keys=[k.FLOW_DEADLINES_KEY], args=[repr(now), EXPIRY_BATCH])
        return [codec.loads(FlowState, raw) for raw in raws]

    async def run_expiry(
        self,
        tell: Callable[[FlowState], Awaitable[None]],
        stopping: asyncio.Event,
        every_s: float = EXPIRY_CHECK_EVERY_S,
    ) -> None:
        """Close idle flows until stopped, telling each user once (at whichever replica)."""
        while not stopping.is_set():
            try:
                for state in await self.take_expired(time.time()):
                    try:
                        await tell(state)
                    except Exception:
                        log.exception("flow %s: timeout notice failed", state.id)
            except (RedisError, OSError) as exc:
                log.warning("flow expiry check failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every_s)
