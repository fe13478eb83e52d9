"""A result file server on 127.0.0.1 that answers each path as scripted and logs what it served."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "image/png"


def ok(body: bytes, content_type: str = "image/png") -> Answer:
    return Answer(200, body, content_type)


def status(code: int) -> Answer:
    return Answer(code, f"HTTP {code}".encode(), "text/plain")


class ResultHost:
    """`route(path, *answers)`: the n-th request gets the n-th answer, later ones the last."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Answer]] = {}
        self.served: list[tuple[str, int]] = []  # (path, status) in the order answered
        self._runner: web.AppRunner | None = None
        self.port = 0

    def route(self, path: str, *answers: Answer) -> str:
        """Script `path` and return its URL."""
        self._routes[path] = list(answers)
        return f"http://127.0.0.1:{self.port}{path}"

    def statuses(self, path: str) -> list[int]:
        return [code for served_path, code in self.served if served_path == path]

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/{name:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        answers = self._routes.get(request.path)
        if not answers:
            self.served.append((request.path, 404))
            raise web.HTTPNotFound()
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        self.served.append((request.path, answer.status))
        return web.Response(
            status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type}
        )
