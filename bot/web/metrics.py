"""GET /metrics: the application's Prometheus metrics, with Redis figures read at scrape time,
behind an optional bearer token."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from prometheus_client.exposition import choose_encoder
from pydantic import SecretStr
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import constants as k
from bot.metrics import Metrics
from bot.web.keys import DEPS, METRICS, REFUSALS

# A scrape must answer even when Redis hangs: Prometheus' own timeout is 10 s by default.
REDIS_CHECK_TIMEOUT_S = 1.0
WHAT = "metrics scrape"


@dataclass(frozen=True, slots=True)
class RedisFigures:
    in_flight: int
    awaiting_delivery: int


def metrics_endpoint(token: SecretStr | None) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route handler; with a token, only `Authorization: Bearer <token>` is served."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def metrics(request: web.Request) -> web.Response:
        if expected is not None and not bearer_matches(request.headers, expected):
            request.app[REFUSALS].refused(WHAT, "missing or wrong bearer token")
            return web.Response(
                status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
        deps = request.app.get(DEPS)
        figures = await read_redis(deps.redis) if deps is not None else None
        refresh(request.app[METRICS], figures)
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        # Rendering every series takes milliseconds; the registry's locks make a thread safe.
        body = await asyncio.to_thread(encode, request.app[METRICS].registry)
        return web.Response(body=body, headers={"Content-Type": content_type})

    return metrics


def bearer_matches(headers: Mapping[str, str], expected: bytes) -> bool:
    """Constant-time comparison of the request's bearer token with ours."""
    scheme, _, given = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected)


async def read_redis(redis: Redis) -> RedisFigures | None:
    """PING and the queue sizes in one round trip; None when Redis does not answer in time."""
    try:
        async with asyncio.timeout(REDIS_CHECK_TIMEOUT_S):
            async with redis.pipeline(transaction=False) as pipe:
                pipe.ping()
                pipe.zcard(k.POLL_QUEUE_KEY)
                pipe.zcard(k.UNDELIVERED_KEY)
                _, in_flight, undelivered = await pipe.execute()
    except (RedisError, OSError, TimeoutError):
        return None
    return RedisFigures(int(in_flight), int(undelivered))


def refresh(metrics: Metrics, figures: RedisFigures | None) -> None:
    """Set the gauges read at scrape time; unknown figures are NaN rather than stale."""
    metrics.redis_up.set(1 if figures is not None else 0)
    metrics.jobs_in_flight.set(figures.in_flight if figures else float("nan"))
    metrics.jobs_awaiting_delivery.set(figures.awaiting_delivery if figures else float("nan"))
