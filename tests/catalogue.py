"""The sentences the code names (extracted as `pybabel extract` does) and the catalogues'."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
# The same keywords as the README's extract command.
KEYWORDS = {"Message": None, "Plural": (1, 2)}


def code_messages() -> list[str | tuple[str, str]]:
    """Every Message (a string) and Plural (singular, plural) in bot/, in source order."""
    found: list[str | tuple[str, str]] = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), keywords=KEYWORDS, comment_tags=()
    ):
        if message not in found:
            found.append(message)
    return found


def sources() -> list[str]:
    """Every English sentence and word, plural forms included."""
    texts: list[str] = []
    for message in code_messages():
        texts.extend(message if isinstance(message, tuple) else (message,))
    return texts


def catalogue(language: str) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / "photobot.po"
    with path.open("rb") as file:
        return read_po(file, locale=language)
