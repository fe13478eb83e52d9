"""The README's download limits are the code's: every figure it states for them is read here and
compared with the constant it describes, so the two cannot drift apart again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import texts
from bot.constants import (
    RESULT_DOWNLOAD_TIMEOUT_S,
    RESULT_LINK_TTL_S,
    RESULT_MAX_BYTES,
    TELEGRAM_DOWNLOAD_MAX_BYTES,
    TELEGRAM_UPLOAD_MAX_BYTES,
)

README = Path(__file__).resolve().parents[1] / "README.md"
MB = 1024 * 1024
DAY_S = 24 * 3600

# (what the README says, with the figure as a group; the constant, in the README's unit; how
# many times at least the README says it)
STATED = [
    (r"Telegram's (\d+) MB (?:bot )?download limit", TELEGRAM_DOWNLOAD_MAX_BYTES / MB, 2),
    (r"inputs from Telegram up to (\d+) MB", TELEGRAM_DOWNLOAD_MAX_BYTES / MB, 1),
    (r"Telegram's (\d+) MB upload\s+limit", TELEGRAM_UPLOAD_MAX_BYTES / MB, 1),
    (r"results uploaded to Telegram up to (\d+) MB", TELEGRAM_UPLOAD_MAX_BYTES / MB, 1),
    (r"larger results up to (\d+) MB", RESULT_MAX_BYTES / MB, 1),
    (r"a result over (\d+) MB is given up", RESULT_MAX_BYTES / MB, 1),
    (r"a file over (\d+) MB\) is reported", RESULT_MAX_BYTES / MB, 1),
    (r"(\d+) MB and \d+ s limits, streamed", RESULT_MAX_BYTES / MB, 1),
    (r"\d+ MB and (\d+) s limits, streamed", RESULT_DOWNLOAD_TIMEOUT_S, 1),
    (r"Each result download has\s+(\d+) s", RESULT_DOWNLOAD_TIMEOUT_S, 1),
    (r"valid (\d+) days", RESULT_LINK_TTL_S / DAY_S, 1),
    (r"the date it expires\s+\((\d+) days\)", RESULT_LINK_TTL_S / DAY_S, 1),
]


def readme() -> str:
    """The README with its line breaks as spaces, so a sentence reads the same however wrapped."""
    return re.sub(r"\s*\n\s*", " ", README.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("pattern", "constant", "at_least"), STATED, ids=[s[0] for s in STATED])
def test_the_readme_states_the_codes_download_limits(
    pattern: str, constant: float, at_least: int
) -> None:
    figures = [int(found) for found in re.findall(pattern, readme())]
    assert len(figures) >= at_least, f"the README no longer says {pattern!r}"
    assert figures == [constant] * len(figures)


def test_the_link_message_names_telegrams_upload_limit() -> None:
    stated = re.findall(r"\((\d+) MB\)", texts.RESULT_LINK.source)
    assert stated == [str(TELEGRAM_UPLOAD_MAX_BYTES // MB)]
