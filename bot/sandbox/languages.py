"""The app languages a sandbox user can pick, labelled as Telegram's own apps label them, and each
page user's current pick (kept on the server, so a reload keeps it)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

DEFAULT_APP_LANGUAGE = "en"
# Choices of made-up guests kept at most; a forgotten guest is back at the default.
MAX_GUEST_CHOICES = 1_000


@dataclass(frozen=True, slots=True)
class AppLanguage:
    """A Telegram app language: its code as updates carry it, its name in the page's picker,
    the empty chat's heading and Start button, and an invoice's Pay button and the "Paid" line
    after a payment, as that app shows them."""

    code: str
    name: str
    heading: str
    start: str
    pay: str
    paid: str


# "de" is a language Photobot does not speak: the page shows the bot's fallback with it.
APP_LANGUAGES = (
    AppLanguage("en", "English", "What can this bot do?", "START", "Pay", "Paid"),
    AppLanguage(
        "id", "Bahasa Indonesia", "Apa yang bisa dilakukan bot ini?", "MULAI", "Bayar", "Dibayar"
    ),
    AppLanguage("de", "Other (de)", "Was kann dieser Bot?", "STARTEN", "Bezahlen", "Bezahlt"),
)
KNOWN_CODES = tuple(language.code for language in APP_LANGUAGES)


def known(code: Any) -> TypeGuard[str]:
    return isinstance(code, str) and code in KNOWN_CODES


def as_json() -> list[dict[str, str]]:
    return [asdict(language) for language in APP_LANGUAGES]


class ChosenLanguages:
    """Each user's app language: their latest pick, else the default they came with."""

    def __init__(self, defaults: Mapping[int, str]) -> None:
        self._defaults = dict(defaults)
        self._picked: OrderedDict[int, str] = OrderedDict()

    def of(self, user_id: int) -> str:
        return self._picked.get(user_id) or self._defaults.get(user_id, DEFAULT_APP_LANGUAGE)

    def pick(self, user_id: int, code: str) -> None:
        if not known(code):
            raise ValueError(f"unknown app language: {code!r}")
        self._picked.pop(user_id, None)
        self._picked[user_id] = code  # most recent last
        guests = [u for u in self._picked if u not in self._defaults]
        for forgotten in guests[: max(len(guests) - MAX_GUEST_CHOICES, 0)]:
            del self._picked[forgotten]
