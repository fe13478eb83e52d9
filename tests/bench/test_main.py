"""`photobot-bench` without its extra: one line naming the install command, exit 2."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.bench.__main__ import EXIT_MISSING_DEPENDENCIES
from tests.blocked_imports import block_imports
from tests.harness import files_in

EXIT_WAIT_S = 60.0
CONSOLE_SCRIPT = Path(sys.executable).parent / "photobot-bench"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-m", "bot.bench"], id="python -m bot.bench"),
        pytest.param(
            [str(CONSOLE_SCRIPT), "--size", "tiny"],
            id="photobot-bench",
            marks=pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="no console script"),
        ),
    ],
)
async def test_a_missing_bench_extra_ends_in_one_line_naming_the_install_command(
    command: list[str], tmp_path: Path
) -> None:
    env = block_imports(tmp_path / "site", "moto")
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), EXIT_WAIT_S)

    lines = stderr.decode().splitlines()
    assert process.returncode == EXIT_MISSING_DEPENDENCIES, lines
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert "moto is not installed" in lines[0]
    assert lines[0].endswith(" -m pip install -e '.[bench]'")
    assert stdout == b""
    assert await files_in(tmp_path) == ["site"]  # nothing ran, no JSON written
