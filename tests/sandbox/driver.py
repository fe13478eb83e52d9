"""An in-process sandbox (the same app `photobot sandbox` serves) and a client that uses its chat
page's API the way the page does."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import SUBSCRIBER
from bot.runtime.serve import listen_socket, serving
from bot.sandbox import png
from bot.sandbox.feed import ChatFeed
from bot.sandbox.page import API, CHAT_PAGE, PAGE_HEADER
from bot.sandbox.run import HOST, Emulators, running_emulators, sandbox_app, sandbox_settings
from bot.sandbox.samples import SampleMedia, pattern
from tests.conftest import free_port

Event = dict[str, Any]
FAST_RESULTS_S = (0.05, 0.2)
ANN, BEN, BUDI = 1001, 1002, 1004  # Ann is the sandbox's admin; Budi's phone is Indonesian
PHOTO = png.encode(pattern(b"sandbox test photo", 400))
VIDEO = SampleMedia().video()


class SandboxClient:
    """Speaks to a running sandbox as its chat page does."""

    def __init__(
        self, url: str, emulators: Emulators, http: aiohttp.ClientSession, feed: ChatFeed
    ) -> None:
        self.url, self.emulators, self.http, self.feed = url, emulators, http, feed

    async def say(self, user: int, text: str) -> tuple[int, Any]:
        return await self._post("/messages", json.dumps({"user": user, "text": text}),
                                {"Content-Type": "application/json"})  # fmt: skip

    async def send_files(
        self, user: int, files: list[tuple[str, bytes]], caption: str = ""
    ) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field("user", str(user))
        form.add_field("caption", caption)
        for name, data in files:
            form.add_field("file", io.BytesIO(data), filename=name)
        return await self._post("/uploads", form, {})

    async def press(self, user: int, message_id: int, data: str) -> tuple[int, Any]:
        body = json.dumps({"user": user, "message_id": message_id, "data": data})
        return await self._post("/presses", body, {"Content-Type": "application/json"})

    async def pick_language(self, user: int, code: Any) -> tuple[int, Any]:
        body = json.dumps({"user": user, "language_code": code})
        return await self._post("/languages", body, {"Content-Type": "application/json"})

    async def config(self) -> Any:
        async with self.http.get(f"{self.url}{API}/config") as answer:
            assert answer.status == 200
            return await answer.json()

    async def description(self, user: int) -> Any:
        async with self.http.get(f"{self.url}{API}/description?user={user}") as answer:
            assert answer.status == 200
            return await answer.json()

    async def events(self, user: int, after: int = 0) -> list[Event]:
        async with self.http.get(f"{self.url}{API}/events?chat={user}&after={after}") as answer:
            assert answer.status == 200
            events: list[Event] = (await answer.json())["events"]
            return events

    async def wait_for(
        self, user: int, matches: Callable[[Event], bool], count: int = 1, within_s: float = 15
    ) -> list[Event]:
        """Polls the chat's events with a deadline until `count` of them match."""
        deadline = time.monotonic() + within_s
        while True:
            found = [event for event in await self.events(user) if matches(event)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                chat = await self.events(user)
                raise TimeoutError(f"{len(found)} of {count} events; chat: {chat}")
            await asyncio.sleep(0.05)

    async def file(self, path: str, **headers: str) -> tuple[int, bytes, Any]:
        async with self.http.get(self.url + path, headers=headers) as answer:
            return answer.status, await answer.read(), answer.headers

    async def _post(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(
            f"{self.url}{API}{path}", data=body, headers={PAGE_HEADER: "1", **headers}
        ) as answer:
            return answer.status, await answer.json(content_type=None)


@asynccontextmanager
async def running_sandbox(data_dir: Path, **overrides: Any) -> AsyncIterator[SandboxClient]:
    """The sandbox's app on a free port, served as `photobot sandbox` serves it."""
    async with running_emulators(FAST_RESULTS_S) as emulators:
        port = free_port()
        settings = sandbox_settings(emulators, port, data_dir, **overrides)
        app = sandbox_app(settings, emulators.telegram)
        sock = await listen_socket(HOST, port)
        async with serving(app, sock), aiohttp.ClientSession() as http:
            await asyncio.wait_for(app[SUBSCRIBER].subscribed.wait(), 10)
            yield SandboxClient(f"http://{HOST}:{port}", emulators, http, app[CHAT_PAGE].feed)


def bot_said(text: str) -> Callable[[Event], bool]:
    return lambda e: (
        e["type"] in ("message", "edit")
        and e["from_bot"]
        and text in (e.get("text") or e.get("caption") or "")
    )


def bot_sent(kind: str) -> Callable[[Event], bool]:
    return lambda e: e["type"] == "message" and e["from_bot"] and bool(e.get(kind))
