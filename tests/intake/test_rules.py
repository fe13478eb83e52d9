"""What files and prompts a user may send."""

from __future__ import annotations

import pytest

from bot import texts
from bot.constants import PROMPT_MAX_CHARS, TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import InputRejected
from bot.intake.rules import (
    document_problem,
    normalize_prompt,
    prompt_problem,
    refusal_text,
    size_problem,
)
from bot.jobs.start import InputProblem
from bot.media.kinds import MediaKind
from bot.models.limits import Breach, Problem
from bot.models.spec import IMAGE_TYPES

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("mime", "name", "size"),
    [
        ("image/jpeg", "a.jpg", 1 * MB),
        ("image/png", "a.png", 1 * MB),
        ("image/webp", "a.webp", 1 * MB),
        ("IMAGE/JPEG", "A.JPG", 1 * MB),
        ("image/png", None, None),
        (None, "photo.png", 2 * MB),
        (None, "photo.JPEG", 2 * MB),
        ("", "archive.tar.webp", 2 * MB),
        ("image/jpeg", "a.jpg", TELEGRAM_DOWNLOAD_MAX_BYTES),
    ],
    ids=[
        "jpeg", "png", "webp", "uppercase-mime", "no-size", "no-mime-png-name",
        "no-mime-uppercase-jpeg-name", "empty-mime-last-extension", "exactly-20MB",
    ],
)  # fmt: skip
def test_usable_documents(mime: str | None, name: str | None, size: int | None) -> None:
    assert document_problem(mime, name, size, IMAGE_TYPES) is None


@pytest.mark.parametrize(
    ("mime", "name", "kind"),
    [
        ("image/heic", "IMG_0001.HEIC", "HEIC"),
        ("image/heif", "x.heif", "HEIF"),
        ("image/gif", "a.gif", "GIF"),
        ("image/tiff", "scan.tiff", "TIFF"),
        ("image/bmp", "a.bmp", "BMP"),
        ("image/svg+xml", "a.svg", "SVG"),
        ("image/avif", "a.avif", "AVIF"),
        (None, "IMG_0002.heic", "HEIC"),
        (None, "scan.tif", "TIFF"),
        ("", "anim.GIF", "GIF"),
    ],
)
def test_unsupported_image_formats_are_named(mime: str | None, name: str, kind: str) -> None:
    answer = document_problem(mime, name, 1 * MB, IMAGE_TYPES)
    assert answer == texts.UNSUPPORTED_FORMAT(kind=kind)
    assert kind in answer


def test_unsupported_format_is_named_even_when_too_big() -> None:
    answer = document_problem("image/heic", "a.heic", 30 * MB, IMAGE_TYPES)
    assert answer == texts.UNSUPPORTED_FORMAT(kind="HEIC")


@pytest.mark.parametrize(
    ("mime", "name"),
    [
        ("application/pdf", "doc.pdf"),
        ("application/zip", "photos.zip"),
        ("video/mp4", "clip.mp4"),
        ("video/quicktime", "clip.mov"),
        ("text/plain", "notes.txt"),
        (None, None),
        (None, "no_extension"),
        (None, "clip.mp4"),
        ("", "trailing.dot."),
        ("application/pdf", "lying.png"),
    ],
    ids=[
        "pdf", "zip", "mp4", "mov", "text", "nothing-known", "name-without-extension",
        "no-mime-video-name", "name-ending-in-dot", "mime-wins-over-name",
    ],
)  # fmt: skip
def test_non_images_get_not_an_image(mime: str | None, name: str | None) -> None:
    assert document_problem(mime, name, 1 * MB, IMAGE_TYPES) == texts.NOT_AN_IMAGE()


@pytest.mark.parametrize("size", [TELEGRAM_DOWNLOAD_MAX_BYTES + 1, 50 * MB])
def test_images_over_20_mb_are_too_big_for_telegram(size: int) -> None:
    assert document_problem("image/png", "a.png", size, IMAGE_TYPES) == texts.TOO_BIG_FOR_TELEGRAM()
    assert size_problem(size) == texts.TOO_BIG_FOR_TELEGRAM()


@pytest.mark.parametrize("size", [None, 0, TELEGRAM_DOWNLOAD_MAX_BYTES])
def test_size_problem_none_within_limit(size: int | None) -> None:
    assert size_problem(size) is None


def test_every_input_problem_has_a_text() -> None:
    problems = {v for k, v in vars(InputProblem).items() if not k.startswith("_")}
    answers = {p: refusal_text(InputRejected(p)) for p in problems}
    assert answers[InputProblem.NOT_AN_IMAGE] == texts.NOT_AN_IMAGE()
    assert answers[InputProblem.HOURLY_CAP] == texts.HOURLY_CAP()
    assert answers[InputProblem.UNAVAILABLE] == texts.MODEL_UNAVAILABLE()


@pytest.mark.parametrize(
    ("problem", "says"),
    [
        (Problem(Breach.TOO_MANY, MediaKind.IMAGE, limit=8), "up to 8 photos"),
        (Problem(Breach.TOO_BIG, MediaKind.IMAGE, limit=10 * MB), "over 10 MB"),
        (Problem(Breach.TOO_BIG, MediaKind.VIDEO, limit=20 * MB), "video is over 20 MB"),
        (Problem(Breach.TOO_LONG, MediaKind.VIDEO, limit=3, limit_high=30, actual=45),
         "45 s long; it needs 3 to 30 s"),
        (Problem(Breach.TOO_SHORT, MediaKind.VIDEO, limit=3, limit_high=30, actual=2),
         "2 s long; it needs 3 to 30 s"),
        (Problem(Breach.TOO_SMALL, MediaKind.IMAGE, limit=300), "300 by 300 pixels"),
        (Problem(Breach.FORMAT, MediaKind.VIDEO), "MP4 or MOV"),
        (Problem(Breach.TEXT_TOO_LONG, text="style", limit=200), "style is too long"),
        (Problem(Breach.TEXT_MISSING, text="prompt"), "Add a description"),
    ],
)  # fmt: skip
def test_limit_problems_say_what_to_change(problem: Problem, says: str) -> None:
    assert says in refusal_text(InputRejected(InputProblem.OVER_LIMIT, problem=problem))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("make it a watercolor", "make it a watercolor"),
        ("  spaced out \n", "spaced out"),
        ("\u200bzero\u200cwidth\u200d join\u2060er\ufeff", "zerowidth joiner"),
        ("\u200e\u200fmarks", "marks"),
        ("\u200b \u200b", ""),
        ("\ufeff", ""),
        ("", ""),
        (None, ""),
        ("emoji 🎨 stays", "emoji 🎨 stays"),
    ],
    ids=[
        "plain", "outer-space", "zero-width-chars", "direction-marks", "only-invisible-and-space",
        "bom-only", "empty", "none", "emoji-kept",
    ],
)  # fmt: skip
def test_normalize_prompt(raw: str | None, expected: str) -> None:
    assert normalize_prompt(raw) == expected


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("", texts.EMPTY_PROMPT()),
        ("x", None),
        ("x" * PROMPT_MAX_CHARS, None),
        ("x" * (PROMPT_MAX_CHARS + 1), texts.prompt_too_long()),
    ],
    ids=["empty", "one-char", "at-limit", "over-limit"],
)
def test_prompt_problem(prompt: str, expected: str | None) -> None:
    assert prompt_problem(prompt) == expected


def test_invisible_only_prompt_is_empty_after_normalizing() -> None:
    assert prompt_problem(normalize_prompt("\u200b\u200b")) == texts.EMPTY_PROMPT()
