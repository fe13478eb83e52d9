"""Everything a benchmark row runs against: redis-server, moto S3, emulators, bot processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import boto3
from moto.server import ThreadedMotoServer
from redis.asyncio import Redis

from bot.app.redis_server import RedisServer
from bot.jobs.record import Job
from bot.jobs.store import JobStore
from bot.providers.callback_tokens import callback_token
from bot.sandbox.emulators.kie import TINY_PNG, KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator

TOKEN = "123456:BENCH-token"
KIE_KEY = "kie-bench-key"
CALLBACK_SECRET = "bench-callback-secret"
BUCKET = "photobot-bench"
# The emulator's 1x1 PNG padded to about 2 KB with a private chunk before IEND: delivery
# reads the image header, so the result has to be a real image.
_PADDING = b"prVt" + bytes(2048)
RESULT_PNG = (
    TINY_PNG[:-12]
    + struct.pack(">I", len(_PADDING) - 4)
    + _PADDING
    + struct.pack(">I", zlib.crc32(_PADDING))
    + TINY_PNG[-12:]
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Poll a condition with a deadline."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark: {what} not reached in {within:.0f} s")
        await asyncio.sleep(0.05)


@dataclass
class BotProcess:
    port: int
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        return self._status_bytes("VmRSS")

    def peak_rss_bytes(self) -> int:
        """The highest resident size since start, or since the last reset_peak."""
        return self._status_bytes("VmHWM")

    def reset_peak(self) -> int:
        """Start a new peak measurement (Linux clear_refs); returns the resident size now."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        return self.rss_bytes()

    def _status_bytes(self, field: str) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith(field))
        return int(kib) * 1024


@dataclass
class Rig:
    """Shared infrastructure; bots are started per measurement so each starts clean."""

    workdir: Path
    redis_server: RedisServer
    s3_endpoint: str
    redis: Redis
    telegram: TelegramEmulator
    kie: KieEmulator
    result_url: str = ""
    bots: list[BotProcess] = field(default_factory=list)

    @property
    def store(self) -> JobStore:
        return JobStore(self.redis)

    def bot_env(self, port: int, telegram: TelegramEmulator, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.workdir),
            "PTB_TIMEDELTA": "true",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "KIE_API_KEY": KIE_KEY,
            "KIE_BASE_URL": self.kie.url,
            "REDIS_URL": self.redis_server.url,
            "R2_ENDPOINT_URL": self.s3_endpoint,
            "R2_ACCESS_KEY_ID": "bench",
            "R2_SECRET_ACCESS_KEY": "bench",
            "R2_BUCKET": BUCKET,
            "CALLBACK_SECRET": CALLBACK_SECRET,
            "MEDIA_ALLOW_PRIVATE": "true",
            "POLL_AFTER_SECONDS": "3600",
            "USER_MAX_JOBS_IN_FLIGHT": "0",
            "USER_MAX_JOBS_PER_HOUR": "0",
            "DATA_DIR": str(self.workdir / "bot-data"),
            "LOG_LEVEL": "WARNING",
        }
        env.update(extra)
        return env

    @contextlib.asynccontextmanager
    async def running_bots(
        self, count: int = 1, telegram: TelegramEmulator | None = None, **extra: str
    ) -> AsyncIterator[list[BotProcess]]:
        """Fresh Redis contents, then `count` bot processes; killed afterwards."""
        await self.redis.flushall()
        await self._compact_aof()
        bots = []
        try:
            for _ in range(count):
                port = free_port()
                env = self.bot_env(port, telegram or self.telegram, **extra)
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", env=env, cwd=self.workdir,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                bots.append(BotProcess(port, process))
            for bot in bots:
                await wait_until(_healthy(bot.url), 60, "bot health")
            yield bots
        finally:
            for bot in bots:
                if bot.process.returncode is None:
                    bot.process.kill()
                    await bot.process.wait()

    async def _compact_aof(self) -> None:
        """Rewrite the append-only file now, so Redis does not do it in the middle of a row."""
        await self.redis.bgrewriteaof()
        await wait_until(self._aof_idle, 60, "AOF rewrite")

    async def _aof_idle(self) -> bool:
        info = await self.redis.info("persistence")
        return not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]

    async def seed_jobs(
        self, count: int, first_chat: int = 10_000, model: str = "nano-banana-pro"
    ) -> list[SeededJob]:
        """Jobs as the bot would have created them, each with a Kie task, ready for callbacks."""
        store = self.store
        now = time.time()
        jobs = []
        for n in range(count):
            job = Job(
                id=uuid.uuid4().hex, chat_id=first_chat + n, user_id=first_chat + n,
                prompt="bench", model=model, provider="kie", created_at=now,
            )  # fmt: skip
            jobs.append(SeededJob(job, f"task_bench_{job.id}"))
        sem = asyncio.Semaphore(64)

        async def seed(item: SeededJob) -> None:
            async with sem:
                await store.create(item.job, now + 3600)
                await store.set_task(item.job, item.task_id)

        await asyncio.gather(*(seed(j) for j in jobs))
        return jobs

    def callback_body(self, task_id: str, result_url: str = "") -> bytes:
        """Kie's success callback for the task, with one result (the rig's PNG unless given)."""
        return (
            '{"code":200,"msg":"Playground task completed successfully.","data":{"taskId":"'
            + task_id
            + '","model":"nano-banana-pro","state":"success","param":"{}","resultJson":'
            + '"{\\"resultUrls\\":[\\"'
            + (result_url or self.result_url)
            + '\\"]}","failCode":"","failMsg":"","costTime":15}}'
        ).encode()


@dataclass(frozen=True)
class SeededJob:
    job: Job
    task_id: str

    def callback_url(self, base_url: str) -> str:
        token = callback_token(CALLBACK_SECRET.encode(), "kie", self.job.id)
        return f"{base_url}/api/kie/callback?job={self.job.id}&token={token}"


def _healthy(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    return check


@contextlib.asynccontextmanager
async def rig() -> AsyncIterator[Rig]:
    with tempfile.TemporaryDirectory(prefix="photobot-bench-") as tmp:
        workdir = Path(tmp)
        redis_server = RedisServer(workdir / "redis", port=free_port())
        await redis_server.start()
        moto_port = free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        s3_endpoint = f"http://127.0.0.1:{moto_port}"
        await asyncio.to_thread(_create_bucket, s3_endpoint)
        redis = Redis.from_url(redis_server.url, decode_responses=True)
        telegram, kie = TelegramEmulator(token=TOKEN), KieEmulator(api_key=KIE_KEY)
        await telegram.start()
        await kie.start()
        try:
            the_rig = Rig(workdir, redis_server, s3_endpoint, redis, telegram, kie)
            the_rig.result_url = kie.add_result_file(RESULT_PNG)
            yield the_rig
        finally:
            await telegram.stop()
            await kie.stop()
            await redis.aclose()
            moto.stop()
            redis_server.stop()


def _create_bucket(endpoint: str) -> None:
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
