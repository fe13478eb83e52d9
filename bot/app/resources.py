"""The resources every part shares: Redis (an embedded server when none is configured), the
HTTP sessions, the callback secret and the file storage."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis

from bot import constants as k
from bot.app.redis_server import RedisServer
from bot.config import Settings
from bot.media.fetch import make_media_session, policy_from_settings
from bot.storage import Storage
from bot.storage.local import LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from bot.web.keys import HTTP, MEDIA_HTTP, REDIS, SETTINGS


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
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


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with (
        aiohttp.ClientSession(trust_env=True) as http,
        make_media_session(policy_from_settings(settings)) as media_http,
    ):
        app[HTTP] = http
        app[MEDIA_HTTP] = media_http
        yield


async def callback_secret(settings: Settings, redis: Redis) -> bytes:
    """CALLBACK_SECRET, or one generated once and shared by every replica through Redis."""
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    await redis.set(k.CALLBACK_SECRET_KEY, secrets.token_hex(32), nx=True)
    value = await redis.get(k.CALLBACK_SECRET_KEY)
    return str(value).encode()


async def build_storage(settings: Settings, secret: bytes) -> Storage:
    """R2 when configured, else files under DATA_DIR served at signed URLs."""
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
    # Without PUBLIC_BASE_URL nobody outside can fetch /media: inputs go by file upload.
    public = settings.base_url() if settings.callbacks else None
    return LocalStorage(root, public, media_key)
