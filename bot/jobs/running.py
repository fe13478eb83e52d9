"""A user's running jobs as the chat shows them: the Cancel button on a status message, and a
job's place among its user's running jobs ("2nd of 3")."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.jobs.record import Job
from bot.jobs.store import JobStore


def cancel_markup(job_id: str) -> InlineKeyboardMarkup:
    """The keyboard a running job's status message carries."""
    button = InlineKeyboardButton(
        texts.CANCEL_BUTTON(), callback_data=button_data(JobAction.CANCEL, job_id)
    )
    return InlineKeyboardMarkup([[button]])


def place(running: Sequence[Job], job_id: str) -> tuple[int, int] | None:
    """The job's place (from 1, the oldest) among running jobs and their number; None when it
    is its user's only one (or no longer running)."""
    ids = [job.id for job in running]
    if len(ids) < 2 or job_id not in ids:
        return None
    return ids.index(job_id) + 1, len(ids)


async def with_place(store: JobStore, job: Job, text: str) -> str:
    """A status text, with the job's place when its user has several running."""
    where = place(await store.running_jobs(job.user_id), job.id)
    return text if where is None else f"{text}\n{texts.job_place(*where)}"
