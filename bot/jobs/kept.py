"""A press of a kept result's button (Original, Edit this, Animate): which stored file it names,
if the presser may have it.

The button's data names a job and a result only; the job's record says whose it is and where
its copy lives, so forged or replayed data can do no more than its owner's own press.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import StorageError
from bot.jobs.buttons import JobButton
from bot.jobs.record import Job, JobState, StoredMedia
from bot.jobs.store import JobStore
from bot.media.kinds import MediaKind
from bot.storage import Storage


class Refusal(StrEnum):
    """Why a press gets an alert and nothing else."""

    NOT_YOURS = "not yours"
    GONE = "gone"  # the record expired, the file was never kept, or is no longer stored
    NOT_READY = "not ready"  # sent a moment ago: its copy is still being made
    UNREACHABLE = "unreachable"  # storage did not answer


@dataclass(frozen=True, slots=True)
class Kept:
    """A kept image and the job it came from."""

    job: Job
    media: StoredMedia


def decide(job: Job | None, button: JobButton, user_id: int, chat_id: int) -> Kept | Refusal:
    """Pure: the kept image a press may use, or why not."""
    if job is None:
        return Refusal.GONE
    if job.user_id != user_id or job.chat_id != chat_id:
        return Refusal.NOT_YOURS
    media = job.kept.get(button.index)
    if media is None:
        still_sending = job.state is JobState.SUCCEEDED and not job.has_next_step
        return Refusal.NOT_READY if still_sending else Refusal.GONE
    if media.kind is not MediaKind.IMAGE:
        return Refusal.GONE  # these buttons are only ever under images
    return Kept(job, media)


class KeptResults:
    """Finds the kept file a button names, checking the presser and that the file is there."""

    def __init__(self, store: JobStore, storage: Storage) -> None:
        self._store = store
        self._storage = storage

    async def find(self, button: JobButton, user_id: int, chat_id: int) -> Kept | Refusal:
        found = decide(await self._store.get(button.job_id), button, user_id, chat_id)
        if isinstance(found, Refusal):
            return found
        try:
            there = await self._storage.exists(found.media.key)
        except StorageError:
            return Refusal.UNREACHABLE
        return found if there else Refusal.GONE

    async def read(self, kept: Kept) -> bytes | Refusal:
        """The stored bytes, byte for byte."""
        try:
            return await self._storage.read(kept.media.key)
        except StorageError:
            return Refusal.UNREACHABLE
