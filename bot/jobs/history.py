"""A user's past jobs as /history shows them: what each made, what it was asked, when, how it
ended, and whether it can run again; a page at a time, newest first."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import StrEnum

from bot import constants as k
from bot.errors import FailureKind
from bot.jobs.again import Repeats
from bot.jobs.record import Job, JobState, ResultMark
from bot.jobs.store import JobStore
from bot.media.kinds import MediaKind
from bot.models import Registry

PAGE_SIZE = 10
PREFIX = "hist:"
_PAGE_DATA = re.compile(r"hist:([0-9]{1,20}):([0-9]{1,3})")


class Ending(StrEnum):
    """How a job ended, as its user reads it."""

    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RUNNING = "running"  # still at the provider, or its results on their way


@dataclass(frozen=True, slots=True)
class Entry:
    job_id: str
    output: MediaKind  # what it made (a chain: what its last step makes)
    asked: str  # the prompt, or the title or style of a song with lyrics; may be empty
    created_at: float
    ending: Ending
    fail_kind: str = ""
    reason: str = ""  # a refusal's reason, as the provider gave it
    runnable: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    owner: int
    offset: int
    entries: tuple[Entry, ...]
    has_older: bool


def page_data(owner: int, offset: int) -> str:
    """A page button's callback data: whose history, from which job."""
    return f"{PREFIX}{owner}:{offset}"


def parse_page_data(data: str) -> tuple[int, int] | None:
    """(owner, offset) from a page button; None when malformed or past the kept jobs."""
    match = _PAGE_DATA.fullmatch(data)
    offset = int(match[2]) if match else -1
    if match is None or offset % PAGE_SIZE or offset >= k.USER_JOBS_KEPT:
        return None
    return int(match[1]), offset


def ending_of(job: Job) -> tuple[Ending, str]:
    """How the job ended, and why when it failed (a FailureKind)."""
    if job.state is JobState.CANCELLED:
        return Ending.CANCELLED, ""
    told_failure = job.state is JobState.DELIVERED and job.outcome == "failed"
    if job.state is JobState.FAILED or told_failure:
        return Ending.FAILED, job.fail_kind or FailureKind.FAILED
    if job.state is not JobState.DELIVERED:
        return Ending.RUNNING, ""
    marks = job.result_marks.values()
    if marks and ResultMark.SENT not in marks:  # results came, none could be sent
        return Ending.FAILED, FailureKind.DELIVERY
    return Ending.DELIVERED, ""


class History:
    """Reads a user's jobs a page at a time."""

    def __init__(self, store: JobStore, registry: Registry, repeats: Repeats) -> None:
        self._store = store
        self._registry = registry
        self._repeats = repeats

    async def page(self, owner: int, offset: int) -> Page:
        jobs = await self._store.user_jobs(owner, PAGE_SIZE + 1, offset)
        shown = jobs[:PAGE_SIZE]
        runnable = await asyncio.gather(*(self._repeats.runnable(job) for job in shown))
        entries = tuple(self.entry(job, ok) for job, ok in zip(shown, runnable, strict=True))
        return Page(owner, offset, entries, has_older=len(jobs) > PAGE_SIZE)

    def entry(self, job: Job, runnable: bool) -> Entry:
        ending, fail_kind = ending_of(job)
        return Entry(
            job_id=job.id,
            output=self.output_of(job),
            asked=job.prompt or job.texts.get("title") or job.texts.get("style") or "",
            created_at=job.created_at,
            ending=ending,
            fail_kind=fail_kind,
            reason=job.error_message if fail_kind == FailureKind.REJECTED else "",
            runnable=runnable,
        )

    def output_of(self, job: Job) -> MediaKind:
        chain = self._registry.chain(job.chain) if job.chain else None
        spec = self._registry.find(chain.steps[-1].model if chain else job.model)
        return spec.output if spec else MediaKind.IMAGE
