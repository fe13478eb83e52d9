"""Delivering a final job to its chat, exactly once: claim, send, mark delivered.

Every failure of one job stays in that job. A download that may still work puts the job back
for a retry with backoff (RetryPolicy); one that never will is reported to the user. A crash
(an unexpected exception) is logged and retried the same way; after DELIVERY_MAX_CRASHES the
next claim tells the user the delivery failed and closes the job, so a bug cannot loop forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from enum import Enum
from typing import Protocol

from redis.exceptions import RedisError
from telegram.error import Forbidden, TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.constants import DELIVERY_LEASE_S
from bot.errors import FailureKind, LeaseLost
from bot.flood import SendPriority
from bot.jobs.background.notices import edit_status, reply_to
from bot.jobs.chains import ChainSteps
from bot.jobs.deliver.early import early_view
from bot.jobs.deliver.results import ResultSender, results_to_send
from bot.jobs.deliver.retry import RetryPolicy
from bot.jobs.record import Job, JobState, ResultMark
from bot.jobs.store import JobStore
from bot.keyed_locks import KeyedLocks
from bot.locales import speaking
from bot.log_context import bind_job_id
from bot.media.kinds import MediaKind
from bot.metrics import DeliveryRetry, Finish, Metrics

log = logging.getLogger(__name__)


class Handled(Enum):
    """How a claimed delivery ended."""

    NOT_YET = "not yet"  # given back for a retry, or left to another holder
    DELIVERED = "delivered"
    NEXT_STEP = "next step"  # a chain's step went out; the job moved on to its next step
    REROUTED = "rerouted"  # its model was withdrawn; the job moved to another provider's


class Reroutes(Protocol):
    """Moving a withdrawn model's failed job to another provider (bot/jobs/start/reroute.py)."""

    async def move(self, job: Job, owner: str) -> bool: ...

    async def submit(self, job_id: str) -> None: ...


