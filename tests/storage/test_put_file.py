"""Both storage backends take a file from disk, streamed, and hand it back whole at its URL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.errors import StorageError
from bot.storage import Storage
from bot.storage.local import LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from tests.conftest import BUCKET

MB = 1024 * 1024


@pytest.fixture(params=["local", "r2"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media", "http://unused.invalid", b"key")
    return R2Storage(make_s3_client(s3_endpoint, "test", "test"), BUCKET)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def stored_bytes(storage: Storage, key: str, http: aiohttp.ClientSession) -> bytes:
    if isinstance(storage, LocalStorage):  # served by the bot's own /media route
        return storage.path_for(key).read_bytes()
    async with http.get(await storage.signed_url(key, 60)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "video/mp4"
        return await response.read()


async def test_a_file_is_stored_whole(
    storage: Storage, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    data = os.urandom(3 * MB) * 6 + b"end"  # over boto3's 8 MiB multipart threshold
    source = tmp_path / "result.part"
    source.write_bytes(data)

    await storage.put_file("results/job/1.mp4", source, "video/mp4")

    assert await stored_bytes(storage, "results/job/1.mp4", http) == data
    assert source.exists()  # the caller's file is left for the caller to delete


async def test_a_missing_source_is_a_storage_error(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        await storage.put_file("results/job/2.mp4", tmp_path / "gone.part", "video/mp4")
