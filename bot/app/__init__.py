"""Wiring: `create_app(settings)` builds the aiohttp app that also runs the Telegram bot."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import constants as k
from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.app.redis_server import RedisServer
from bot.config import Settings
from bot.deps import BOT_DATA_KEY, Deps
from bot.flood import SendRateLimiter
from bot.handlers import register
from bot.handlers.flows import tell_timed_out
from bot.handlers.ordering import InOrderPerSender
from bot.intake.albums import AlbumCollector
from bot.intake.flows.store import FlowStore
from bot.intake.pending import PendingStore
from bot.intake.screening import UpdateScreen
from bot.jobs.background.notices import StatusNotices
from bot.jobs.background.progress import Progress
from bot.jobs.background.reconciler import Reconciler, reconcile_interval
from bot.jobs.chains import ChainSteps
from bot.jobs.deliver.deliverer import Deliverer
from bot.jobs.deliver.subscriber import Subscriber
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
from bot.jobs.store import JobStore
from bot.media.fetch import MediaFetcher, make_media_session, policy_from_settings
from bot.media.spool import clear_stale
from bot.metrics import Metrics
from bot.models import REGISTRY
from bot.models.spec import Capability
from bot.providers import CALLBACK_ROUTES, build_providers
from bot.storage import Storage
from bot.storage.local import MEDIA_ROUTE, LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from bot.users.settings import UserSettings
from bot.web.callbacks import provider_callback
from bot.web.health import healthz
from bot.web.keys import CLIENT_LIMITS, DEPS, METRICS, MODE, PTB_APP, REFUSALS
from bot.web.media import media
from bot.web.metrics import metrics_endpoint
from bot.web.refusals import RefusalLog
from bot.web.slow_clients import DEFAULT_LIMITS, ClientLimits
from bot.web.telegram_webhook import telegram_webhook

log = logging.getLogger(__name__)

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
REDIS: web.AppKey[Redis] = web.AppKey("redis", Redis)
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
MEDIA_HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("media_http", aiohttp.ClientSession)
SUBSCRIBER: web.AppKey[Subscriber] = web.AppKey("subscriber", Subscriber)
RECONCILER: web.AppKey[Reconciler] = web.AppKey("reconciler", Reconciler)
SHUTDOWN_WAIT_S = 10.0
# Telegram asks for waits of seconds; a delivery holds its lease meanwhile, so keep trying.
MAX_FLOOD_RETRIES = 10
PtbApp = Application[Any, Any, Any, Any, Any, Any]
# Updates in progress at once; one sender's queue of updates holds slots while it waits its turn.
MAX_CONCURRENT_UPDATES = 256


def create_app(settings: Settings, *, limits: ClientLimits = DEFAULT_LIMITS) -> web.Application:
    """Nothing starts here; the cleanup contexts start and stop each resource in order."""
    app = web.Application(client_max_size=k.CALLBACK_MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[CLIENT_LIMITS] = limits
    app[MODE] = "live"
    app[REFUSALS] = RefusalLog(logging.getLogger("bot.web.refusals"))
    app[METRICS] = Metrics()  # this application's own registry: several may share a process
    app.cleanup_ctx.extend([_redis_ctx, _http_ctx, _bot_ctx, _background_ctx])
    app.on_cleanup.append(_flush_refusals)
    for name, route in CALLBACK_ROUTES.items():
        app.router.add_post(route, provider_callback(name), name=name)
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint(settings.metrics_token))
    app.router.add_get(MEDIA_ROUTE + "/{key:.+}", media)
    return app


async def _flush_refusals(app: web.Application) -> None:
    app[REFUSALS].flush()


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    server = None
    url = settings.redis_url
    if url is None:
        server = RedisServer(settings.data_dir.resolve() / "redis")
        await server.start()
        url = server.url
    # Blocking: a burst waits for a free connection instead of failing. redis-py 8's default
    # pool holds 100 and raises beyond; 200 photos at once took it past that.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=k.REDIS_MAX_CONNECTIONS,
        timeout=k.REDIS_POOL_WAIT_S,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
    )
    redis = Redis.from_pool(pool)
    app[REDIS] = redis
    try:
        # Unreachable Redis stops start-up here, with one line, rather than at the first photo.
        await redis.ping()
        yield
    finally:
        await redis.aclose()
        if server is not None:
            server.stop()


async def _http_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with (
        aiohttp.ClientSession(trust_env=True) as http,
        make_media_session(policy_from_settings(settings)) as media_http,
    ):
        app[HTTP] = http
        app[MEDIA_HTTP] = media_http
        yield


async def _bot_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    application = build_ptb_application(settings, app[METRICS])
    deps = await _build_deps(app, application)
    application.bot_data[BOT_DATA_KEY] = deps
    app[DEPS] = deps
    app[PTB_APP] = application
    log.info(
        "backends: redis=%s, storage=%s, telegram=%s",
        "external" if settings.redis_url else "embedded",
        deps.storage.name,
        "webhook" if settings.webhook_mode else "polling",
    )
    async with application:
        await application.start()
        await _set_commands(application)
        await _start_updates(application, settings)
        try:
            yield
        finally:
            if application.updater and application.updater.running:
                await application.updater.stop()
            await application.stop()


def build_ptb_application(settings: Settings, metrics: Metrics) -> PtbApp:
    api = str(settings.telegram_api_base_url).rstrip("/")
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        # Honour Telegram's 429 retry_after instead of dropping the message.
        .rate_limiter(SendRateLimiter(max_retries=MAX_FLOOD_RETRIES, metrics=metrics))
        # One slow upload must not hold up everyone else's updates; one person's updates are
        # handled in the order they were sent.
        .concurrent_updates(InOrderPerSender(MAX_CONCURRENT_UPDATES))
    )
    if settings.webhook_mode:
        builder = builder.updater(None)
    application = builder.build()
    register(application)
    return application


async def _set_commands(application: PtbApp) -> None:
    """The command menu Telegram shows beside the message box."""
    try:
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in texts.COMMAND_MENU]
        )
    except TelegramError as exc:  # cosmetic: the commands work without the menu
        log.warning("command menu not set: %s", exc)


async def _start_updates(application: PtbApp, settings: Settings) -> None:
    if settings.telegram_webhook_secret is not None:
        await application.bot.set_webhook(
            f"{settings.base_url()}/telegram/webhook",
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    elif application.updater is not None:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)


async def _build_deps(app: web.Application, application: PtbApp) -> Deps:
    settings, redis = app[SETTINGS], app[REDIS]
    secret = await _callback_secret(settings, redis)
    storage = await _build_storage(settings, secret)
    store = JobStore(redis)
    providers = build_providers(
        settings, app[HTTP], storage=storage, redis=redis, on_result=store.record_task_outcome
    )
    progress = Progress(redis, store, application.bot, REGISTRY)
    notices = StatusNotices(
        application.bot,
        store,
        lambda job: texts.generating(progress.output(job), job.step, job.steps),
    )
    user_settings = UserSettings(redis, REGISTRY, {"video_engine": settings.video_engine})
    failover = Failover(redis, settings.failover_cooldown_seconds)
    provider_order = {
        Capability.TEXT_TO_IMAGE: settings.text_to_image_providers,
        Capability.IMAGE_TO_VIDEO: settings.image_to_video_providers,
    }
    router = Router(REGISTRY, providers.keys(), failover, provider_order)
    status = StartStatus(application.bot, store, notices, progress)
    alerts = AdminAlerts(redis, application.bot, settings.admin_ids)
    telegram_files = telegram_policy(settings.telegram_api_base_url.host or "")
    service = JobService(
        user_settings=user_settings,
        router=router,
        admissions=Admissions(
            redis,
            REGISTRY.longest_job_s,
            limits=UserLimits(settings.user_max_jobs_in_flight, settings.user_max_jobs_per_hour),
            admin_ids=settings.admin_ids,
        ),
        inputs=Inputs(application.bot, MediaFetcher(app[HTTP], telegram_files), storage),
        records=JobRecords(store, settings.poll_after_seconds, app[METRICS]),
        status=status,
        submitter=Submitter(
            store=store,
            storage=storage,
            providers=providers,
            router=router,
            watch=ProviderWatch(failover, alerts, app[METRICS]),
            status=status,
            config=SubmitConfig(settings.base_url(), secret, settings.signed_url_ttl),
        ),
    )
    return Deps(
        settings=settings,
        redis=redis,
        store=store,
        pending=PendingStore(redis),
        albums=AlbumCollector(redis),
        flows=FlowStore(redis),
        screen=UpdateScreen(redis),
        registry=REGISTRY,
        user_settings=user_settings,
        service=service,
        notices=notices,
        progress=progress,
        providers=providers,
        failover=failover,
        storage=storage,
        callback_secret=secret,
    )


async def _callback_secret(settings: Settings, redis: Redis) -> bytes:
    """CALLBACK_SECRET, or one generated once and shared by every replica through Redis."""
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    await redis.set(k.CALLBACK_SECRET_KEY, secrets.token_hex(32), nx=True)
    value = await redis.get(k.CALLBACK_SECRET_KEY)
    return str(value).encode()


async def _build_storage(settings: Settings, secret: bytes) -> Storage:
    if settings.uses_r2:
        assert settings.r2_access_key_id and settings.r2_secret_access_key and settings.r2_bucket
        client = await asyncio.to_thread(
            make_s3_client,
            str(settings.r2_endpoint_url),
            settings.r2_access_key_id.get_secret_value(),
            settings.r2_secret_access_key.get_secret_value(),
        )
        return R2Storage(client, settings.r2_bucket)
    media_key = hmac.new(secret, b"media", hashlib.sha256).digest()
    root = settings.data_dir.resolve() / "media"
    root.mkdir(parents=True, exist_ok=True)
    return LocalStorage(root, settings.base_url(), media_key)


async def _background_ctx(app: web.Application) -> AsyncIterator[None]:
    """The pub/sub subscriber and the reconciler, cancelled cleanly at shutdown."""
    deps, application = app[DEPS], app[PTB_APP]
    tmp_dir = deps.settings.media_tmp_dir
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
    if stale := await asyncio.to_thread(clear_stale, tmp_dir):
        log.info("removed %d result files left by an earlier run", stale)
    fetcher = MediaFetcher(app[MEDIA_HTTP], policy_from_settings(deps.settings), tmp_dir)
    owner = uuid.uuid4().hex
    steps = ChainSteps(
        deps.store,
        deps.storage,
        deps.registry,
        deps.service.submitter.submit_step,
        poll_after_s=deps.settings.poll_after_seconds,
        owner=owner,
    )
    deliverer = Deliverer(
        deps.store,
        application.bot,
        fetcher,
        deps.storage,
        owner=owner,
        metrics=app[METRICS],
        steps=steps,
        registry=deps.registry,
    )
    subscriber = Subscriber(deps.redis, deps.store, deliverer)
    reconciler = Reconciler(
        deps.store,
        deps.providers,
        deps.registry,
        deliverer,
        reconcile_interval(deps.settings.poll_after_seconds),
        metrics=app[METRICS],
        steps=steps,
    )
    app[SUBSCRIBER], app[RECONCILER] = subscriber, reconciler
    flows_stopping = asyncio.Event()
    tasks = [
        asyncio.create_task(subscriber.run(), name="subscriber"),
        asyncio.create_task(reconciler.run(), name="reconciler"),
    ]
    # These end by themselves once told to stop: a cancel could land inside a Redis command.
    self_stopping = [
        asyncio.create_task(deps.notices.run(), name="status-notices"),
        asyncio.create_task(deps.progress.run(), name="progress"),
        asyncio.create_task(
            deps.flows.run_expiry(
                partial(tell_timed_out, application.bot),
                flows_stopping,
                reconcile_interval(deps.settings.poll_after_seconds),
            ),
            name="flow-expiry",
        ),
    ]
    try:
        yield
    finally:
        subscriber.stopping.set()
        reconciler.stopping.set()
        flows_stopping.set()
        deps.progress.stopping.set()
        deps.notices.stop()
        for task in tasks:
            task.cancel()
        await asyncio.wait([*tasks, *self_stopping], timeout=SHUTDOWN_WAIT_S)
        for task in self_stopping:
            task.cancel()  # a no-op unless it outlived the wait
        await subscriber.drain()
        for provider in deps.providers.values():
            await provider.aclose()
