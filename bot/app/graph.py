"""The object graph, built in one place: who gets which collaborator. Nothing here starts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from aiohttp import web
from telegram.ext import ExtBot

from bot import texts
from bot.admin import AdminAlerts
from bot.admin.broadcast import BroadcastRunner, BroadcastStore
from bot.app.resources import build_storage, callback_secret
from bot.config import Settings
from bot.credits import Ledger, Prices
from bot.credits.ledger import Allowance
from bot.credits.payments import Payments
from bot.deps import Deps
from bot.handlers.forget import tell_forgotten
from bot.intake.albums import AlbumCollector
from bot.intake.flows.store import FlowStore
from bot.intake.offers import ImagineOffers
from bot.intake.quotes import Quotes
from bot.intake.screening import Gate, UpdateScreen
from bot.jobs import JobStore
from bot.jobs.background import Progress, Reconciler, StatusNotices, reconcile_interval
from bot.jobs.cancel import JobCancels
from bot.jobs.chains import ChainSteps
from bot.jobs.deliver import Deliverer, RetryPolicy, Subscriber
from bot.jobs.deliver.keep import ResultKeeper
from bot.jobs.deliver.results import ResultSender
from bot.jobs.forget import UserJobs
from bot.jobs.kept import KeptResults
from bot.jobs.start import (
    Admissions,
    Failover,
    Inputs,
    JobRecords,
    JobService,
    ProviderWatch,
    Router,
    StartStatus,
    SubmitConfig,
    Submitter,
    UserLimits,
    telegram_policy,
)
from bot.jobs.start.reroute import Rerouter
from bot.media.fetch import MediaFetcher
from bot.metrics import Metrics
from bot.models import Registry
from bot.models.spec import Cadence, Capability
from bot.providers import build_file_hosts, build_providers
from bot.providers.base import Provider
from bot.storage import Storage
from bot.storage.index import IndexedStorage
from bot.users import UserLanguages, UserSettings
from bot.users.access import Access
from bot.users.forget import Forgets, Forgetter
from bot.web.keys import HTTP, METRICS, MODELS, REDIS, SETTINGS

# Polling mode: the reconciler looks for due polls this often, so a poll goes out within half
# a second of its cadence's time (an idle tick is two Redis calls); with callbacks the usual
# tick (up to 5 s) only catches late callbacks.
POLLING_TICK_S = 0.5


@dataclass(frozen=True, slots=True)
class Delivery:
    """The two ways a stored outcome reaches its chat: the pub/sub fast path and the sweep."""

    subscriber: Subscriber
    reconciler: Reconciler


async def build_deps(app: web.Application, bot: ExtBot[int]) -> Deps:
    """Everything handlers and routes reach through `Deps`."""
    settings, redis, registry = app[SETTINGS], app[REDIS], app[MODELS]
    secret = await callback_secret(settings, redis)
    storage = IndexedStorage(
        await build_storage(settings, secret), redis, keep_s=settings.retention_s
    )
    store = JobStore(redis, record_ttl_s=settings.retention_s)
    providers = build_providers(
        settings, app[HTTP], storage=storage, redis=redis, on_result=store.record_task_outcome
    )
    progress = Progress(redis, store, bot, registry)
    notices = StatusNotices(
        bot, store, lambda job: texts.generating(progress.output(job), job.step, job.steps)
    )
    user_settings = UserSettings(redis, registry, {"video_engine": settings.video_engine})
    languages = UserLanguages(redis, settings.default_language, settings.admin_ids)
    failover = Failover(redis, settings.failover_cooldown_seconds)
    alerts = AdminAlerts(redis, bot, settings.admin_ids, languages)
    core = _Core(bot, store, storage, providers, failover, secret)
    watch = ProviderWatch(failover, alerts, app[METRICS])
    prices = Prices(registry, charging=settings.charges, admin_ids=settings.admin_ids)
    ledger = Ledger(redis, _allowance(settings))
    service = _job_service(app, core, user_settings, StartStatus(bot, store, notices, progress),
                           watch, ledger, prices)  # fmt: skip
    broadcasts, flows = BroadcastStore(redis), FlowStore(redis)
    access = Access(redis, settings.admin_ids)
    # Everything kept per user, for /forget: jobs first, so nothing still running outlives it.
    offers, cancels = ImagineOffers(redis), JobCancels(store, bot, app[METRICS])
    quotes = Quotes(redis)
    forgets: list[Forgets] = [
        UserJobs(store, storage, cancels),
        user_settings,
        flows,
        offers,
        quotes,
        access,
        broadcasts,
        ledger,  # folds what the user made; purchases, refunds and the balance stay
    ]
    return Deps(
        settings=settings,
        redis=redis,
        store=store,
        albums=AlbumCollector(redis),
        flows=flows,
        offers=offers,
        quotes=quotes,
        screen=UpdateScreen(redis, Gate(settings.admin_ids, settings.allowed_user_ids)),
        access=access,
        forgetter=Forgetter(
            redis, forgets, partial(tell_forgotten, bot, credits_kept=settings.charges)
        ),
        broadcasts=broadcasts,
        broadcast_runner=BroadcastRunner(broadcasts, bot, owner=uuid.uuid4().hex),
        registry=registry,
        user_settings=user_settings,
        languages=languages,
        service=service,
        notices=notices,
        progress=progress,
        providers=providers,
        failover=failover,
        storage=storage,
        callback_secret=secret,
        cancels=cancels,
        kept=KeptResults(store, storage),
        ledger=ledger,
        prices=prices,
        payments=Payments(redis, ledger.allowance, alerts.tell),
        alerts=alerts,
    )


@dataclass(frozen=True, slots=True)
class _Core:
    """What most parts of the job path share."""

    bot: ExtBot[int]
    store: JobStore
    storage: Storage
    providers: Mapping[str, Provider]
    failover: Failover
    secret: bytes


def _job_service(
    app: web.Application,
    core: _Core,
    user_settings: UserSettings,
    status: StartStatus,
    watch: ProviderWatch,
    ledger: Ledger,
    prices: Prices,
) -> JobService:
    """The one way a job starts, and the parts it starts with (bot/jobs/start/)."""
    settings, redis, metrics, registry = app[SETTINGS], app[REDIS], app[METRICS], app[MODELS]
    bot, store, storage, providers = core.bot, core.store, core.storage, core.providers
    router = Router(registry, providers.keys(), core.failover, _provider_order(settings))
    limits = UserLimits(settings.user_max_jobs_in_flight, settings.user_max_jobs_per_hour)
    telegram_files = telegram_policy(settings.telegram_api_base_url.host or "")
    submitter = Submitter(
        store=store,
        storage=storage,
        providers=providers,
        router=router,
        watch=watch,
        status=status,
        config=SubmitConfig(
            settings.base_url() if settings.callbacks else None,
            core.secret,
            settings.signed_url_ttl,
            build_file_hosts(settings, app[HTTP]),
        ),
    )
    rerouter = Rerouter(
        store=store, registry=registry, router=router, user_settings=user_settings,
        submitter=submitter, watch=watch, first_poll_s=first_poll(settings, registry),
    )  # fmt: skip
    return JobService(
        rerouter=rerouter,
        user_settings=user_settings,
        router=router,
        admissions=Admissions(
            redis,
            registry.longest_job_s,
            limits=limits,
            admin_ids=settings.admin_ids,
            allowance=ledger.allowance,
        ),
        inputs=Inputs(bot, MediaFetcher(app[HTTP], telegram_files), storage),
        records=JobRecords(store, first_poll(settings, registry), metrics),
        status=status,
        submitter=submitter,
        prices=prices,
        ledger=ledger,
    )


def first_poll(settings: Settings, registry: Registry) -> Callable[[str], float]:
    """Seconds from a job's start to its first status poll, by model: with callbacks only
    once its callback is late (POLL_AFTER_SECONDS); in polling mode at once, on its model's
    cadence (its first step)."""
    if settings.callbacks:
        return lambda _model: settings.poll_after_seconds

    def on_cadence(model: str) -> float:
        spec = registry.find(model)
        return (spec.cadence if spec else Cadence()).next_delay(0)

    return on_cadence


def _allowance(settings: Settings) -> Allowance:
    """Free credits exist only where credits are spent."""
    if not settings.charges:
        return Allowance()
    return Allowance(settings.free_credits, settings.daily_free_credits)


def _provider_order(settings: Settings) -> dict[Capability, tuple[str, ...]]:
    return {
        Capability.TEXT_TO_IMAGE: settings.text_to_image_providers,
        Capability.IMAGE_TO_VIDEO: settings.image_to_video_providers,
    }


def build_delivery(
    deps: Deps, bot: ExtBot[int], fetcher: MediaFetcher, metrics: Metrics, owner: str
) -> Delivery:
    """The deliverer behind both paths, and the chain steps it and the reconciler move on."""
    settings = deps.settings
    steps = ChainSteps(deps.store, deps.storage, deps.registry, deps.service.submitter.submit_step,
                       first_poll_s=first_poll(settings, deps.registry), owner=owner)  # fmt: skip
    policy = RetryPolicy()
    keeper = ResultKeeper(deps.store, deps.storage, owner)
    results = ResultSender(deps.store, bot, fetcher, deps.storage, owner, policy, deps.registry,
                           steps.keep, keeper)  # fmt: skip
    deliverer = Deliverer(results, deps.store, bot, owner=owner, policy=policy, metrics=metrics,
                          steps=steps, reroute=deps.service.rerouter)  # fmt: skip
    reconciler = Reconciler(
        deps.store,
        deps.providers,
        deps.registry,
        deliverer,
        reconcile_interval(settings.poll_after_seconds) if settings.callbacks else POLLING_TICK_S,
        metrics=metrics,
        steps=steps,
    )
    return Delivery(Subscriber(deps.redis, deps.store, deliverer), reconciler)
