"""/settings: an inline keyboard of the options that matter, remembered per user."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import deps_of
from bot.models import Registry

PREFIX = "set:"


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    values = await deps.user_settings.of(user.id)
    await message.reply_text(texts.SETTINGS, reply_markup=overview(deps.registry, user.id, values))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`set:<user>:<key>` opens a setting's choices, `set:<user>:<key>:<value>` picks one,
    `set:<user>` goes back; only the user the keyboard belongs to may press it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    owner, key, value = parse(query.data or "")
    if owner != user.id:
        await query.answer(texts.SETTINGS_NOT_YOURS, show_alert=True)
        return
    deps = deps_of(context)
    known = key in {s.key for s in deps.registry.settings}
    if (key and not known) or (value and not await deps.user_settings.choose(user.id, key, value)):
        await query.answer(texts.SETTINGS_UNKNOWN, show_alert=True)
        return
    values = await deps.user_settings.of(user.id)
    if key and not value:
        markup = choices(deps.registry, user.id, key, values.get(key, ""))
    else:
        markup = overview(deps.registry, user.id, values)
    await query.answer(texts.SETTING_SAVED if value else None)
    await query.message.edit_text(texts.SETTINGS, reply_markup=markup)


def overview(registry: Registry, user_id: int, values: Mapping[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(f"{s.label}: {values[s.key]}", user_id, s.key)] for s in registry.settings]
    )


def _button(label: str, user_id: int, *path: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=":".join([f"{PREFIX}{user_id}", *path]))


def choices(registry: Registry, user_id: int, key: str, current: str) -> InlineKeyboardMarkup:
    setting = registry.setting(key)
    buttons = [
        _button(f"✓ {choice}" if choice == current else choice, user_id, key, choice)
        for choice in setting.choices
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(texts.BACK, user_id)])
    return InlineKeyboardMarkup(rows)


def parse(data: str) -> tuple[int | None, str, str]:
    """(owner, setting key, value) from a settings button; owner None when malformed."""
    prefix, _, rest = data.partition(PREFIX)
    owner, _, tail = rest.partition(":")
    key, _, value = tail.partition(":")
    if prefix or not owner.isdigit():
        return None, "", ""
    return int(owner), key, value
