"""Running the sandbox: the emulators, then the real bot wired to them (same `create_app`), with
the chat page added to its server; everything on 127.0.0.1, data in a fresh temporary folder."""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import SETTINGS, create_app
from bot.config import Settings, load_settings
from bot.errors import StartupError
from bot.runtime.serve import serve
from bot.runtime.startup import describe_failure
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.novita import NovitaEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.sandbox.feed import ChatFeed
from bot.sandbox.page import API, ChatPage, SandboxUser, add_chat_page
from bot.sandbox.samples import SampleMedia
from bot.web.keys import MODE

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
USERS = (
    SandboxUser(1001, "Ann", admin=True),
    SandboxUser(1002, "Ben"),
    SandboxUser(1003, "Cleo"),
    SandboxUser(1004, "Budi", language_code="id"),  # the Indonesian bot, without keys
)
BOT_ID = 777000
# Providers take a while; 1-3 s shows the status messages without making anyone wait.
RESULT_DELAY_S = (1.0, 3.0)
# Bounds on what the in-memory Telegram keeps, so a long session does not grow without end.
MAX_CALLS_KEPT = 2_000
MAX_FILE_BYTES_KEPT = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Emulators:
    telegram: TelegramEmulator
    kie: KieEmulator
    novita: NovitaEmulator


def page_url(port: int) -> str:
    return f"http://{HOST}:{port}"


async def run_sandbox(port: int) -> None:
    """Serves the sandbox until SIGINT or SIGTERM; start-up failures are raised as
    StartupError with the plain line to print."""
    async with running_emulators() as emulators, fresh_data_dir() as data_dir:
        settings = sandbox_settings(emulators, port, data_dir)
        app = sandbox_app(settings, emulators.telegram)
        app.on_startup.append(_say_ready)
        try:
            await serve(settings, app=app)
        except StartupError:
            raise
        except Exception as exc:
            reason = describe_failure(exc, settings)
            if reason is None:
                raise
            raise StartupError(reason) from None


def sandbox_app(settings: Settings, telegram: TelegramEmulator) -> web.Application:
    """The live bot's app (same wiring), marked as the sandbox, with the chat page added."""
    app = create_app(settings)
    app[MODE] = "sandbox"
    feed = ChatFeed(
        file_url=lambda file_id: f"{API}/files/{file_id}",
        register_cover=lambda data: telegram.add_file(data, file_path_suffix="jpg")[0],
    )
    telegram.observers.append(feed.observe)
    port = settings.http_port
    hosts = frozenset({f"{HOST}:{port}", f"localhost:{port}"})
    add_chat_page(app, ChatPage(telegram, feed, USERS, hosts))
    return app


async def _say_ready(app: web.Application) -> None:
    # Runs after every cleanup context started: Redis, the bot, polling, background work.
    print(f"photobot: sandbox ready: open {app[SETTINGS].base_url()}/ in a browser", flush=True)


def sandbox_settings(emulators: Emulators, port: int, data_dir: Path, **overrides: Any) -> Settings:
    """The live settings' shape, every value made up here: nothing read from the environment
    (tests may override some)."""
    values: dict[str, Any] = dict(
        telegram_bot_token=emulators.telegram.token,
        telegram_api_base_url=emulators.telegram.url,
        public_base_url=page_url(port),
        http_host=HOST,
        http_port=port,
        kie_api_key=_KIE_KEY,
        kie_base_url=emulators.kie.url,
        novita_api_key=_NOVITA_KEY,
        novita_base_url=emulators.novita.url,
        admin_ids=",".join(str(u.id) for u in USERS if u.admin),
        # Results come from the emulators on this machine.
        media_allow_private=True,
        # Credits as a paying bot has them: prices, /balance, and /buy paid with the page's
        # Pay button (the emulator plays Telegram's part).
        payments="stars",
        free_credits=40,
        data_dir=data_dir,
    )
    return load_settings(from_env=False, **{**values, **overrides})


_KIE_KEY = secrets.token_urlsafe(16)
_NOVITA_KEY = secrets.token_urlsafe(16)


@asynccontextmanager
async def running_emulators(
    result_delay_s: tuple[float, float] = RESULT_DELAY_S,
) -> AsyncIterator[Emulators]:
    samples = SampleMedia()
    low, high = result_delay_s
    emulators = Emulators(
        TelegramEmulator(
            f"{BOT_ID}:{secrets.token_urlsafe(32)}",
            host=HOST,
            bot_id=BOT_ID,
            bot_username="photobot_sandbox_bot",
            max_calls=MAX_CALLS_KEPT,
            max_file_bytes=MAX_FILE_BYTES_KEPT,
        ),
        KieEmulator(
            api_key=_KIE_KEY,
            host=HOST,
            auto_complete=True,
            auto_complete_delay_s=low,
            auto_complete_jitter_s=high - low,
            samples=samples,
        ),
        NovitaEmulator(
            api_key=_NOVITA_KEY,
            host=HOST,
            auto_complete=True,
            auto_complete_delay_s=result_delay_s,
            samples=samples,
        ),
    )
    async with AsyncExitStack() as stack:
        for emulator in (emulators.telegram, emulators.kie, emulators.novita):
            await emulator.start()
            stack.push_async_callback(emulator.stop)
        yield emulators


@asynccontextmanager
async def fresh_data_dir() -> AsyncIterator[Path]:
    """A new folder for the embedded Redis and local files, removed afterwards: every sandbox
    starts empty and never touches the live DATA_DIR."""
    path = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="photobot-sandbox-"))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)
