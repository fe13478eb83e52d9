"""Flows in Redis: any replica continues a user's flow, one left idle past its spec's timeout is
closed (with a polite word, if its spec says so), and a waiting photo is taken at most once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial

from redis.asyncio import Redis

from bot import codec
from bot import constants as k
from bot.intake.flows import legacy
from bot.intake.flows.catalog import WAITING_PHOTO, FlowSpec
from bot.intake.flows.state import FlowState
from bot.loops import every

log = logging.getLogger(__name__)

EXPIRY_CHECK_EVERY_S = 15.0
EXPIRY_BATCH = 100
# An announced flow's record outlives its deadline by this much, so the expiry check can still
# read whom to tell after a pause (a restart, a Redis failover).
NOTICE_GRACE_S = 3600

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

# KEYS: flow, deadlines zset, legacy waiting photo. ARGV: chat, user, flow name ("" = any),
# keyboard message id ("" = any), the waiting photo's flow name (what a legacy record is).
# Removes and returns {source, record}: the user's flow if it matches, else a matching legacy
# record; with neither filter (a drop) both go. A button press compares its message here, in
# one step, so two presses (even on two replicas) take the photo once.
TAKE = """
local function decoded(raw)
  local ok, data = pcall(cjson.decode, raw)
  if ok and type(data) == 'table' then return data end
  return {}
end
local function matches(data, name)
  return (ARGV[3] == '' or name == ARGV[3])
     and (ARGV[4] == '' or tostring(data['keyboard']) == ARGV[4])
end
local taken = false
local raw = redis.call('GET', KEYS[1])
if raw then
  local data = decoded(raw)
  if matches(data, data['command']) then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. ARGV[2] .. ':' .. tostring(data['id']))
    taken = {'flow', raw}
  end
end
if taken and (ARGV[3] ~= '' or ARGV[4] ~= '') then return taken end
local old = redis.call('GET', KEYS[3])
if old and matches(decoded(old), ARGV[5]) then
  redis.call('DEL', KEYS[3])
  taken = taken or {'legacy', old}
end
return taken
"""


def record_ttl_s(spec: FlowSpec) -> int:
    """How long Redis keeps a flow's record: a silent flow's ends exactly at its deadline."""
    return int(spec.timeout_s) + (NOTICE_GRACE_S if spec.timeout_told else 0)


def _key(chat_id: int, user_id: int) -> str:
    return k.FLOW_KEY.format(chat_id=chat_id, user_id=user_id)


def _member(state: FlowState) -> str:
    return f"{state.chat_id}:{state.user_id}:{state.id}"


class FlowStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._take_expired = redis.register_script(TAKE_EXPIRED)
        self._take = redis.register_script(TAKE)

    async def get(self, chat_id: int, user_id: int) -> FlowState | None:
        raw = await self._redis.get(_key(chat_id, user_id))
        return codec.loads(FlowState, raw) if raw else None

    async def save(self, state: FlowState) -> None:
        """Store the flow (in place of any other of the user's); each step gives the user
        another full timeout."""
        spec = state.spec
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(state.chat_id, state.user_id), codec.dumps(state),
                     ex=record_ttl_s(spec))  # fmt: skip
            pipe.zadd(k.FLOW_DEADLINES_KEY, {_member(state): time.time() + spec.timeout_s})
            await pipe.execute()

    async def clear(self, state: FlowState) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_key(state.chat_id, state.user_id))
            pipe.zrem(k.FLOW_DEADLINES_KEY, _member(state))
            await pipe.execute()

    async def take_photo(
        self, chat_id: int, user_id: int, keyboard_message_id: int | None = None
    ) -> FlowState | None:
        """Remove and return the photo waiting for a style; with a keyboard id, only if it
        waits under that one (a forged button on another message takes nothing)."""
        found = await self._run_take(chat_id, user_id, WAITING_PHOTO.command, keyboard_message_id)
        if not found:
            return None
        source, raw = found
        if source == "legacy":
            return legacy.waiting_photo(str(raw), chat_id, user_id)
        return codec.loads(FlowState, raw)

    async def forget(self, user_id: int) -> dict[str, int]:
        """Every flow (or waiting photo) of the user, in any chat, found through the deadlines
        every flow has (ZSCAN: a few entries at a time, never a scan of all keys)."""
        ended = 0
        async for member, _ in self._redis.zscan_iter(k.FLOW_DEADLINES_KEY, match=f"*:{user_id}:*"):
            chat, user, _flow = codec.text(member).split(":", 2)
            if user != str(user_id):
                continue
            ended += await self.drop(int(chat), user_id)
            await self._redis.zrem(k.FLOW_DEADLINES_KEY, member)
        return {"flows": ended}

    async def drop(self, chat_id: int, user_id: int) -> bool:
        """End whatever the user's flow or waiting photo is; whether there was one."""
        return bool(await self._run_take(chat_id, user_id, "", None))

    async def _run_take(
        self, chat_id: int, user_id: int, name: str, keyboard_message_id: int | None
    ) -> list[str] | None:
        keys = [
            _key(chat_id, user_id),
            k.FLOW_DEADLINES_KEY,
            k.LEGACY_WAITING_PHOTO_KEY.format(chat_id=chat_id, user_id=user_id),
        ]
        keyboard = "" if keyboard_message_id is None else str(keyboard_message_id)
        found = await self._take(
            keys=keys, args=[chat_id, user_id, name, keyboard, WAITING_PHOTO.command]
        )
        return list(found) if found else None

    async def take_expired(self, now: float) -> list[FlowState]:
        raws = await self._take_expired(keys=[k.FLOW_DEADLINES_KEY], args=[repr(now), EXPIRY_BATCH])
        return [codec.loads(FlowState, raw) for raw in raws]

    async def run_expiry(
        self,
        tell: Callable[[FlowState], Awaitable[None]],
        stopping: asyncio.Event,
        every_s: float = EXPIRY_CHECK_EVERY_S,
    ) -> None:
        """Close idle flows until stopped, telling each user once (at whichever replica) when
        the flow's spec says so."""
        await every(every_s, partial(self._expire, tell), stopping, what="flow expiry check")

    async def _expire(self, tell: Callable[[FlowState], Awaitable[None]]) -> None:
        for state in await self.take_expired(time.time()):
            try:
                if state.spec.timeout_told:
                    await tell(state)
            except Exception:
                log.exception("flow %s: timeout notice failed", state.id)
