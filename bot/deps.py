"""The typed bundle of dependencies handed to handlers and web routes (no globals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from telegram.ext import CallbackContext

from bot.admin.alerts import AdminAlerts
from bot.admin.broadcast import BroadcastRunner, BroadcastStore
from bot.config import Settings
from bot.credits import Ledger, Prices
from bot.credits.payments import Payments
from bot.intake.albums import AlbumCollector
from bot.intake.flows.store import FlowStore
from bot.intake.offers import ImagineOffers
from bot.intake.quotes import Quotes
from bot.intake.screening import UpdateScreen
from bot.jobs.background.notices import StatusNotices
from bot.jobs.background.progress import Progress
from bot.jobs.cancel import JobCancels
from bot.jobs.kept import KeptResults
from bot.jobs.start import Failover, JobService
from bot.jobs.store import JobStore
from bot.models import Registry
from bot.providers.base import Provider
from bot.storage.index import IndexedStorage
from bot.users import UserLanguages, UserSettings
from bot.users.access import Access
from bot.users.forget import Forgetter

BOT_DATA_KEY = "deps"


@dataclass(slots=True)
class Deps:
    settings: Settings
    redis: Redis
    store: JobStore
    albums: AlbumCollector
    flows: FlowStore
    offers: ImagineOffers
    quotes: Quotes  # requests waiting for their price to be confirmed
    screen: UpdateScreen
    access: Access
    broadcasts: BroadcastStore
    broadcast_runner: BroadcastRunner
    forgetter: Forgetter
    registry: Registry
    user_settings: UserSettings
    languages: UserLanguages
    service: JobService
    notices: StatusNotices
    progress: Progress
    providers: Mapping[str, Provider]
    failover: Failover
    storage: IndexedStorage  # every file it stores is indexed for the retention sweep
    callback_secret: bytes
    cancels: JobCancels
    kept: KeptResults  # the stored results the buttons under them use
    ledger: Ledger  # users' credits (bot/credits/); used only with PAYMENTS=stars
    prices: Prices
    alerts: AdminAlerts  # admins told of what needs them (throttled per reason)
    payments: Payments  # Telegram Stars payments (bot/credits/payments.py)


def deps_of(context: CallbackContext[Any, Any, Any, Any]) -> Deps:
    """The one accessor handlers use to reach the app's dependencies."""
    deps = context.bot_data[BOT_DATA_KEY]
    assert isinstance(deps, Deps)
    return deps
