"""A broadcast's state in Redis; every change that must be atomic is one Lua script."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot import codec
from bot import constants as k

# KEYS: draft, broadcast, todo, running, seen users, banned users, inactive users
# ARGV: draft id, now, the admin's progress message id
# The draft becomes a broadcast once (a second press finds no draft): its audience is every
# seen user but the banned and those who blocked the bot. Returns the audience's size, or -1.
START = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return -1 end
local chat, message, lang = unpack(redis.call('HMGET', KEYS[1], 'chat', 'message', 'lang'))
if not message then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZUNIONSTORE', KEYS[3], 1, KEYS[5])
for _, user in ipairs(redis.call('SMEMBERS', KEYS[6])) do redis.call('ZREM', KEYS[3], user) end
for _, user in ipairs(redis.call('SMEMBERS', KEYS[7])) do redis.call('ZREM', KEYS[3], user) end
local total = redis.call('ZCARD', KEYS[3])
redis.call('HSET', KEYS[2], 'chat', chat, 'message', message, 'lang', lang or '',
  'total', total, 'sent', 0, 'blocked', 0, 'failed', 0, 'started', ARGV[2], 'state', 'running',
  'progress', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[1])
return total
"""

# KEYS: broadcast, todo, lease, inactive users. ARGV: owner, user, outcome (sent, blocked or
# failed). Only the lease holder marks a user, once.
MARK = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
if ARGV[3] == 'blocked' then redis.call('SADD', KEYS[4], ARGV[2]) end
return 1
"""

# KEYS: draft. ARGV: message id. Only on a draft still waiting (never recreates an expired one).
SET_MESSAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'message', ARGV[1])
return 1
"""

# KEYS: lease. ARGV: owner, lease ms.
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: broadcast, todo, running, lease, tries. ARGV: owner, id, kept s. Ends a broadcast that
# has nobody left to reach.
FINISH = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return 0 end
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done')
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[4], KEYS[5])
return 1
"""


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    chat_id: int
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a broadcast stands, and where its admin watches it."""

    id: str
    chat_id: int  # the admin's chat, the copied message's source
    message_id: int  # the message copied to everyone
    language: str
    total: int
    sent: int
    blocked: int
    failed: int
    progress_message_id: int | None
    done: bool

    @classmethod
    def from_redis(cls, broadcast_id: str, raw: dict[str, str]) -> Progress:
        progress = raw.get("progress")
        return cls(
            id=broadcast_id,
            chat_id=int(raw["chat"]),
            message_id=int(raw["message"]),
            language=raw.get("lang", ""),
            total=int(raw.get("total", 0)),
            sent=int(raw.get("sent", 0)),
            blocked=int(raw.get("blocked", 0)),
            failed=int(raw.get("failed", 0)),
            progress_message_id=int(progress) if progress else None,
            done=raw.get("state") == "done",
        )


class BroadcastStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._start = redis.register_script(START)
        self._mark = redis.register_script(MARK)
        self._renew = redis.register_script(RENEW)
        self._finish = redis.register_script(FINISH)
        self._set_message = redis.register_script(SET_MESSAGE)

    # --- an admin's draft ---------------------------------------------------------------------

    async def open_draft(self, admin_id: int, chat_id: int, language: str) -> str:
        """Wait for the admin's next message; any earlier draft of theirs is dropped."""
        draft_id = uuid.uuid4().hex
        key = k.BROADCAST_DRAFT_KEY.format(admin_id=admin_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"id": draft_id, "chat": chat_id, "lang": language})
            pipe.expire(key, k.BROADCAST_DRAFT_TTL_S)
            await pipe.execute()
        return draft_id

    async def draft(self, admin_id: int) -> Draft | None:
        raw = codec.texts(await self.redis.hgetall(k.BROADCAST_DRAFT_KEY.format(admin_id=admin_id)))
        if "id" not in raw:
            return None
        message = raw.get("message")
        return Draft(raw["id"], int(raw["chat"]), int(message) if message else None)

    async def set_draft_message(self, admin_id: int, message_id: int) -> bool:
        key = k.BROADCAST_DRAFT_KEY.format(admin_id=admin_id)
        return bool(await self._set_message(keys=[key], args=[message_id]))

    async def drop_draft(self, admin_id: int, draft_id: str) -> bool:
        draft = await self.draft(admin_id)
        if draft is None or draft.id != draft_id:
            return False
        return bool(await self.redis.delete(k.BROADCAST_DRAFT_KEY.format(admin_id=admin_id)))

    async def audience(self) -> int:
        """Roughly whom a broadcast would reach now (seen users, less the blocked)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(k.SEEN_USERS_KEY)
            pipe.scard(k.INACTIVE_USERS_KEY)
            pipe.scard(k.BANNED_USERS_KEY)
            seen, inactive, banned = await pipe.execute()
        return max(0, int(seen) - int(inactive) - int(banned))

    async def start(self, admin_id: int, draft_id: str, progress_message_id: int) -> int | None:
        """The draft as a running broadcast, once; its audience, or None when it is gone."""
        total = await self._start(
            keys=[
                k.BROADCAST_DRAFT_KEY.format(admin_id=admin_id),
                k.BROADCAST_KEY.format(id=draft_id),
                k.BROADCAST_TODO_KEY.format(id=draft_id),
                k.BROADCASTS_RUNNING_KEY,
                k.SEEN_USERS_KEY,
                k.BANNED_USERS_KEY,
                k.INACTIVE_USERS_KEY,
            ],
            args=[draft_id, repr(time.time()), progress_message_id],
        )
        return None if int(total) < 0 else int(total)

    async def forget(self, user_id: int) -> dict[str, int]:
        """A user forgotten is left out of any broadcast still running."""
        removed = 0
        for broadcast_id in await self.running():
            todo = k.BROADCAST_TODO_KEY.format(id=broadcast_id)
            removed += int(await self.redis.zrem(todo, user_id))
        return {"records": removed}

    # --- sending ------------------------------------------------------------------------------

    async def running(self) -> list[str]:
        return sorted(codec.text(i) for i in await self.redis.smembers(k.BROADCASTS_RUNNING_KEY))

    async def progress(self, broadcast_id: str) -> Progress | None:
        raw = codec.texts(await self.redis.hgetall(k.BROADCAST_KEY.format(id=broadcast_id)))
        return Progress.from_redis(broadcast_id, raw) if raw else None

    async def take(self, broadcast_id: str, owner: str, lease_s: float) -> bool:
        key = k.BROADCAST_LEASE_KEY.format(id=broadcast_id)
        return bool(await self.redis.set(key, owner, nx=True, px=int(lease_s * 1000)))

    async def renew(self, broadcast_id: str, owner: str, lease_s: float) -> bool:
        key = k.BROADCAST_LEASE_KEY.format(id=broadcast_id)
        return bool(await self._renew(keys=[key], args=[owner, int(lease_s * 1000)]))

    async def next_users(self, broadcast_id: str, count: int) -> list[int]:
        todo = k.BROADCAST_TODO_KEY.format(id=broadcast_id)
        return [int(u) for u in await self.redis.zrange(todo, 0, count - 1)]  # type: ignore[arg-type]

    async def mark(self, broadcast_id: str, owner: str, user_id: int, outcome: str) -> bool:
        """Record what became of one user's copy; False when the caller lost the lease."""
        keys = [
            k.BROADCAST_KEY.format(id=broadcast_id),
            k.BROADCAST_TODO_KEY.format(id=broadcast_id),
            k.BROADCAST_LEASE_KEY.format(id=broadcast_id),
            k.INACTIVE_USERS_KEY,
        ]
        return bool(await self._mark(keys=keys, args=[owner, user_id, outcome]))

    async def tried(self, broadcast_id: str, user_id: int) -> int:
        """Count a failed try to reach the user (a network error); returns the tries so far."""
        return int(await self.redis.hincrby(k.BROADCAST_TRIES_KEY.format(id=broadcast_id),
                                            str(user_id), 1))  # fmt: skip

    async def finish(self, broadcast_id: str, owner: str) -> bool:
        keys = [
            k.BROADCAST_KEY.format(id=broadcast_id),
            k.BROADCAST_TODO_KEY.format(id=broadcast_id),
            k.BROADCASTS_RUNNING_KEY,
            k.BROADCAST_LEASE_KEY.format(id=broadcast_id),
            k.BROADCAST_TRIES_KEY.format(id=broadcast_id),
        ]
        args: list[Any] = [owner, broadcast_id, k.BROADCAST_KEPT_S]
        return bool(await self._finish(keys=keys, args=args))
