"""/settings and /language: an inline keyboard of the options that matter, remembered per user;
the language row is the same choice as /language."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.edits import edit_in_place
from bot.handlers.flows import split_command
from bot.locales import LANGUAGE_NAMES, LANGUAGES, current, set_language
from bot.models import Registry
from bot.models.spec import Setting

PREFIX = "set:"
LANGUAGE = "language"  # the language row's key: not a model setting, kept apart from them


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    values = await deps.user_settings.of(user.id)
    markup = overview(deps.registry, user.id, values)
    await message.reply_text(texts.SETTINGS(), reply_markup=markup)


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/language id` switches at once; `/language` alone offers the languages."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    _, wanted = split_command(message.text or "")
    if not wanted:
        await message.reply_text(texts.LANGUAGE_ASK(), reply_markup=languages(user.id))
        return
    chosen = await deps_of(context).languages.choose(user.id, wanted)
    if chosen is None:
        await message.reply_text(texts.LANGUAGE_UNKNOWN())
        return
    set_language(chosen)  # the answer already speaks it
    await message.reply_text(texts.LANGUAGE_SET())


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`set:<user>:<key>` opens a setting's choices, `set:<user>:<key>:<value>` picks one,
    `set:<user>` goes back; only the user the keyboard belongs to may press it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    owner, key, value = parse(query.data or "")
    if owner != user.id:
        await query.answer(texts.SETTINGS_NOT_YOURS(), show_alert=True)
        return
    deps = deps_of(context)
    if not await _choose(deps, user.id, key, value):
        await query.answer(texts.SETTINGS_UNKNOWN(), show_alert=True)
        return
    values = await deps.user_settings.of(user.id)
    if key == LANGUAGE and not value:
        markup = languages(user.id)
    elif key and not value:
        markup = choices(deps.registry, user.id, key, values.get(key, ""))
    else:
        markup = overview(deps.registry, user.id, values)
    await query.answer(texts.SETTING_SAVED() if value else None)
    await edit_in_place(query.message, texts.SETTINGS(), markup)


async def _choose(deps: Deps, user_id: int, key: str, value: str) -> bool:
    """Remember a pressed choice (a language speaks at once); False when there is no such
    setting or value."""
    if key == LANGUAGE:
        chosen = await deps.languages.choose(user_id, value) if value else current()
        if chosen is not None:
            set_language(chosen)
        return chosen is not None
    if key not in {s.key for s in deps.registry.settings}:
        return not key
    return not value or await deps.user_settings.choose(user_id, key, value)


def overview(registry: Registry, user_id: int, values: Mapping[str, str]) -> InlineKeyboardMarkup:
    rows = [[_button(_row_label(s, values), user_id, s.key)] for s in registry.settings]
    rows.append([_button(f"{texts.LANGUAGE()}: {LANGUAGE_NAMES[current()]}", user_id, LANGUAGE)])
    return InlineKeyboardMarkup(rows)


def _row_label(setting: Setting, values: Mapping[str, str]) -> str:
    """ "Video quality: pro", and while the other setting makes it change nothing, with the
    setting's note ("… (only with one engine)")."""
    label = f"{setting.label()}: {setting.shown(values[setting.key])}"
    if setting.not_applying is not None and not setting.applies(values):
        label = f"{label} ({setting.not_applying()})"
    return label


def _button(label: str, user_id: int, *path: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=":".join([f"{PREFIX}{user_id}", *path]))


def choices(registry: Registry, user_id: int, key: str, current_value: str) -> InlineKeyboardMarkup:
    setting = registry.setting(key)
    shown = {choice: setting.shown(choice) for choice in setting.choices}
    return _choice_rows(user_id, key, shown, current_value)


def languages(user_id: int) -> InlineKeyboardMarkup:
    """Each language named in itself, the one spoken now ticked."""
    shown = {language: LANGUAGE_NAMES[language] for language in LANGUAGES}
    return _choice_rows(user_id, LANGUAGE, shown, current())


def _choice_rows(
    user_id: int, key: str, shown: Mapping[str, str], current_value: str
) -> InlineKeyboardMarkup:
    buttons = [
        _button(f"✓ {label}" if choice == current_value else label, user_id, key, choice)
        for choice, label in shown.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(texts.BACK(), user_id)])
    return InlineKeyboardMarkup(rows)


def parse(data: str) -> tuple[int | None, str, str]:
    """(owner, setting key, value) from a settings button; owner None when malformed."""
    prefix, _, rest = data.partition(PREFIX)
    owner, _, tail = rest.partition(":")
    key, _, value = tail.partition(":")
    if prefix or not owner.isdigit():
        return None, "", ""
    return int(owner), key, value
