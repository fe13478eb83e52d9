"""Which updates get handled: each only once (at any replica), and not a flood from one user."""

from __future__ import annotations

from enum import IntEnum

from redis.asyncio import Redis

from bot import constants as k

# KEYS: update seen, user pace. ARGV: seen ttl, pace window s, max updates per window (0 = any).
SCREEN = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local most = tonumber(ARGV[3])
if most == 0 then return 1 end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if count <= most then return 1 end
if count == most + 1 then return 2 end
return 3
"""


class Screening(IntEnum):
    REPEAT = 0  # this update was handled already
    HANDLE = 1
    TOO_FAST = 2  # the first update over the user's pace: tell them once
    TOO_FAST_AGAIN = 3  # drop quietly


class UpdateScreen:
    def __init__(self, redis: Redis) -> None:
        self._screen = redis.register_script(SCREEN)

    async def check(self, update_id: int, user_id: int | None, exempt: bool) -> Screening:
        """One round trip per update: the repeat check and the user's pace together."""
        paced = user_id is not None and not exempt
        result = await self._screen(
            keys=[
                k.UPDATE_SEEN_KEY.format(update_id=update_id),
                k.USER_PACE_KEY.format(user_id=user_id if paced else 0),
            ],
            args=[
                k.UPDATE_SEEN_TTL_S,
                k.USER_PACE_WINDOW_S,
                k.USER_UPDATES_PER_WINDOW if paced else 0,
            ],
        )
        return Screening(int(result))
