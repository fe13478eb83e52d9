"""A tiny run of the benchmark, so it never rots: every row's jobs complete (no timing asserted)."""

from __future__ import annotations

from bot.bench.rows import TINY
from bot.bench.run import render, run_benchmark


async def test_tiny_benchmark_completes_every_job() -> None:
    table = await run_benchmark(TINY)

    assert [row.number for row in table] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert all(row.completed for row in table), [r.number for r in table if not r.completed]
    assert table[0].figures["errors"] == 0
    assert table[2].figures["photos"] == TINY.intake_photos
    assert table[4].figures["duplicates"] == 0
    assert table[6].figures["delivered"] == TINY.video_jobs
    polling = table[7].figures["polling"]
    assert polling["uploads"] == polling["delivered"] == 20  # inputs went up, results came back
    assert table[7].figures["callbacks"]["polls_per_job"] == 0  # callbacks needed no poll
    assert table[8].figures["busiest_second"] <= table[8].figures["limit_per_s"]
    assert "callback ingestion" in render(table, "test machine", "test generator")
