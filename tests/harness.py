"""Runs a whole Photobot in the test's event loop and gives tests its edges to poke at."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from redis.asyncio import Redis

from bot.app import SUBSCRIBER, create_app
from bot.config import Settings, load_settings
from bot.constants import UPDATE_SEEN_KEY
from bot.runtime.serve import listen_socket, serving
from bot.sandbox.emulators.kie import KieEmulator, KieTask
from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator
from bot.web.keys import PTB_APP
from bot.web.slow_clients import DEFAULT_LIMITS, ClientLimits

T = TypeVar("T")
StartBot = Callable[..., "BotHarness"]
_user_ids = itertools.count(1000)
TINY_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)


async def eventually(check: Callable[[], Awaitable[T] | T], within: float = 10.0) -> T:
    """Poll a condition with a deadline; returns its first truthy value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


async def files_in(directory: Path) -> list[str]:
    """Names of the files in a directory (listed off the event loop)."""
    return sorted(await asyncio.to_thread(os.listdir, directory))


class BotHarness:
    """A started bot plus helpers that speak to it the way users and providers do."""

    def __init__(
        self, values: dict[str, Any], telegram: TelegramEmulator, kie: KieEmulator, redis: Redis,
        limits: ClientLimits = DEFAULT_LIMITS,
    ) -> None:  # fmt: skip
        self.settings: Settings = load_settings(from_env=False, **values)
        self.telegram = telegram
        self.kie = kie
        self.redis = redis
        self.app = create_app(self.settings, limits=limits)
        self._serving = AsyncExitStack()
        self.http = aiohttp.ClientSession()

    @property
    def url(self) -> str:
        """Where the bot's server answers: its public URL, or (polling mode) its own address."""
        if self.settings.callbacks:
            return self.settings.base_url()
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    async def __aenter__(self) -> Self:
        # Served the way `python -m bot` serves it: port bound first, slow clients cut off.
        sock = await listen_socket(self.settings.http_host, self.settings.http_port)
        await self._serving.enter_async_context(serving(self.app, sock))
        await asyncio.wait_for(self.app[SUBSCRIBER].subscribed.wait(), 10)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.http.close()
        await self._serving.aclose()

    async def settled(self, *updates: dict[str, Any]) -> None:
        """Wait until these updates were handled to the end: each reached the bot's first
        handler (its update id is recorded) and no handler is still running."""
        processor = self.app[PTB_APP].update_processor
        keys = [UPDATE_SEEN_KEY.format(update_id=u["update_id"]) for u in updates]
        await eventually(lambda: self._exist(keys))
        await eventually(lambda: processor.current_concurrent_updates == 0)

    async def _exist(self, keys: list[str]) -> bool:
        return bool(await self.redis.exists(*keys) == len(keys))

    async def healthy(self) -> bool:
        async with self.http.get(f"{self.url}/healthz") as response:
            return response.status == 200

    def new_user(self) -> int:
        return next(_user_ids)

    def send_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        data: bytes = TINY_JPEG,
        *,
        user_id: int | None = None,
        **message: Any,
    ) -> dict[str, Any]:
        """A user sends a photo (in their private chat unless `user_id` names someone else);
        `message` keywords go to the emulator's message_update (media_group_id, …)."""
        file_id, _ = self.telegram.add_file(data)
        return self.telegram.message_update(
            chat_id=chat_id,
            user_id=chat_id if user_id is None else user_id,
            photo_file_id=file_id,
            caption=caption,
            **message,
        )

    async def submitted_task(self, count: int = 1) -> KieTask:
        """The count-th task the Kie emulator received, once it has arrived."""
        tasks = await self.kie.wait_for_task(count=count)
        return tasks[count - 1]

    async def start_jobs(self, count: int) -> dict[int, KieTask]:
        """`count` users each send a captioned photo; returns each chat's Kie task."""
        chats = [self.new_user() for _ in range(count)]
        before = len(self.kie.tasks)
        for chat in chats:
            self.send_photo(chat, caption=f"job for {chat}")
        tasks = await self.kie.wait_for_task(count=before + count, timeout=60)
        by_prompt = {t.input["prompt"]: t for t in tasks[before:]}
        return {chat: by_prompt[f"job for {chat}"] for chat in chats}

    def photos_sent(self) -> Counter[int]:
        """How many result photos each chat received."""
        return Counter(
            int(c.params["chat_id"]) for c in self.telegram.calls_to("sendPhoto") if c.ok
        )

    async def wait_said(
        self, chat_id: int, matches: Callable[[str], bool], count: int = 1
    ) -> list[ApiCall]:
        """Texts the chat was shown, as a new message or an edit of the status message."""

        def said() -> list[ApiCall]:
            return [
                c for c in self.telegram.calls
                if c.ok and c.method in ("sendMessage", "editMessageText")
                and int(c.params.get("chat_id", 0)) == chat_id
                and matches(str(c.params.get("text", "")))
            ]  # fmt: skip

        return await eventually(lambda: len(said()) >= count and said())

    async def wait_sent(
        self, chat_id: int, method: str = "sendPhoto", count: int = 1
    ) -> list[ApiCall]:
        return await self.telegram.wait_for(
            method,
            lambda c: c.ok and c.params.get("chat_id") in (chat_id, str(chat_id)),
            count=count,
        )

    async def post_callback(
        self, query: str, body: bytes | dict[str, Any], **kw: Any
    ) -> tuple[int, Any]:
        data = io.BytesIO(body) if isinstance(body, bytes) else None
        json_body = body if isinstance(body, dict) else None
        async with self.http.post(
            f"{self.url}/api/kie/callback?{query}", data=data, json=json_body, **kw
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = await response.text()
            return response.status, answer
