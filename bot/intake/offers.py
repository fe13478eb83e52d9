"""Plain texts offered as images from words: each waits under its Imagine button, in Redis (any
replica takes the press), until its sender presses once or it expires."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field
from redis.asyncio import Redis

from bot import codec
from bot import constants as k

# KEYS: the offer, the user's list of offer keys. ARGV: the offer, its TTL, how many to keep.
# Stores the offer and drops the user's oldest beyond the newest ARGV[3] (keys taken or expired
# meanwhile are deleted again, harmlessly).
SAVE = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('LPUSH', KEYS[2], KEYS[1])
for _, key in ipairs(redis.call('LRANGE', KEYS[2], ARGV[3], -1)) do
  redis.call('DEL', key)
end
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS: the offer. ARGV: the message the press came from. Removes and returns the offer only
# when it waits under that message, in one step: two presses (even on two replicas) take it
# once, and a forged press on another message takes nothing.
TAKE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, data = pcall(cjson.decode, raw)
if not ok or type(data) ~= 'table' or tostring(data['keyboard']) ~= ARGV[1] then
  return false
end
redis.call('DEL', KEYS[1])
return raw
"""


@dataclass(frozen=True, slots=True)
class ImagineOffer:
    """Stored as JSON through bot.codec, under the sender's text message."""

    chat_id: Annotated[int, Field(alias="chat")]
    user_id: Annotated[int, Field(alias="user")]
    message_id: Annotated[int, Field(alias="msg")]  # the user's text
    prompt: str
    keyboard_message_id: Annotated[int, Field(alias="keyboard")]  # the bot's offer


def _key(chat_id: int, user_id: int, message_id: int) -> str:
    return k.IMAGINE_OFFER_KEY.format(chat_id=chat_id, user_id=user_id, message_id=message_id)


class ImagineOffers:
    def __init__(
        self, redis: Redis, ttl_s: int = k.IMAGINE_OFFER_TTL_S, kept: int = k.IMAGINE_OFFERS_KEPT
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._kept = kept
        self._save = redis.register_script(SAVE)
        self._take = redis.register_script(TAKE)

    async def save(self, offer: ImagineOffer) -> None:
        """Store the offer for its TTL; the user's oldest beyond the newest `kept` in the chat
        go."""
        keys = [
            _key(offer.chat_id, offer.user_id, offer.message_id),
            k.IMAGINE_OFFERS_KEY.format(chat_id=offer.chat_id, user_id=offer.user_id),
        ]
        await self._save(keys=keys, args=[codec.dumps(offer), self._ttl_s, self._kept])

    async def forget(self, user_id: int) -> dict[str, int]:
        """The user's waiting offers (/forget); offers are made in private chats only."""
        index = k.IMAGINE_OFFERS_KEY.format(chat_id=user_id, user_id=user_id)
        keys = [codec.text(key) for key in await self._redis.lrange(index, 0, -1)]
        deleted = await self._redis.delete(*keys, index) if keys else 0
        return {"records": int(deleted)}

    async def take(
        self, chat_id: int, user_id: int, message_id: int, keyboard_message_id: int
    ) -> ImagineOffer | None:
        """Remove and return the offer of this user's text, if it waits under this keyboard;
        None once taken, expired, or when the press names someone else's text."""
        raw = await self._take(
            keys=[_key(chat_id, user_id, message_id)], args=[keyboard_message_id]
        )
        return codec.loads(ImagineOffer, raw) if raw else None
