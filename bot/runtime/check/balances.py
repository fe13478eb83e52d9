"""Each provider key: its balance read back (no credit spent), a warning when it runs low."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.config import Settings
from bot.errors import ProviderError
from bot.providers.balances import BalanceReader, balance_readers
from bot.runtime.check.base import Line, fail, ok, warn

READ_TIMEOUT_S = 8.0


async def check_balances(settings: Settings, http: aiohttp.ClientSession) -> list[Line]:
    readers = balance_readers(settings, http)
    alert = settings.provider_balance_alert
    return list(await asyncio.gather(*(_check_one(reader, alert) for reader in readers)))


async def _check_one(reader: BalanceReader, alert: float | None) -> Line:
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            balance = await reader.read()
    except TimeoutError:
        return fail(
            f"{reader.url_setting}: {reader.provider} did not answer within "
            f"{READ_TIMEOUT_S:g} s: try again, or check {reader.url_setting}"
        )
    except ProviderError as exc:
        return _refusal(reader, exc.code)
    return balance_line(reader, balance, alert)


def balance_line(reader: BalanceReader, balance: float, alert: float | None) -> Line:
    low = reader.low if alert is None else alert
    amount = f"{balance:g} {reader.unit}"
    if balance < low:
        source = "PROVIDER_BALANCE_ALERT" if alert is not None else "the default"
        return warn(
            f"{reader.key_setting}: {reader.provider} has {amount} left, under "
            f"{low:g} ({source}): top up before jobs fail"
        )
    return ok(f"{reader.key_setting}: {reader.provider} has {amount}")


def _refusal(reader: BalanceReader, code: int) -> Line:
    """A provider's refusal by its code, never its message (it may echo what was sent)."""
    if code in (401, 403):
        return fail(
            f"{reader.key_setting}: {reader.provider} refused this key ({code}): copy "
            f"it again from your {reader.provider} account's API key page"
        )
    if code == 0:
        return fail(
            f"{reader.url_setting}: cannot reach {reader.provider}: check the network "
            f"and {reader.url_setting}"
        )
    return fail(
        f"{reader.key_setting}: {reader.provider} answered code {code} to a balance "
        "query: try again later"
    )
