"""`photobot check`: every check at once, each under its own deadline, one line per result in a
fixed order, every line scrubbed of secrets; exit 0 only when nothing failed."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

import aiohttp

from bot.config import Settings
from bot.runtime.check.balances import check_balances
from bot.runtime.check.base import Check, Line, guarded
from bot.runtime.check.public_url import check_public_url
from bot.runtime.check.redis_db import check_redis
from bot.runtime.check.settings_agree import check_agreement
from bot.runtime.check.storage import check_storage
from bot.runtime.check.telegram_bot import check_telegram
from bot.runtime.log_setup import RedactSecrets

EXIT_ALL_PASSED = 0
EXIT_SOME_FAILED = 1
# Each check's own deadline; they run at once, so the whole check ends within the longest.
TELEGRAM_S = 15.0  # getMe, getWebhookInfo, then a 5 s getUpdates probe
BALANCES_S = 10.0
STORAGE_S = 20.0
PUBLIC_URL_S = 12.0
REDIS_S = 10.0


async def gather_lines(settings: Settings) -> list[Line]:
    async with aiohttp.ClientSession(trust_env=True) as http:
        groups = await asyncio.gather(
            guarded("TELEGRAM_BOT_TOKEN", TELEGRAM_S, lambda: check_telegram(settings, http)),
            guarded("provider keys", BALANCES_S, lambda: check_balances(settings, http)),
            guarded("storage", STORAGE_S, lambda: check_storage(settings, http)),
            guarded("PUBLIC_BASE_URL", PUBLIC_URL_S, lambda: check_public_url(settings, http)),
            guarded("REDIS_URL", REDIS_S, lambda: check_redis(settings)),
            guarded("webhook settings", 1.0, _agreement(settings)),
        )
    return [line for group in groups for line in group]


def _agreement(settings: Settings) -> Check:
    """The pure agreement check in the shape the others have."""

    async def check() -> list[Line]:
        return check_agreement(settings)

    return check


def scrubbed(line: Line, scrubber: RedactSecrets) -> Line:
    """The line without secrets. Its label (the setting's name) is kept apart: the log
    scrubber reads "…_TOKEN: word" as a labelled secret and would eat the word after it."""
    label, colon, rest = line.text.partition(": ")
    return Line(line.status, f"{scrubber.redact(label)}{colon}{scrubber.redact(rest)}")


async def run_checks(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Prints the lines and a summary; returns the exit code."""
    scrubber = RedactSecrets(settings.secret_values())
    print("photobot check: checking the configuration (at most about 20 s)", file=out)
    out.flush()
    lines = await gather_lines(settings)
    for line in lines:
        print(scrubbed(line, scrubber).render(), file=out)
    failed = sum(line.failed for line in lines)
    if failed:
        print(f"photobot check: {failed} of {len(lines)} checks failed", file=out)
        return EXIT_SOME_FAILED
    print(f"photobot check: all {len(lines)} checks passed", file=out)
    return EXIT_ALL_PASSED
