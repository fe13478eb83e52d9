"""Both storage backends give back exactly the bytes they were given (providers that upload
files read them this way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.storage import Storage
from bot.storage.local import LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from tests.conftest import BUCKET

DATA = bytes(range(256)) * 1000


async def round_trip(storage: Storage) -> None:
    await storage.put("inputs/job-1.png", DATA, "image/png")
    assert await storage.read("inputs/job-1.png") == DATA
    with pytest.raises(StorageError):
        await storage.read("inputs/never-stored.png")


async def test_r2_reads_what_it_stored(s3_endpoint: str) -> None:
    await round_trip(R2Storage(make_s3_client(s3_endpoint, "test", "test"), BUCKET))


async def test_local_reads_what_it_stored(tmp_path: Path) -> None:
    await round_trip(LocalStorage(tmp_path, "http://127.0.0.1:1", b"secret"))
