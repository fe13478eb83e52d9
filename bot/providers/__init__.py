"""AI providers behind one interface (`base.Provider`), one package each, built from settings."""

from __future__ import annotations

import aiohttp
from redis.asyncio import Redis

from bot.config import Settings
from bot.providers.base import FileHost, Provider
from bot.providers.kie import KieClient, KieProvider
from bot.providers.kie.upload import KieUploader
from bot.providers.novita import NovitaClient, NovitaProvider, ResultHook
from bot.storage import Storage

# Routes are fixed before the app starts, so they come from the classes, not the instances.
# A route whose provider is not configured answers 404.
CALLBACK_ROUTES = {
    KieProvider.name: KieProvider.callback_route,
    NovitaProvider.name: NovitaProvider.callback_route,
}


def build_providers(
    settings: Settings,
    http: aiohttp.ClientSession,
    *,
    storage: Storage,
    redis: Redis,
    on_result: ResultHook,
) -> dict[str, Provider]:
    """Every configured provider, by name (the name a model's registry entry gives).

    `on_result` records an outcome a provider learns by itself (a synchronous call it runs in
    the background), the way a callback would."""
    hmac_key = settings.kie_webhook_hmac_key
    kie = KieProvider(
        KieClient(http, str(settings.kie_base_url), settings.kie_api_key.get_secret_value()),
        hmac_key=hmac_key.get_secret_value().encode() if hmac_key else None,
        confirm_callbacks=settings.kie_confirm_results,
    )
    providers: dict[str, Provider] = {kie.name: kie}
    if settings.novita_api_key is not None:
        client = NovitaClient(
            http, str(settings.novita_base_url), settings.novita_api_key.get_secret_value()
        )
        novita = NovitaProvider(
            client,
            storage=storage,
            redis=redis,
            on_result=on_result,
            seedream_sync=settings.novita_seedream_mode == "sync",
            test_mode=settings.novita_test_mode,
        )
        providers[novita.name] = novita
    return providers


def build_file_hosts(settings: Settings, http: aiohttp.ClientSession) -> dict[str, FileHost]:
    """Providers' own file stores, by provider name: where input files go when storage has
    no public URL. Novita needs none (Kling takes the image in its request; Seedream no input)."""
    kie = KieUploader(
        http, str(settings.kie_upload_base_url), settings.kie_api_key.get_secret_value()
    )
    return {KieProvider.name: kie}
