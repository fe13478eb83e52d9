"""Work kept in a Redis sorted set by when it is due (a job's next poll, a file's deletion, a
/forget to carry out), taken under a lease so replicas never take the same member at once."""

from __future__ import annotations

from redis.asyncio import Redis

from bot import codec

# KEYS: the sorted set. ARGV: now, limit, lease seconds. The due members, each pushed `lease`
# into the future, so another replica does not take them meanwhile; one that is not finished
# (its taker died) comes due again then.
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[3]), member)
end
return due
"""


class DueTaker:
    """Takes due members of any sorted set that holds due times."""

    def __init__(self, redis: Redis) -> None:
        self._take = redis.register_script(TAKE_DUE)

    async def take(self, key: str, now: float, limit: int, lease_s: float) -> list[str]:
        due = await self._take(keys=[key], args=[repr(now), limit, lease_s])
        return [codec.text(member) for member in due]
