"""Spool files left by a killed process are cleared at start-up; younger ones are not."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.media.spool import FILE_PREFIX, STALE_AFTER_S, clear_stale
from tests.harness import StartBot


def _spool_file(folder: Path, name: str, age_s: float) -> Path:
    path = folder / f"{FILE_PREFIX}{name}.part"
    path.write_bytes(b"half a video")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_only_old_spool_files_are_cleared(tmp_path: Path) -> None:
    old = _spool_file(tmp_path, "old", STALE_AFTER_S + 60)
    young = _spool_file(tmp_path, "young", 60)
    other = tmp_path / "photobot-result-notes.txt"  # not a spool file
    other.write_text("keep")
    os.utime(other, (0, 0))

    assert clear_stale(tmp_path) == 1
    assert not old.exists() and young.exists() and other.exists()
    assert clear_stale(tmp_path) == 0


async def test_the_bot_clears_what_a_killed_run_left_when_it_starts(
    start_bot: StartBot, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    left = _spool_file(spool, "killed-mid-delivery", 2 * STALE_AFTER_S)
    in_use = _spool_file(spool, "another-replica", 5)

    async with start_bot(media_tmp_dir=spool) as bot:
        assert await bot.healthy()
        assert not left.exists()
        assert in_use.exists()
