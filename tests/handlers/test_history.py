"""/history's page fits one Telegram message whatever the prompts and reasons hold."""

from __future__ import annotations

import time

import pytest

from bot.errors import FailureKind
from bot.handlers.history import keyboard, render
from bot.jobs.history import Ending, Entry, Page
from bot.locales import speaking
from bot.media.kinds import MediaKind

TELEGRAM_TEXT_MAX = 4096
TELEGRAM_BUTTONS_MAX = 100
# User text at its worst: long, several lines, a right-to-left override and zero-width marks.
WORST_PROMPT = ("draw\n\nthis \u202e<b>now</b>\u200b " * 200)[:2000]
WORST_REASON = "Inappropriate content, see https://example.com/policy " * 10


def worst(job_id: str) -> Entry:
    return Entry(job_id, MediaKind.VIDEO, WORST_PROMPT, time.time(), Ending.FAILED,
                 FailureKind.REJECTED, WORST_REASON, runnable=True)  # fmt: skip


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_full_page_fits_one_message(language: str) -> None:
    entries = tuple(worst(f"{n:032x}") for n in range(10))
    page = Page(owner=2**40, offset=10, entries=entries, has_older=True)
    with speaking(language):
        text, markup = render(page), keyboard(page)

    assert len(text) <= TELEGRAM_TEXT_MAX
    assert "\u202e" not in text and "\u200b" not in text and "example.com" not in text
    assert text.count("\n\n") == 10  # one block per job: the prompt's own lines are joined
    assert markup is not None
    datas = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert len(datas) == 12 <= TELEGRAM_BUTTONS_MAX  # ten Run again, Newer, Older
    assert all(isinstance(d, str) and len(d.encode()) <= 64 for d in datas)


def test_jobs_that_cannot_run_again_get_no_button() -> None:
    kept = Entry("a" * 32, MediaKind.IMAGE, "p", time.time(), Ending.DELIVERED, runnable=True)
    gone = Entry("b" * 32, MediaKind.IMAGE, "", time.time(), Ending.RUNNING)
    markup = keyboard(Page(owner=1, offset=0, entries=(kept, gone), has_older=False))

    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == [
        "job:again:" + "a" * 32
    ]
    assert "“" not in render(Page(1, 0, (gone,), False))  # nothing asked, no empty quotes
