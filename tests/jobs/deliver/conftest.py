"""Fixtures the delivery tests share: a scripted result host, and a bot whose spool is checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import BotHarness, StartBot, files_in
from tests.result_host import ResultHost


@pytest.fixture
async def host() -> AsyncIterator[ResultHost]:
    async with ResultHost() as server:
        yield server


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
async def results_bot(start_bot: StartBot, spool_dir: Path) -> AsyncIterator[BotHarness]:
    """The bot, spooling downloads into a directory the test checks is empty afterwards."""
    async with start_bot(media_tmp_dir=spool_dir) as bot:
        yield bot
    assert await files_in(spool_dir) == []  # every downloaded result was deleted after use
