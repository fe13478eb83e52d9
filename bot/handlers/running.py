"""/jobs (what is running, each with a Cancel button), /cancel outside a flow, and a press of a
job's Cancel button (on its status message or under /jobs)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.edits import edit_in_place
from bot.jobs.buttons import JobAction, button_data, parse_button
from bot.jobs.record import Job, JobState
from bot.jobs.store import CancelResult
from bot.media.kinds import MediaKind
from bot.models import Registry

# What a press hears, by what the cancel did; the owner's own press of a running job is the
# only one that cancels.
_ANSWERS = {
    CancelResult.CANCELLED: texts.CANCEL_PRESSED,
    CancelResult.UNKNOWN_JOB: texts.CANCEL_GONE,
    CancelResult.NOT_YOURS: texts.CANCEL_NOT_YOURS,
    CancelResult.ALREADY_CANCELLED: texts.CANCEL_ALREADY,
    CancelResult.ALREADY_DONE: texts.CANCEL_TOO_LATE,
}


async def on_jobs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    jobs = await deps.cancels.running(user.id)
    if not jobs:
        await message.reply_text(texts.JOBS_NONE())
        return
    await message.reply_text(
        jobs_text(jobs, deps.registry, time.time()), reply_markup=jobs_keyboard(jobs)
    )


async def cancel_jobs(deps: Deps, message: Message, user_id: int) -> None:
    """/cancel with no flow to end: the one running job is cancelled at once; several are
    listed, each with its Cancel button."""
    jobs = await deps.cancels.running(user_id)
    if not jobs:
        await message.reply_text(texts.NOTHING_TO_CANCEL())
        return
    if len(jobs) > 1:
        listed = jobs_text(jobs, deps.registry, time.time())
        await message.reply_text(f"{texts.CANCEL_WHICH()}\n\n{listed}",
                                 reply_markup=jobs_keyboard(jobs))  # fmt: skip
        return
    done = await deps.cancels.cancel(jobs[0].id, user_id)
    await message.reply_text(_ANSWERS[done.result]())


async def on_cancel_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Only the job's owner cancels it; anyone else gets an alert, and nothing happens. Data
    that names no job of ours, or one that is gone, gets a polite answer."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    button = parse_button(query.data or "")
    if button is None or button.action is not JobAction.CANCEL:
        await query.answer(texts.CANCEL_GONE(), show_alert=True)
        return
    deps = deps_of(context)
    done = await deps.cancels.cancel(button.job_id, user.id)
    alert = done.result is not CancelResult.CANCELLED
    await query.answer(_ANSWERS[done.result](), show_alert=alert)
    pressed, job = query.message, done.job
    on_a_list = (
        isinstance(pressed, Message)
        and job is not None
        and (pressed.message_id != job.status_message_id)
    )
    if on_a_list and done.result is not CancelResult.NOT_YOURS:
        assert isinstance(pressed, Message)
        await _refresh_list(deps, pressed, user.id)


async def _refresh_list(deps: Deps, listing: Message, user_id: int) -> None:
    """A /jobs list whose Cancel was pressed shows what still runs."""
    jobs = await deps.cancels.running(user_id)
    if not jobs:
        await edit_in_place(listing, texts.JOBS_NONE())
        return
    await edit_in_place(listing, jobs_text(jobs, deps.registry, time.time()), jobs_keyboard(jobs))


def jobs_text(jobs: Sequence[Job], registry: Registry, now: float) -> str:
    """One line a job, oldest first: what it makes, how long so far, which stage."""
    lines = [texts.JOBS_TITLE()]
    for number, job in enumerate(jobs, start=1):
        kind = _output(registry, job)
        between = job.state is JobState.SUCCEEDED  # a chain's step done, the next to come
        stage = texts.job_stage(kind, job.stage, started=bool(job.task_id), step=job.step,
                                steps=job.steps, between_steps=between)  # fmt: skip
        lines.append(texts.job_line(number, kind, max(0.0, now - job.created_at), stage))
    return "\n".join(lines)


def jobs_keyboard(jobs: Sequence[Job]) -> InlineKeyboardMarkup:
    """A Cancel button a job, numbered as its line; at most three a row."""
    buttons = [
        InlineKeyboardButton(
            texts.CANCEL_NUMBERED(number=str(number)),
            callback_data=button_data(JobAction.CANCEL, job.id),
        )
        for number, job in enumerate(jobs, start=1)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def _output(registry: Registry, job: Job) -> MediaKind:
    spec = registry.find(job.model)
    return spec.output if spec else MediaKind.IMAGE
