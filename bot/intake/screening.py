"""Which updates get handled: each only once (at any replica), only from users allowed in, and
not a flood from one user."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from bot import constants as k

# KEYS: update seen, user pace, banned users, the user's refusal told, seen users, refused
#       users, inactive users (who blocked the bot: writing again, they are back)
# ARGV: seen ttl, pace window s, max updates per window (0 = any), user id ('' = none), now,
#       listed ('0': not on the allow-list), refusal told ttl, exempt ('1': an admin), may tell
#       ('1': a message in a private chat; elsewhere a refusal never uses up the hour's answer)
SCREEN = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local user = ARGV[4]
if user ~= '' and ARGV[8] ~= '1' then
  if ARGV[6] == '0' or redis.call('SISMEMBER', KEYS[3], user) == 1 then
    redis.call('PFADD', KEYS[6], user)
    if ARGV[9] == '1' and redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[7]) then return 4 end
    return 5
  end
end
if user ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[5], user)
  redis.call('SREM', KEYS[7], user)
end
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
    REFUSED = 4  # a banned user, or one not on the allow-list: tell them (once an hour)
    REFUSED_AGAIN = 5  # told within the hour, or not in a private chat: no message


@dataclass(frozen=True, slots=True)
class Gate:
    """Who is let in before any banned-list lookup: admins always; with an allow-list, only
    those on it."""

    admin_ids: frozenset[int] = frozenset()
    allowed_ids: frozenset[int] | None = None  # None: everyone not banned

    def exempt(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    def listed(self, user_id: int) -> bool:
        return self.allowed_ids is None or user_id in self.allowed_ids or self.exempt(user_id)


class UpdateScreen:
    def __init__(self, redis: Redis, gate: Gate | None = None) -> None:
        self._screen = redis.register_script(SCREEN)
        self._gate = gate or Gate()

    def listed(self, user_id: int) -> bool:
        """Whether the allow-list (if any) lets the user in; a refused listed user is banned."""
        return self._gate.listed(user_id)

    async def check(
        self, update_id: int, user_id: int | None, *, private_message: bool = False
    ) -> Screening:
        """One round trip per update: the repeat check, the user's access and pace together."""
        exempt = user_id is not None and self._gate.exempt(user_id)
        paced = user_id is not None and not exempt
        listed = user_id is None or self._gate.listed(user_id)
        result = await self._screen(
            keys=[
                k.UPDATE_SEEN_KEY.format(update_id=update_id),
                k.USER_PACE_KEY.format(user_id=user_id if paced else 0),
                k.BANNED_USERS_KEY,
                k.REFUSAL_TOLD_KEY.format(user_id=user_id or 0),
                k.SEEN_USERS_KEY,
                k.REFUSED_USERS_KEY,
                k.INACTIVE_USERS_KEY,
            ],
            args=[
                k.UPDATE_SEEN_TTL_S,
                k.USER_PACE_WINDOW_S,
                k.USER_UPDATES_PER_WINDOW if paced else 0,
                "" if user_id is None else user_id,
                repr(time.time()),
                "1" if listed else "0",
                k.REFUSAL_TOLD_EVERY_S,
                "1" if exempt else "0",
                "1" if private_message else "0",
            ],
        )
        return Screening(int(result))
