"""A user's jobs for /forget: every record and every file a job stored (its inputs, results kept
or copied for links, a chain's next inputs), found through the user's job index and the files
each record names."""

from __future__ import annotations

from bot import codec
from bot import constants as k
from bot.jobs.cancel import JobCancels
from bot.jobs.store import JobStore
from bot.storage.index import IndexedStorage


class UserJobs:
    def __init__(self, store: JobStore, storage: IndexedStorage, cancels: JobCancels) -> None:
        self._store = store
        self._storage = storage
        self._cancels = cancels

    async def forget(self, user_id: int) -> dict[str, int]:
        index = k.USER_JOBS_KEY.format(user_id=user_id)
        ids = [codec.text(i) for i in await self._store.redis.zrange(index, 0, -1)]  # type: ignore[arg-type]
        files = 0
        for job_id in ids:
            job = await self._store.get(job_id)
            if job is not None and job.running:
                # Stopped first, as a press of its Cancel would (its status message says so):
                # its late result then finds no job to send.
                await self._cancels.cancel(job_id, user_id)
            keys: set[str] = set()
            if job is not None:
                keys.update(m.key for m in job.inputs)
                keys.update(m.key for m in job.next_inputs.values())
                keys.update(m.key for m in job.kept.values())
            if keys:
                await self._storage.delete(sorted(keys))
                files += len(keys)
            # Gone from every schedule too: a late callback then finds no job and sends nothing.
            await self._store.delete(job_id)
        await self._store.redis.delete(index)
        return {"jobs": len(ids), "files": files}
