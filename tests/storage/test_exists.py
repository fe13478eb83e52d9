"""Both storage backends say whether a key is stored, cheaply (a job run again checks its
inputs before it starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.storage import Storage
from bot.storage.local import LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from tests.conftest import BUCKET


async def knows_what_it_holds(storage: Storage) -> None:
    await storage.put("inputs/kept-1.png", b"\x89PNG kept", "image/png")
    assert await storage.exists("inputs/kept-1.png") is True
    assert await storage.exists("inputs/never-stored.png") is False


async def test_r2_knows_what_it_holds(s3_endpoint: str) -> None:
    await knows_what_it_holds(R2Storage(make_s3_client(s3_endpoint, "test", "test"), BUCKET))


async def test_local_knows_what_it_holds(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "http://127.0.0.1:1", b"secret")
    await knows_what_it_holds(storage)
    assert await storage.exists("../outside.png") is False  # never climbs out of its folder


async def test_r2_that_cannot_answer_raises() -> None:
    storage = R2Storage(make_s3_client("http://127.0.0.1:1", "test", "test"), BUCKET)
    # An unreachable bucket is not a missing file: the caller must not say the inputs are gone.
    with pytest.raises(StorageError):
        await storage.exists("inputs/anything.png")
