"""Text from providers' JSON, made safe to store and show (shared by the provider parsers)."""

from __future__ import annotations


def encodable(text: str) -> bool:
    """JSON allows lone surrogates; Redis and Telegram need real UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """The text with anything that is not valid UTF-8 replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")
