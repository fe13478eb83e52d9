"""A job's results: download and check each against the job, send them as render.plan says
with their buttons (keyboards.py), mark each right after Telegram accepts it (an album's items
together), then keep a copy of each in storage (keep.py) while the next one goes out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.errors import (
    LeaseLost,
    MediaMismatch,
    PermanentFetchError,
    StorageError,
    TransientFetchError,
)
from bot.flood import SendPriority
from bot.jobs.background.notices import reply_to
from bot.jobs.deliver.covers import fetch_cover
from bot.jobs.deliver.keep import ResultKeeper, keeps_results, settle
from bot.jobs.deliver.keyboards import album_markup, result_markup
from bot.jobs.deliver.links import send_link
from bot.jobs.deliver.outputs import output_kind, result_kind
from bot.jobs.deliver.render import Album, Ready, Send, plan
from bot.jobs.deliver.retry import RetryPolicy, fetch_with_retries
from bot.jobs.deliver.upload import caption, send_album, send_file
from bot.jobs.record import Job, ResultMark
from bot.jobs.store import JobStore
from bot.media.check import SendAs, send_as
from bot.media.fetch import FetchedMedia, MediaFetcher, discard
from bot.media.kinds import MediaKind
from bot.models import Registry
from bot.providers.base import ResultMedia
from bot.storage import Storage

log = logging.getLogger(__name__)

MAX_RESULTS_SENT = 10  # a full album; a provider's longer list is cut here
# Stores a result a chain's next step takes (bot/jobs/chains.py): job, owner, index, file.
KeepForNextStep = Callable[[Job, str, int, FetchedMedia], Awaitable[None]]


def results_to_send(job: Job) -> tuple[ResultMedia, ...]:
    return job.results[:MAX_RESULTS_SENT]


class ResultSender:
    """Sends the results a job has not had yet; only the lease holder uses it."""

    def __init__(
        self,
        store: JobStore,
        bot: ExtBot[int],
        fetcher: MediaFetcher,
        storage: Storage,
        owner: str,
        policy: RetryPolicy,
        registry: Registry,
        keep: KeepForNextStep | None = None,
        keeper: ResultKeeper | None = None,
    ) -> None:
        self._store = store
        self._registry = registry  # what each job's results must be
        self._bot = bot
        self._fetcher = fetcher
        self._storage = storage
        self._owner = owner
        self._policy = policy
        self._keep = keep
        self._keeper = keeper  # copies sent results into storage, for their buttons

    def output(self, job: Job) -> MediaKind:
        """What the job's model makes, in whose words its user is told what went wrong."""
        return output_kind(self._registry, job)

    async def send_pending(self, job: Job, *, early: bool = False) -> list[int]:
        """Send each unmarked result and mark it; returns those worth trying again later. An
        `early` send (before the job ends) marks only what went out: the rest is tried again
        with the final results."""
        ready: list[Ready] = []
        keeping: list[asyncio.Task[None]] = []  # copies of sent results, each deleting its file
        try:
            waiting, crash = await self._prepare_all(job, ready, early)
            for send in plan(ready):
                waiting += await self._send(job, send, keeping)
        finally:
            await settle(keeping)  # within the lease: the record names the copies
            for item in ready:  # each file is deleted after its send; these are what is left
                await discard(item.media)
        if crash is not None:
            raise crash
        return waiting

    async def _prepare_all(
        self, job: Job, ready: list[Ready], early: bool = False
    ) -> tuple[list[int], Exception | None]:
        """Download and check every unmarked result into `ready`; marks those that never will
        be. Returns the results to retry, and the first crash (a bug, not a network error),
        which is raised only after what is ready went out."""
        waiting: list[int] = []
        crash: Exception | None = None
        for index, result in enumerate(results_to_send(job)):
            if index in job.result_marks:
                continue  # went out (or failed for good) in an earlier attempt
            try:
                prepared = await self._prepare(job, index, result)
            except Exception as exc:
                crash = crash or exc
                continue
            if isinstance(prepared, Ready):
                ready.append(prepared)
            elif prepared is None or early:
                waiting.append(index)
            else:
                await self._mark(job, {index: prepared})
        return waiting, crash

    async def _prepare(
        self, job: Job, index: int, result: ResultMedia
    ) -> Ready | ResultMark | None:
        """The downloaded, checked result; a mark when it never will be; None for a retry."""
        # Messages name the result by number only: its URL may carry a signature.
        number = index + 1
        expected = result_kind(self._registry, job, result)
        try:
            media = await fetch_with_retries(self._fetcher, result.url, self._policy, expected)
        except TransientFetchError as exc:
            log.warning("job %s: result %d not fetched this time: %s", job.id, number, exc)
            return None
        except MediaMismatch as exc:  # told by its first bytes; the rest was never read
            log.warning("job %s: result %d refused as it arrived: %s", job.id, number, exc)
            return ResultMark.UNUSABLE
        except PermanentFetchError as exc:
            log.warning("job %s: result %d cannot be fetched: %s", job.id, number, exc)
            return ResultMark.UNREACHABLE
        try:
            how = send_as(media.info, media.size, expected)
            if how is SendAs.PHOTO and job.as_files:
                how = SendAs.DOCUMENT  # the user's /settings: images as files
        except MediaMismatch as exc:
            await discard(media)
            declared = media.content_type[:60]
            log.warning(
                "job %s: result %d refused: %s (declared %r)", job.id, number, exc, declared
            )
            return ResultMark.UNUSABLE
        if not await self._kept(job, index, media):
            return None
        return Ready(index, result, media, how)

    async def _kept(self, job: Job, index: int, media: FetchedMedia) -> bool:
        """A result a chain's next step takes is stored before it is sent (False: not this
        time; the result is tried again later)."""
        if self._keep is None or not job.has_next_step:
            return True
        try:
            await self._keep(job, self._owner, index, media)
        except StorageError as exc:
            await discard(media)
            log.warning("job %s: result %d not kept for the next step: %s", job.id, index + 1, exc)
            return False
        except BaseException:
            await discard(media)
            raise
        return True

    async def _send(self, job: Job, send: Send, keeping: list[asyncio.Task[None]]) -> list[int]:
        """Send and mark; returns the results to try again later. Each sent file is handed to
        a copy into storage (which deletes it), so the next send need not wait for it."""
        items = send.items if isinstance(send, Album) else (send,)
        sent: list[Ready] = []
        try:
            if isinstance(send, Album):
                return await self._album(job, send, sent)
            return await self._single(job, send, sent)
        finally:
            if self._keeper is not None and keeps_results(job):
                keeping += self._keeper.start(job, sent)
            else:
                sent = []
            for item in items:
                if item not in sent:
                    await discard(item.media)

    async def _album(self, job: Job, album: Album, sent: list[Ready]) -> list[int]:
        try:
            await send_album(self._bot, job, album.items, caption(self._registry, job))
        except BadRequest as exc:
            # Nothing of a refused album went out; each photo then gets its own chance.
            log.info("job %s: album refused (%s); sending its photos one by one", job.id, exc)
            waiting: list[int] = []
            for item in album.items:
                waiting += await self._single(job, item, sent)
            return waiting
        await self._mark(job, dict.fromkeys((item.index for item in album.items), ResultMark.SENT))
        sent += album.items
        await self._album_buttons(job, album)
        return []

    async def _album_buttons(self, job: Job, album: Album) -> None:
        """An album carries no buttons: they come on a short message right after it. The
        album is marked already, so losing this message never sends the album again."""
        markup = album_markup(job, album.items)
        if markup is None:
            return
        try:
            await self._bot.send_message(
                job.chat_id, texts.ALBUM_OPTIONS(), reply_markup=markup,
                reply_parameters=reply_to(job), rate_limit_args=SendPriority.RESULT,
            )  # fmt: skip
        except TelegramError as exc:
            log.warning("job %s: the album's buttons were not sent: %s", job.id, exc)

    async def _single(self, job: Job, item: Ready, sent: list[Ready]) -> list[int]:
        markup = result_markup(job, item)
        if item.how is SendAs.LINK:
            try:
                key = await send_link(self._bot, self._storage, job, item, markup)
            except StorageError as exc:
                log.warning("job %s: result %d not stored for a link: %s", job.id, item.number, exc)
                return [item.index]
            await self._mark(job, {item.index: ResultMark.SENT})
            if self._keeper is not None:
                await self._keeper.keep(job, item, stored_key=key)  # already in storage
            return []
        cover = None
        if item.how is SendAs.AUDIO:
            cover = await fetch_cover(self._fetcher, job.id, item)
        await send_file(self._bot, job, item, caption(self._registry, job), cover, markup)
        await self._mark(job, {item.index: ResultMark.SENT})
        sent.append(item)
        return []

    async def _mark(self, job: Job, marks: Mapping[int, ResultMark]) -> None:
        if not await self._store.mark_results(job.id, self._owner, marks):
            raise LeaseLost(job.id)
        job.result_marks.update(marks)
