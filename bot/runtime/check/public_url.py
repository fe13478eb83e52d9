"""PUBLIC_BASE_URL reaches this machine: a tiny server on HTTP_HOST:HTTP_PORT answers /healthz
with a random nonce, and the check fetches PUBLIC_BASE_URL/healthz from outside expecting it.

When the port is taken by the Photobot already running here (its /healthz says so over
loopback), the public answer is accepted when it is a Photobot /healthz too: without the port,
the check cannot serve a nonce, so it cannot tell this Photobot from another one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.errors import StartupError
from bot.runtime.check.base import Line, fail, ok, skip
from bot.runtime.healthcheck import health_url
from bot.runtime.serve import listen_socket

HEALTH_PATH = "/healthz"
NONCE_FIELD = "photobot_check"
FETCH_TIMEOUT_S = 8.0
LOCAL_TIMEOUT_S = 2.0
# Asked as a browser would: ngrok's free tunnel shows its warning page to browsers only, and
# providers' fetchers can look like one (the seed's provider notes report being blocked by it).
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) photobot-check"
ADVICE = "use cloudflared or localtunnel, or no public URL at all (jobs are then polled)"
_PHOTOBOT_HEALTH = {"ok", "redis", "bot", "mode"}  # bot/web/health.py's answer


async def check_public_url(settings: Settings, http: aiohttp.ClientSession) -> list[Line]:
    if settings.public_base_url is None:
        return [skip("PUBLIC_BASE_URL: unset: callbacks are off and jobs are polled")]
    url = f"{settings.base_url()}{HEALTH_PATH}"
    nonce = secrets.token_hex(16)
    try:
        async with nonce_server(settings.http_host, settings.http_port, nonce):
            return [await fetch_and_judge(http, url, nonce)]
    except StartupError as exc:
        return [await _port_taken(settings, http, url, str(exc))]


@asynccontextmanager
async def nonce_server(host: str, port: int, nonce: str) -> AsyncIterator[None]:
    """Serves GET /healthz -> {"photobot_check": nonce} until the block ends; raises
    StartupError when the port cannot be bound."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({NONCE_FIELD: nonce})

    sock = await listen_socket(host, port)
    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        yield
    finally:
        await runner.cleanup()
        sock.close()


async def fetch_and_judge(
    http: aiohttp.ClientSession, url: str, nonce: str | None, *, running: bool = False
) -> Line:
    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        headers = {"User-Agent": USER_AGENT}
        async with http.get(url, timeout=timeout, headers=headers) as response:
            status, kind = response.status, response.content_type
            body = await response.content.read(64 * 1024)
    except TimeoutError:
        return fail(
            f"PUBLIC_BASE_URL: {url} did not answer within {FETCH_TIMEOUT_S:g} s: is the "
            "tunnel or proxy running, and does it lead to HTTP_PORT?"
        )
    except aiohttp.ClientConnectorCertificateError:
        return fail(f"PUBLIC_BASE_URL: {url} has a TLS certificate that is not trusted")
    except aiohttp.ClientError as exc:
        return fail(f"PUBLIC_BASE_URL: cannot fetch {url} ({type(exc).__name__})")
    return judge(url, status, kind, body, nonce, running=running)


def judge(
    url: str, status: int, content_type: str, body: bytes, nonce: str | None, *, running: bool
) -> Line:
    """What answered PUBLIC_BASE_URL/healthz: our nonce, a Photobot, or something else."""
    answer = _json(body)
    if isinstance(answer, dict):
        if nonce is not None and answer.get(NONCE_FIELD) == nonce:
            return ok(f"PUBLIC_BASE_URL: {url} reaches this machine (it answered this check)")
        if NONCE_FIELD in answer:
            return fail(f"PUBLIC_BASE_URL: {url} reaches another machine's photobot check")
        if answer.keys() >= _PHOTOBOT_HEALTH:
            if running:
                return ok(f"PUBLIC_BASE_URL: {url} answers as the Photobot running here does")
            return fail(
                f"PUBLIC_BASE_URL: {url} is answered by another Photobot, not this "
                "machine: it leads to another deployment"
            )
        return fail(
            f"PUBLIC_BASE_URL: {url} is answered by something else (JSON, HTTP "
            f"{status}): does the tunnel or proxy lead to HTTP_PORT?"
        )
    if content_type == "text/html" or _looks_like_html(body):
        return fail(
            f"PUBLIC_BASE_URL: {url} answers {html_kind(status, body)}, not Photobot: "
            f"providers would get it too; {ADVICE}"
        )
    return fail(
        f"PUBLIC_BASE_URL: {url} answered HTTP {status} ({content_type or 'no type'}), "
        "not Photobot: does the tunnel or proxy lead to HTTP_PORT?"
    )


def html_kind(status: int, body: bytes) -> str:
    """Names an HTML page in a few words."""
    text = body.decode("utf-8", "replace").lower()
    if "ngrok" in text:
        return "ngrok's browser warning page"
    if "bypass-tunnel-reminder" in text or "loca.lt" in text:
        return "localtunnel's reminder page"
    if status in (401, 403) or any(w in text for w in ("log in", "login", "sign in", "password")):
        return "a login page"
    if status >= 500:
        return f"a proxy error page (HTTP {status})"
    return f"an HTML page (HTTP {status})"


def _looks_like_html(body: bytes) -> bool:
    return body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _port_taken(
    settings: Settings, http: aiohttp.ClientSession, url: str, reason: str
) -> Line:
    """The port is busy: accepted only when the Photobot running here holds it."""
    local = health_url({"HTTP_HOST": settings.http_host, "HTTP_PORT": str(settings.http_port)})
    if not await _is_photobot(local):
        return fail(f"HTTP_PORT: {reason}: stop what holds the port, or set HTTP_PORT")
    return await fetch_and_judge(http, url, None, running=True)


async def _is_photobot(local_url: str) -> bool:
    """Whether the server on our port answers /healthz as Photobot does (no proxy: loopback)."""
    timeout = aiohttp.ClientTimeout(total=LOCAL_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as local,
            local.get(local_url) as response,
        ):
            answer = _json(await response.content.read(64 * 1024))
    except (aiohttp.ClientError, TimeoutError):
        return False
    return isinstance(answer, dict) and answer.keys() >= _PHOTOBOT_HEALTH
