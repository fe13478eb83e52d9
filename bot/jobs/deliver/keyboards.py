"""The buttons under a job's results, in the reader's language (pure): Again under every final
result, and Original, Edit this and Animate under images. An album cannot carry buttons, so its
buttons go on a short message after it, one row per image, numbered."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.jobs.deliver.keep import keeps_results
from bot.jobs.deliver.render import Ready
from bot.jobs.record import Job
from bot.media.check import SendAs
from bot.media.kinds import MediaKind

# What each button on one image says.
_IMAGE_ACTIONS = (
    (JobAction.ORIGINAL, texts.BUTTON_ORIGINAL),
    (JobAction.EDIT, texts.BUTTON_EDIT_THIS),
    (JobAction.ANIMATE, texts.BUTTON_ANIMATE),
)


def result_markup(job: Job, item: Ready) -> InlineKeyboardMarkup | None:
    """The buttons on one result's own message; None before a chain's next step."""
    if not keeps_results(job):
        return None
    rows = []
    if _is_image(item):
        # A file is already the original; a link's image is too big to send as one.
        wanted = [a for a in _IMAGE_ACTIONS if a[0] is not JobAction.ORIGINAL or _as_photo(item)]
        rows.append([_button(label(), action, job, item.index) for action, label in wanted])
    rows.append([_again(job)])
    return InlineKeyboardMarkup(rows)


def album_markup(job: Job, items: Sequence[Ready]) -> InlineKeyboardMarkup | None:
    """The buttons for an album's photos (on the message after it), numbered as they appear."""
    if not keeps_results(job):
        return None
    rows = [
        [
            _button(f"{label()} {number}", action, job, item.index)
            for action, label in _IMAGE_ACTIONS
        ]
        for number, item in enumerate(items, start=1)
    ]
    rows.append([_again(job)])
    return InlineKeyboardMarkup(rows)


def _is_image(item: Ready) -> bool:
    info = item.media.info
    return info is not None and info.kind is MediaKind.IMAGE and item.how is not SendAs.LINK


def _as_photo(item: Ready) -> bool:
    return item.how is SendAs.PHOTO


def _again(job: Job) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        texts.BUTTON_AGAIN(), callback_data=button_data(JobAction.AGAIN, job.id)
    )


def _button(text: str, action: JobAction, job: Job, index: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=button_data(action, job.id, index))
