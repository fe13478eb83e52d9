"""Background work, started and stopped in one place: each part runs until one `stopping` event
is set and then ends by itself; whatever outlives SHUTDOWN_WAIT_S is cancelled."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.admin.balances import BalanceWatch
from bot.app.graph import build_delivery
from bot.credits.reconcile import StarsReconciler
from bot.handlers.flows import tell_timed_out
from bot.jobs.background import reconcile_interval
from bot.media.fetch import MediaFetcher, policy_from_settings
from bot.media.spool import clear_stale
from bot.storage.sweep import MediaSweep
from bot.web.keys import DEPS, MEDIA_HTTP, METRICS, PTB_APP, SUBSCRIBER

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 10.0
Run = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Deliveries (pub/sub and the reconciler), status messages, progress and flow expiry."""
    deps, bot = app[DEPS], app[PTB_APP].bot
    fetcher = MediaFetcher(
        app[MEDIA_HTTP], policy_from_settings(deps.settings), await _spool_dir(app)
    )
    delivery = build_delivery(deps, bot, fetcher, app[METRICS], owner=uuid.uuid4().hex)
    app[SUBSCRIBER] = delivery.subscriber
    expire_every_s = reconcile_interval(deps.settings.poll_after_seconds)
    work: dict[str, Run] = {
        "subscriber": delivery.subscriber.run,
        "reconciler": delivery.reconciler.run,
        "status-notices": deps.notices.run,
        "progress": deps.progress.run,
        "broadcast": deps.broadcast_runner.run,
        "media-retention": MediaSweep(deps.storage, deps.redis).run,
        "forget": deps.forgetter.run,
        "credit-holds": deps.ledger.run,
        "provider-balances": BalanceWatch(
            deps.redis,
            deps.registry,
            deps.providers,
            deps.alerts,
            deps.settings.provider_balance_alert,
        ).run,
        **(
            {"stars": StarsReconciler(deps.payments, bot, deps.redis).run}
            if deps.settings.charges
            else {}
        ),
        "flow-expiry": partial(
            deps.flows.run_expiry, partial(tell_timed_out, bot), every_s=expire_every_s
        ),
    }
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(run(stopping), name=name) for name, run in work.items()]
    try:
        yield
    finally:
        stopping.set()
        await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT_S)
        for task in tasks:
            task.cancel()  # a no-op unless it outlived the wait
        await delivery.subscriber.drain()
        for provider in deps.providers.values():
            await provider.aclose()


async def _spool_dir(app: web.Application) -> Path | None:
    """Where downloaded results wait to be sent; files left by a killed process are removed."""
    tmp_dir = app[DEPS].settings.media_tmp_dir
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
    if stale := await asyncio.to_thread(clear_stale, tmp_dir):
        log.info("removed %d result files left by an earlier run", stale)
    return tmp_dir
