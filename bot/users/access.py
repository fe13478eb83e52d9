"""Who may use the bot: admins ban and unban users by id; the update screen
(bot/intake/screening.py) keeps banned users out before anything is downloaded or stored."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from redis.asyncio import Redis

from bot import constants as k


class BanResult(Enum):
    DONE = "done"
    ALREADY = "already"  # banned already (ban), or not banned (unban)
    ADMIN = "admin"  # admins cannot be banned


@dataclass(frozen=True, slots=True)
class BanOutcome:
    result: BanResult
    known: bool  # the user has written to the bot before


@dataclass(frozen=True, slots=True)
class AccessCounts:
    active: int  # users seen, less those who blocked the bot
    banned: int
    refused: int  # distinct users turned away (banned or not on the allow-list), ever


class Access:
    def __init__(self, redis: Redis, admin_ids: frozenset[int]) -> None:
        self._redis = redis
        self._admin_ids = admin_ids

    async def ban(self, user_id: int) -> BanOutcome:
        if user_id in self._admin_ids:
            return BanOutcome(BanResult.ADMIN, known=True)
        added = await self._redis.sadd(k.BANNED_USERS_KEY, user_id)
        return BanOutcome(
            BanResult.DONE if added else BanResult.ALREADY, await self._known(user_id)
        )

    async def unban(self, user_id: int) -> BanOutcome:
        removed = await self._redis.srem(k.BANNED_USERS_KEY, user_id)
        # Told "you can't use this bot" within the hour: the next message is served at once.
        await self._redis.delete(k.REFUSAL_TOLD_KEY.format(user_id=user_id))
        result = BanResult.DONE if removed else BanResult.ALREADY
        return BanOutcome(result, await self._known(user_id))

    async def forget(self, user_id: int) -> dict[str, int]:
        """That the user wrote, when, and their counters (a ban stays: it is the admins')."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(k.SEEN_USERS_KEY, user_id)
            pipe.srem(k.INACTIVE_USERS_KEY, user_id)
            pipe.delete(
                k.REFUSAL_TOLD_KEY.format(user_id=user_id),
                k.USER_KEY.format(user_id=user_id),
                k.USER_PACE_KEY.format(user_id=user_id),
            )
            removed = await pipe.execute()
        return {"records": sum(int(n) for n in removed)}

    async def counts(self) -> AccessCounts:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(k.SEEN_USERS_KEY)
            pipe.scard(k.INACTIVE_USERS_KEY)
            pipe.scard(k.BANNED_USERS_KEY)
            pipe.pfcount(k.REFUSED_USERS_KEY)
            seen, inactive, banned, refused = await pipe.execute()
        return AccessCounts(max(0, int(seen) - int(inactive)), int(banned), int(refused))

    async def _known(self, user_id: int) -> bool:
        return await self._redis.zscore(k.SEEN_USERS_KEY, user_id) is not None


def parse_user_id(text: str) -> int | None:
    """A Telegram user id as an admin types it ("123456789"), or None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None
