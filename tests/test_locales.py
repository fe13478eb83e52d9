"""The catalogues keep up with the code: every sentence the code names is in each language's
catalogue, translated, with the same placeholders; the shipped .mo files match their .po."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.support import Translations

from bot import locales
from bot.locales import LANGUAGES, choose, number, speaking
from tests.catalogue import LOCALES, catalogue, code_messages

TRANSLATED = LANGUAGES[1:]
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_sentence_in_the_code_is_in_the_catalogue(language: str) -> None:
    ids = {message.id for message in catalogue(language) if message.id}
    wanted = code_messages()
    missing = [m for m in wanted if m not in ids]
    assert missing == [], "run the README's extract and update commands, then translate"
    assert len(wanted) > 150


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_is_there_with_the_same_placeholders(language: str) -> None:
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        source = " ".join(forms(message.id))
        for text in forms(message.string):
            if not text:
                problems.append(("empty", source[:60]))
            elif placeholders(text) != placeholders(forms(message.id)[-1]):
                problems.append(("placeholders", source[:60]))
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_nothing_the_code_no_longer_says(language: str) -> None:
    code = {m if isinstance(m, str) else m[0] for m in code_messages()}
    kept = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(language) if m.id}
    assert kept - code == set()
    assert not catalogue(language).obsolete


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_matches_its_po(language: str) -> None:
    """The .mo is shipped so a fresh clone needs no build step; it must say what the .po says."""
    compiled = Translations.load(str(LOCALES), [language], locales.DOMAIN)
    for message in catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(*message.id, 1) == forms(message.string)[0], message.id
        else:
            assert compiled.gettext(message.id) == message.string, (
                f"{message.id[:60]!r}: run the README's compile command"
            )


def test_the_reader_s_language_is_their_choice_then_their_app_s_then_the_default() -> None:
    assert choose("id", "en", "en") == "id"
    assert choose(None, "id-ID", "en") == "id"
    assert choose(None, "de", "id") == "id"  # a language Photobot does not speak
    assert choose("xx", None, "en") == "en"


def test_numbers_and_dates_follow_the_language() -> None:
    moment = datetime(2026, 12, 9, 14, 5, tzinfo=UTC)
    with speaking("id"):
        assert (number(1234.5), locales.day_and_time(moment)) == ("1.234,5", "9 Des, 14.05")
    with speaking("en"):
        assert (number(1234.5), locales.day_and_time(moment)) == ("1,234.5", "9 Dec, 14:05")


def test_an_unknown_or_missing_language_speaks_english() -> None:
    with speaking(""):
        assert locales.current() == "en"
    with speaking("de"):
        assert locales.translate("Back") == "Back"
