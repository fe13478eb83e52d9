"""Pure rules for what a user sends: which files we take and which prompts we accept."""

from __future__ import annotations

import re

from bot import texts
from bot.constants import PROMPT_MAX_CHARS, TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import InputRejected, NotEnoughCredits
from bot.jobs.start import InputProblem

# Images people send that the model does not take; named so the answer can say which.
_UNSUPPORTED_IMAGES = {
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
    "image/svg+xml": "SVG",
    "image/avif": "AVIF",
}
_EXTENSION_MIME = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "heic": "image/heic", "heif": "image/heif", "gif": "image/gif", "tif": "image/tiff",
    "tiff": "image/tiff", "bmp": "image/bmp", "svg": "image/svg+xml", "avif": "image/avif",
}  # fmt: skip
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")

_INPUT_PROBLEM_TEXTS = {
    InputProblem.NOT_AN_IMAGE: texts.NOT_AN_IMAGE,
    InputProblem.NOT_A_VIDEO: texts.NOT_A_VIDEO,
    InputProblem.TOO_BIG_FOR_TELEGRAM: texts.TOO_BIG_FOR_TELEGRAM,
    InputProblem.DOWNLOAD_FAILED: texts.DOWNLOAD_FAILED,
    InputProblem.TOO_MANY_IN_FLIGHT: texts.TOO_MANY_IN_FLIGHT,
    InputProblem.HOURLY_CAP: texts.HOURLY_CAP,
    InputProblem.UNAVAILABLE: texts.MODEL_UNAVAILABLE,
}


def refusal_text(exc: InputRejected) -> str:
    """What to tell a user whose input was refused."""
    if isinstance(exc, NotEnoughCredits):
        return texts.not_enough_credits(exc.price, exc.balance)
    if exc.problem is not None:
        return texts.limit_text(exc.problem)
    return _INPUT_PROBLEM_TEXTS.get(exc.reason, texts.NOT_AN_IMAGE)()


def document_problem(
    mime_type: str | None, file_name: str | None, size: int | None, accepted: frozenset[str]
) -> str | None:
    """The answer for a document we will not use, or None when it looks like an image of an
    `accepted` type."""
    mime = _ALIASES.get((mime_type or "").lower(), (mime_type or "").lower())
    if mime in ("", "application/octet-stream"):
        mime = _mime_from_name(file_name) or mime
    if mime in _UNSUPPORTED_IMAGES:
        return texts.UNSUPPORTED_FORMAT(kind=_UNSUPPORTED_IMAGES[mime])
    if mime not in accepted:
        return texts.NOT_AN_IMAGE()
    return size_problem(size)


def size_problem(size: int | None) -> str | None:
    if size is not None and size > TELEGRAM_DOWNLOAD_MAX_BYTES:
        return texts.TOO_BIG_FOR_TELEGRAM()
    return None


def normalize_prompt(text: str | None) -> str:
    """The prompt without invisible characters or surrounding space ("" when nothing is left)."""
    return _INVISIBLE.sub("", text or "").strip()


def prompt_problem(prompt: str) -> str | None:
    if not prompt:
        return texts.EMPTY_PROMPT()
    if len(prompt) > PROMPT_MAX_CHARS:
        return texts.prompt_too_long()
    return None


def _mime_from_name(file_name: str | None) -> str:
    if not file_name or "." not in file_name:
        return ""
    return _EXTENSION_MIME.get(file_name.rsplit(".", 1)[1].lower(), "")
