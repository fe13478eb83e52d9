"""/history: the user's last jobs, ten to a page, with Run again under those that can; older
pages replace the same message, for its owner only."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.again import repeats_of
from bot.jobs.buttons import JobAction, button_data
from bot.jobs.history import PAGE_SIZE, PREFIX, History, Page, page_data, parse_page_data
from bot.locales import number

__all__ = ["PREFIX", "on_page", "show"]

RUN_AGAIN_PER_ROW = 5


def history_of(deps: Deps) -> History:
    return History(deps.store, deps.registry, repeats_of(deps))


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    page = await history_of(deps_of(context)).page(user.id, 0)
    if not page.entries:
        await message.reply_text(texts.HISTORY_EMPTY())
        return
    await message.reply_text(render(page), reply_markup=keyboard(page))


async def on_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`hist:<owner>:<offset>`: another page, in place; only its owner may turn it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    parsed = parse_page_data(query.data or "")
    if parsed is None:
        await query.answer(texts.HISTORY_NO_MORE(), show_alert=True)
        return
    owner, offset = parsed
    if owner != user.id:
        await query.answer(texts.HISTORY_NOT_YOURS(), show_alert=True)
        return
    page = await history_of(deps_of(context)).page(owner, offset)
    if not page.entries:
        await query.answer(texts.HISTORY_NO_MORE(), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(render(page), reply_markup=keyboard(page))


def render(page: Page) -> str:
    """Plain text (no parse mode), so a prompt shows as typed and can mark nothing up."""
    first = page.offset + 1
    title = (
        texts.HISTORY_TITLE()
        if page.offset == 0
        else texts.HISTORY_TITLE_OLDER(first=number(first),
                                       last=number(page.offset + len(page.entries)))
    )  # fmt: skip
    blocks = [title]
    for position, entry in enumerate(page.entries, start=first):
        ending = texts.history_ending(entry.ending, entry.fail_kind, entry.reason)
        line = texts.history_line(position, entry.output, entry.created_at, ending)
        asked = texts.excerpt(entry.asked)
        blocks.append(f"{line}\n“{asked}”" if asked else line)
    return "\n\n".join(blocks)


def keyboard(page: Page) -> InlineKeyboardMarkup | None:
    """Run again for each job that can, by its number; then Newer and Older."""
    again = [
        InlineKeyboardButton(texts.RUN_AGAIN(number=number(position)),
                             callback_data=button_data(JobAction.AGAIN, entry.job_id))
        for position, entry in enumerate(page.entries, start=page.offset + 1)
        if entry.runnable
    ]  # fmt: skip
    rows = [again[i : i + RUN_AGAIN_PER_ROW] for i in range(0, len(again), RUN_AGAIN_PER_ROW)]
    pages = []
    if page.offset > 0:
        newer = page_data(page.owner, max(0, page.offset - PAGE_SIZE))
        pages.append(InlineKeyboardButton(texts.HISTORY_NEWER(), callback_data=newer))
    if page.has_older:
        older = page_data(page.owner, page.offset + PAGE_SIZE)
        pages.append(InlineKeyboardButton(texts.HISTORY_OLDER(), callback_data=older))
    if pages:
        rows.append(pages)
    return InlineKeyboardMarkup(rows) if rows else None
