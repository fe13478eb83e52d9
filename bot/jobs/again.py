"""A job run again (Again, /history's Run again): the same model, inputs, texts and settings as
a new request, for its owner only, once however often the button is pressed in a moment."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from bot import constants as k
from bot.errors import StorageError
from bot.jobs.record import Job, StoredMedia
from bot.jobs.start.request import JobRequest
from bot.jobs.store import JobStore
from bot.models import Registry
from bot.models.limits import check_files
from bot.models.spec import Capability, ModelSpec
from bot.storage import Storage

log = logging.getLogger(__name__)


class AgainRefusal(StrEnum):
    """Why a press starts nothing."""

    GONE = "gone"  # no such job (expired, deleted, or never ours): forged data lands here too
    NOT_YOURS = "not_yours"  # someone else's job
    INPUTS_GONE = "inputs_gone"  # its stored inputs expired, or it cannot be run as it was
    STORAGE_DOWN = "storage_down"  # the inputs could not be looked up: try again later
    TOO_SOON = "too_soon"  # a second press within the moment: the first one starts the job


@dataclass(frozen=True, slots=True)
class Where:
    """Where the new job answers: the chat the button sits in, replying to its message."""

    chat_id: int
    reply_to_message_id: int | None
    language: str


@dataclass(frozen=True, slots=True)
class Repeat:
    """What runs a job again: its capability, the model first tried, inputs and texts."""

    capability: Capability
    model: str
    inputs: tuple[StoredMedia, ...]


class Repeats:
    """Turns a press on a job into a request for a new one, or says why not."""

    def __init__(self, redis: Redis, store: JobStore, storage: Storage, registry: Registry) -> None:
        self._redis = redis
        self._store = store
        self._storage = storage
        self._registry = registry

    async def request(self, job_id: str, user_id: int, where: Where) -> JobRequest | AgainRefusal:
        """The new job's request; the checks cheapest first, the moment's claim before the
        storage lookups so a double tap costs one of them."""
        job = await self._store.get(job_id)
        if job is None:
            return AgainRefusal.GONE
        if job.user_id != user_id:
            return AgainRefusal.NOT_YOURS
        repeat = repeat_of(job, self._registry)
        if repeat is None:
            return AgainRefusal.INPUTS_GONE
        if not await self._claim(job_id, user_id):
            return AgainRefusal.TOO_SOON
        try:
            kept = await self.kept(repeat.inputs)
        except StorageError as exc:
            log.warning("job %s: inputs could not be looked up: %s", job_id, exc)
            return AgainRefusal.STORAGE_DOWN
        if not kept:
            return AgainRefusal.INPUTS_GONE
        return request_for(job, repeat, user_id, where)

    async def runnable(self, job: Job) -> bool:
        """Whether the job can still run again (its model known, its inputs kept); a storage
        that cannot answer counts as no."""
        repeat = repeat_of(job, self._registry)
        try:
            return repeat is not None and await self.kept(repeat.inputs)
        except StorageError:
            return False

    async def kept(self, inputs: tuple[StoredMedia, ...]) -> bool:
        """Whether every input is still in storage (looked up together); raises StorageError."""
        found = await asyncio.gather(*(self._storage.exists(m.key) for m in inputs))
        return all(found)

    async def _claim(self, job_id: str, user_id: int) -> bool:
        """True for the first press in the moment, on any replica (SET NX with an expiry)."""
        key = k.AGAIN_PRESS_KEY.format(job_id=job_id, user_id=user_id)
        return bool(await self._redis.set(key, "1", nx=True, px=k.AGAIN_PRESS_TTL_MS))


def repeat_of(job: Job, registry: Registry) -> Repeat | None:
    """How to run the job again; None when it cannot be (its model or chain unknown, or its
    record holds no longer the inputs its model needs). A chain's job runs its whole chain:
    its record keeps the current step's inputs, so only a job still on its first step has
    the chain's own (a /sketch has none)."""
    if job.chain:
        chain = registry.chain(job.chain)
        if chain is None:
            return None
        first = registry.find(chain.steps[0].model)
        inputs = job.inputs if job.step == 0 else ()
        return _checked(chain.capability, first, inputs)
    spec = registry.find(job.model)
    return _checked(spec.capability, spec, job.inputs) if spec else None


def _checked(
    capability: Capability, spec: ModelSpec | None, inputs: tuple[StoredMedia, ...]
) -> Repeat | None:
    if spec is None or check_files(spec, [m.meta() for m in inputs]) is not None:
        return None
    return Repeat(capability, spec.key, inputs)


def request_for(job: Job, repeat: Repeat, user_id: int, where: Where) -> JobRequest:
    """A request for what the job asked, answered where the press was."""
    texts = {**({"prompt": job.prompt} if job.prompt else {}), **job.texts}
    return JobRequest(
        chat_id=where.chat_id,
        user_id=user_id,
        capability=repeat.capability,
        stored=repeat.inputs,
        texts=texts,
        model="" if job.chain else repeat.model,
        params=dict(job.params),
        reply_to_message_id=where.reply_to_message_id,
        language=where.language,
    )
