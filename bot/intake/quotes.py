"""Requests waiting for their user to confirm a price: each waits in Redis under the message
that asked (any replica takes the press), until its user presses once or it expires."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import codec
from bot.jobs.start.request import JobRequest

QUOTE_TTL_S = 15 * 60
QUOTES_KEPT = 10

# KEYS: the user's quotes. ARGV: token, the quote as JSON, ttl, how many to keep.
# A user's quotes live in one hash (so /forget finds them); past `kept`, the oldest goes.
SAVE = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
while redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) do
  local oldest, oldest_at = nil, math.huge
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local ok, data = pcall(cjson.decode, all[i + 1])
    local at = ok and tonumber(data['at']) or 0
    if at < oldest_at then oldest, oldest_at = all[i], at end
  end
  redis.call('HDEL', KEYS[1], oldest)
end
return 1
"""

# KEYS: the user's quotes. ARGV: token, the message the press came from, oldest allowed.
# Removes and returns the quote only when it waits under that message and has not expired, in
# one step: two presses (even on two replicas) take it once.
TAKE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local ok, data = pcall(cjson.decode, raw)
if not ok or type(data) ~= 'table' or tostring(data['message']) ~= ARGV[2]
    or (tonumber(data['at']) or 0) < tonumber(ARGV[3]) then
  return false
end
return raw
"""


@dataclass(frozen=True, slots=True)
class Quote:
    """A request and the price its user was asked to confirm, under the message that asked."""

    request: JobRequest
    price: int
    message_id: int


def _key(user_id: int) -> str:
    return f"quotes:{user_id}"


class Quotes:
    """Saved until pressed (once) or expired; per user, so /forget deletes them."""

    def __init__(self, redis: Redis, ttl_s: int = QUOTE_TTL_S) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._save = redis.register_script(SAVE)
        self._take = redis.register_script(TAKE)

    @staticmethod
    def new_token() -> str:
        """What a quote's buttons carry (made before the message, saved after it)."""
        return secrets.token_hex(6)

    async def save(self, token: str, quote: Quote) -> None:
        """Store the quote under the token its buttons carry."""
        data = {
            "at": time.time(),
            "price": quote.price,
            "message": quote.message_id,
            "request": codec.dump(quote.request),
        }
        keys = [_key(quote.request.user_id)]
        await self._save(keys=keys, args=[token, json.dumps(data), self._ttl_s, QUOTES_KEPT])

    async def take(self, user_id: int, token: str, message_id: int) -> Quote | None:
        """The quote, once, when it is the user's, waits under that message and has not
        expired."""
        oldest = repr(time.time() - self._ttl_s)
        raw = await self._take(keys=[_key(user_id)], args=[token, message_id, oldest])
        if raw is None:
            return None
        data = json.loads(raw)
        request = codec.load(JobRequest, data["request"])
        return Quote(request, int(data["price"]), int(data["message"]))

    async def forget(self, user_id: int) -> dict[str, int]:
        """The user's waiting quotes (/forget)."""
        return {"records": int(await self._redis.delete(_key(user_id)))}