class Deliverer:
    """Sends results and failure messages. Only the holder of a job's lease sends it."""

    def __init__(
        self,
        results: ResultSender,
        store: JobStore,
        bot: ExtBot[int],
        *,
        owner: str,
        policy: RetryPolicy,
        metrics: Metrics | None = None,
        steps: ChainSteps | None = None,
        reroute: Reroutes | None = None,
    ) -> None:
        self._results = results  # built with the same owner and policy
        self._store = store
        self._metrics = metrics or Metrics()
        self._bot = bot
        self._owner = owner
        self._policy = policy
        self._steps = steps
        self._reroute = reroute
        self._chat_locks = KeyedLocks()

    async def deliver(self, job_id: str) -> bool:
        """True when this call delivered the job; False when another holder has it, it waits
        for a retry, or it failed."""
        bind_job_id(job_id)
        job = await self._store.claim(job_id, self._owner, DELIVERY_LEASE_S)
        if job is None:
            return await self._deliver_early(job_id)
        renewer = asyncio.create_task(self._keep_lease(job.id))
        try:
            # One chat's messages go out one at a time, in the order their jobs were claimed.
            async with self._chat_locks.hold(job.chat_id):
                with speaking(job.language):
                    handled = await self._deliver_claimed(job)
        except (RedisError, LeaseLost) as exc:
            # Not the job's fault: its lease runs out and it is tried again, as after a kill.
            log.warning("job %s: delivery interrupted (%s)", job.id, type(exc).__name__)
            return False
        except Exception:
            log.exception("job %s: delivery crashed", job.id)
            await self._after_crash(job)
            return False
        finally:
            renewer.cancel()
        if handled is Handled.NEXT_STEP:
            await self._start_next_step(job.id)
        if handled is Handled.REROUTED:
            await self._submit_rerouted(job.id)
            return False
        return handled is not Handled.NOT_YET

    async def _deliver_early(self, job_id: str) -> bool:
        """Results ready while the job runs (a song's first track) go out now, each once (see
        lua.CLAIM_EARLY); what fails here goes with the final results. True when this call
        then delivered the job, which became final meanwhile."""
        job = await self._store.claim_early(job_id, self._owner, DELIVERY_LEASE_S)
        if job is None:
            return False
        renewer = asyncio.create_task(self._keep_lease(job.id))
        try:
            async with self._chat_locks.hold(job.chat_id):
                with speaking(job.language):
                    await self._results.send_pending(early_view(job), early=True)
        except (RedisError, LeaseLost, TelegramError) as exc:
            log.warning("job %s: early result not sent (%s)", job.id, type(exc).__name__)
        except Exception:
            log.exception("job %s: early delivery crashed", job.id)
        finally:
            renewer.cancel()
        try:
            state = await self._store.release_early(job.id, self._owner)
        except RedisError:
            log.warning("job %s: early lease not released; it runs out", job.id)
            return False
        log.info("job %s: early results sent; the job is %s", job.id, state)
        if state in (JobState.SUCCEEDED, JobState.FAILED):  # its end came while we sent
            return await self.deliver(job.id)
        return False

    async def _submit_rerouted(self, job_id: str) -> None:
        """Outside the chat's lock, as a next step; if this fails, the reconciler fails the job
        (it is never submitted twice)."""
        assert self._reroute is not None
        try:
            await self._reroute.submit(job_id)
        except Exception:
            log.exception("job %s: moved job not submitted; the reconciler will see to it", job_id)

    async def _start_next_step(self, job_id: str) -> None:
        """Outside the chat's lock: an upload to the provider must not hold up the chat. If
        this fails, the reconciler submits the step (or fails it, if it was claimed)."""
        assert self._steps is not None
        try:
            await self._steps.start(job_id)
        except Exception:
            log.exception("job %s: next step not started; the reconciler will see to it", job_id)

    async def _keep_lease(self, job_id: str) -> None:
        """Renew the lease while a slow download or a flood-control wait runs."""
        while True:
            await asyncio.sleep(DELIVERY_LEASE_S / 3)
            try:
                if not await self._store.extend_lease(job_id, self._owner, DELIVERY_LEASE_S):
                    return
            except RedisError:
                log.warning("job %s: lease renewal failed", job_id)

    async def _deliver_claimed(self, job: Job) -> Handled:
        try:
            if job.crashes >= self._policy.max_crashes:
                await self._give_up(job)
            elif job.outcome == JobState.SUCCEEDED:
                if not await self._send_results(job):
                    return Handled.NOT_YET
                if _sent(job) and self._steps and await self._steps.advance(job, self._owner):
                    return Handled.NEXT_STEP  # the status message stays, for the next step
            elif self._reroute is not None and await self._reroute.move(job, self._owner):
                return Handled.REROUTED  # the user hears nothing: the job goes on elsewhere
            else:
                await self._send_failure(job, failure_text(job, self._results.output(job)))
        except Forbidden:
            log.info("job %s: chat %s blocked the bot; dropping", job.id, job.chat_id)
        except TelegramError as exc:
            # The lease runs out and the reconciler tries again; results already sent are
            # marked, so only the rest go out then.
            log.warning("job %s: delivery failed, will retry: %s", job.id, exc)
            self._metrics.delivery_retry(DeliveryRetry.TELEGRAM)
            return Handled.NOT_YET
        if await self._store.mark_delivered(job.id, self._owner):
            self._metrics.job_finished(job, _finish(job), time.time())
        log.info("job %s delivered (%s)", job.id, job.outcome)
        status_id = job.status_message_id
        if _sent(job) and status_id is None:
            # Posted after the claim read the job: the notice reads the state after posting,
            # so one of the two sees the other, and the message never lingers with its Cancel.
            latest = await self._store.get(job.id)
            status_id = latest.status_message_id if latest else None
        if _sent(job) and status_id is not None:
            # The result (captioned "Done…") replaces the status message. After the mark, so
            # a crash or failure here never causes a second send.
            with contextlib.suppress(TelegramError):
                await self._bot.delete_message(
                    job.chat_id, status_id, rate_limit_args=SendPriority.STATUS
                )
        return Handled.DELIVERED

    async def _send_results(self, job: Job) -> bool:
        """False when the job went back for a retry; True when it is ready to be closed."""
        waiting = await self._results.send_pending(job)
        now = time.time()
        if waiting and now < self._policy.deadline(job):
            retry_at = now + self._policy.delay_s(job.attempts)
            if await self._store.retry_later(job.id, self._owner, retry_at):
                self._metrics.delivery_retry(DeliveryRetry.DOWNLOAD)
                log.info("job %s: %d result(s) to retry at %.0f", job.id, len(waiting), retry_at)
            return False
        await self._report(job)
        return True

    async def _report(self, job: Job) -> None:
        """After the last attempt: say what could not be sent, in the words of what the job
        makes (a video, a track...)."""
        total = len(results_to_send(job))
        sent = _sent(job)
        output = self._results.output(job)
        if sent == 0:
            unusable = ResultMark.UNUSABLE in job.result_marks.values()
            kind = FailureKind.BAD_RESULT if unusable else FailureKind.DELIVERY
            await self._send_failure(job, failure_text(job, output, kind))
        elif sent < total:
            await self._say(job, texts.results_missing(total - sent, total, output))

    async def _give_up(self, job: Job) -> None:
        """After repeated crashes: tell the user what can be told, then let the job close."""
        log.error("job %s: delivery crashed %d times; closing it", job.id, job.crashes)
        try:
            if job.outcome == JobState.SUCCEEDED:
                await self._report(job)
            else:
                await self._send_failure(job, failure_text(job, self._results.output(job)))
        except Exception:  # whatever broke the deliveries may break this too
            log.exception("job %s: could not tell the user", job.id)

    async def _after_crash(self, job: Job) -> None:
        retry_at = time.time() + self._policy.delay_s(job.crashes)
        try:
            await self._store.retry_later(job.id, self._owner, retry_at, crashed=True)
            self._metrics.delivery_retry(DeliveryRetry.CRASH)
        except RedisError:
            log.warning("job %s: crash not recorded; its lease will run out", job.id)

    async def _send_failure(self, job: Job, text: str) -> None:
        """The failure replaces the status message's text, or comes as a new message."""
        if await edit_status(self._bot, job, text, SendPriority.RESULT):
            return
        await self._say(job, text)

    async def _say(self, job: Job, text: str) -> None:
        await self._bot.send_message(
            job.chat_id, text, reply_parameters=reply_to(job), rate_limit_args=SendPriority.RESULT
        )


def _finish(job: Job) -> Finish:
    """How the job ended for its user, once delivered."""
    if job.outcome != JobState.SUCCEEDED:
        return Finish.FAILED
    return Finish.SUCCEEDED if _sent(job) else Finish.UNDELIVERED


def _sent(job: Job) -> int:
    return sum(1 for mark in job.result_marks.values() if mark is ResultMark.SENT)


def failure_text(job: Job, output: MediaKind, found: FailureKind | None = None) -> str:
    """What the user hears of a failed job that makes `output`, or of one whose results could
    not be sent (`found`); a chain's job names the step that failed."""
    if job.steps > 1:
        reason = job.error_message if found is None else ""
        return texts.step_failed(output, found or job.fail_kind, reason, job.chain)
    if found is not None:
        return texts.delivery_failure_text(found, output)
    return texts.failure_text(
        job.fail_kind, job.error_message, output=output, from_photo=bool(job.inputs)
    )
