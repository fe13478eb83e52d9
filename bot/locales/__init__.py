"""The language catalogues (gettext `.po`/`.mo`, managed with Babel) and the reader's language.

English is the source language: its sentences are the message ids, so it needs no catalogue.
Every other language has `<lang>/LC_MESSAGES/photobot.po` (and its compiled `.mo`) here. The
language a sentence is written in is the reader's, held in a context variable: set for each
update by the handlers, and for each job from its record.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import Translations

DOMAIN = "photobot"
SOURCE = "en"
LANGUAGES = ("en", "id")  # the first is the source language
# Each language named in itself, as a language picker shows it (never translated).
LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}
HERE = Path(__file__).parent

_reader: ContextVar[str] = ContextVar("reader_language", default=SOURCE)


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language; the source language and unknown ones translate
    nothing."""
    if language == SOURCE or language not in LANGUAGES:
        return gettext.NullTranslations()
    return Translations.load(str(HERE), [language], DOMAIN)


def supported(language: str | None) -> str | None:
    """`id` from `id`, `id-ID` or `ID`; None when Photobot does not speak it."""
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else None


def choose(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """The user's own choice, else their Telegram app's language, else the operator's default."""
    return supported(chosen) or supported(telegram_code) or default


def current() -> str:
    return _reader.get()


def set_language(language: str) -> None:
    """For the rest of this task (an update's handlers run in one)."""
    _reader.set(supported(language) or SOURCE)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Sentences inside are written in `language`, then the language before comes back."""
    token = _reader.set(supported(language) or SOURCE)  # a record from before languages: English
    try:
        yield
    finally:
        _reader.reset(token)


def translate(message: str) -> str:
    return catalogue(_reader.get()).gettext(message)


def translate_plural(singular: str, plural: str, count: int) -> str:
    return catalogue(_reader.get()).ngettext(singular, plural, count)


def number(value: float, most_decimals: int = 1) -> str:
    """`1,234.5` in English, `1.234,5` in Indonesian; no trailing zeros."""
    pattern = "#,##0" + ("." + "#" * most_decimals if most_decimals else "")
    return str(format_decimal(value, format=pattern, locale=_locale()))


def number_fixed(value: float, decimals: int) -> str:
    """Always `decimals` digits after the separator: `2.0` / `2,0`."""
    pattern = "#,##0." + "0" * decimals
    return str(format_decimal(value, format=pattern, locale=_locale()))


def day_and_time(moment: datetime, *, year: bool = False) -> str:
    """`9 Dec, 14:05` / `9 Des, 14.05` (with the year: `9 Dec 2026, 14:05`), 24-hour."""
    day = format_date(moment, format="d MMM y" if year else "d MMM", locale=_locale())
    clock = format_time(moment, format=_CLOCK.get(_reader.get(), "HH:mm"), locale=_locale())
    return f"{day}, {clock}"


# How each language writes the time of day (CLDR's short forms are 12-hour in English).
_CLOCK = {"en": "HH:mm", "id": "HH.mm"}


def _locale() -> Locale:
    return _babel_locale(_reader.get())


@cache
def _babel_locale(language: str) -> Locale:
    return Locale.parse(language)


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence in the source language; calling it writes it in the reader's language, with
    `{name}` placeholders filled from the keywords."""

    source: str

    def __call__(self, **values: object) -> str:
        text = translate(self.source)
        return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class Plural:
    """A sentence whose form follows a count (`{count}` is filled in too)."""

    singular: str
    plural: str

    def __call__(self, count: int, **values: object) -> str:
        return translate_plural(self.singular, self.plural, count).format(count=count, **values)
