"""Each configured provider's balance, read with one short attempt, for `photobot check`: the
setting that holds its key, its unit and a default low-balance threshold travel with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from bot.config import Settings
from bot.providers.kie import KieClient
from bot.providers.novita import NovitaClient

KIE_LOW_CREDITS = 100.0  # about 25 images at nano-banana-pro's 4 credits
NOVITA_LOW_USD = 1.0


@dataclass(frozen=True)
class BalanceReader:
    """One provider's balance, and the names an operator needs when reading it fails."""

    provider: str  # as people write it: "Kie"
    key_setting: str  # the variable holding its API key
    url_setting: str  # the variable holding its base URL
    unit: str
    low: float  # a balance below this is worth a warning (PROVIDER_BALANCE_ALERT wins)
    read: Callable[[], Awaitable[float]]


def balance_readers(settings: Settings, http: aiohttp.ClientSession) -> list[BalanceReader]:
    """Kie always, Novita when its key is set; each reader makes one attempt, no retries."""
    kie = KieClient(
        http, str(settings.kie_base_url), settings.kie_api_key.get_secret_value(), attempts=1
    )
    readers = [
        BalanceReader(
            "Kie", "KIE_API_KEY", "KIE_BASE_URL", "credits", KIE_LOW_CREDITS, _as_float(kie.credit)
        )
    ]
    if settings.novita_api_key is not None:
        novita = NovitaClient(
            http,
            str(settings.novita_base_url),
            settings.novita_api_key.get_secret_value(),
            attempts=1,
        )
        readers.append(
            BalanceReader(
                "Novita",
                "NOVITA_API_KEY",
                "NOVITA_BASE_URL",
                "USD",
                NOVITA_LOW_USD,
                novita.balance_usd,
            )
        )
    return readers


def _as_float(read: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[float]]:
    async def reading() -> float:
        return float(await read())

    return reading
