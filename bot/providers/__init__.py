"""AI providers behind one interface (`base.Provider`), one package each, built from settings."""

from __future__ import annotations

import aiohttp

from bot.config import Settings
from bot.providers.base import Provider
from bot.providers.kie import KieClient, KieProvider

# Routes are fixed before the app starts, so they come from the classes, not the instances.
CALLBACK_ROUTES = {KieProvider.name: KieProvider.callback_route}


def build_providers(settings: Settings, http: aiohttp.ClientSession) -> dict[str, Provider]:
    """Every configured provider, by name (the name a model's registry entry gives)."""
    hmac_key = settings.kie_webhook_hmac_key
    kie = KieProvider(
        KieClient(http, str(settings.kie_base_url), settings.kie_api_key.get_secret_value()),
        hmac_key=hmac_key.get_secret_value().encode() if hmac_key else None,
        confirm_callbacks=settings.kie_confirm_results,
    )
    return {kie.name: kie}
