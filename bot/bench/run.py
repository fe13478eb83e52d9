"""The benchmark command: every row against one rig, the figures table printed and written as
JSON (started by bot/bench/__main__.py once the dev dependencies are known to be there)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.bench import rows
from bot.bench.polling import polling_vs_callbacks
from bot.bench.rig import rig
from bot.bench.rows import Row, Sizes

SIZES = {"full": rows.FULL, "quick": rows.QUICK, "tiny": rows.TINY}


async def run_benchmark(sizes: Sizes) -> list[Row]:
    """All nine rows against one rig; each row starts its own clean bot processes."""
    async with rig() as the_rig:
        one = await rows.ingestion(the_rig, sizes, replicas=1)
        two = await rows.ingestion(the_rig, sizes, replicas=2)
        lat = await rows.latency(the_rig, sizes)
        intake = await rows.intake(the_rig, sizes)
        mem = await rows.memory(the_rig, sizes)
        fan = await rows.fanout(the_rig, sizes)
        videos = await rows.big_videos(the_rig, sizes)
        polling = await polling_vs_callbacks(the_rig, 20 if sizes == rows.TINY else 200)
        polls = await rows.poll_budget(the_rig, sizes)
    return [
        row_ingestion(one),
        row_latency(lat, sizes),
        row_intake(intake),
        row_memory(mem),
        row_fanout(fan, sizes),
        row_scale_out(one, two),
        row_big_videos(videos),
        row_polling(polling),
        row_poll_budget(polls),
    ]


def row_ingestion(m: dict[str, Any]) -> Row:
    rps, bare = float(m["rps"]), float(m["bare_rps"])
    ok = rps >= 0.5 * bare and m["errors"] == 0
    return Row(
        1,
        "callback ingestion, concurrency 64",
        f"{rps:,.0f} req/s ({rps / bare:.2f}x)",
        f"bare aiohttp {bare:,.0f} req/s",
        "≥ 0.5x bare, 0 errors",
        ok,
        m,
        completed=bool(m["all_stored"]),
    )


def row_latency(m: dict[str, Any], sizes: Sizes) -> Row:
    p50, p99 = float(m["p50_ms"]), float(m["p99_ms"])
    return Row(
        2,
        f"callback → chat, {sizes.latency_jobs} jobs at 10/s",
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
        f"Redis RTT {m['redis_rtt_ms']:.2f} ms",
        "p50 ≤ 10 ms, p99 ≤ 50 ms",
        p50 <= 10 and p99 <= 50,
        m,
        completed=m["delivered"] == sizes.latency_jobs,
    )


def row_intake(m: dict[str, Any]) -> Row:
    p50, bare = float(m["p50_ms"]), float(m["bare_put_p50_ms"])
    return Row(
        3,
        f"intake, {m['photos']} photos → createTask",
        f"p50 {p50:.1f} ms ({p50 / bare:.2f}x)",
        f"bare put_object p50 {bare:.1f} ms",
        "p50 ≤ 1.5x bare",
        p50 <= 1.5 * bare,
        m,
    )


def row_memory(m: dict[str, Any]) -> Row:
    growth, per_job = float(m["rss_growth_mb"]), float(m["redis_bytes_per_job"])
    return Row(
        4,
        f"memory, {m['jobs']:,} jobs in flight",
        f"RSS +{growth:.1f} MB, Redis {per_job:,.0f} B/job",
        f"idle RSS {m['idle_rss_mb']:.1f} MB",
        "RSS growth ≤ 100 MB, Redis ≤ 2 KB/job",
        growth <= 100 and per_job <= 2048,
        m,
    )


def row_fanout(m: dict[str, Any], sizes: Sizes) -> Row:
    wall, floor = float(m["wall_s"]), float(m["floor_s"])
    ok = (
        wall <= 1.15 * floor
        and m["delivered"] == sizes.fanout_results
        and int(m["max_429_per_message"]) <= 1
    )
    return Row(
        5,
        f"fan-out, {sizes.fanout_results} chats at 30 msg/s",
        f"{m['delivered']} delivered in {wall:.1f} s, {m['answered_429']} x 429",
        f"floor {floor:.1f} s",
        "≤ 1.15x floor, none 429 twice",
        ok,
        m,
        completed=m["delivered"] == sizes.fanout_results,
    )


def row_scale_out(one: dict[str, Any], two: dict[str, Any]) -> Row:
    a, b = float(one["rps"]), float(two["rps"])
    return Row(
        6,
        "scale-out: row 1 with two replicas",
        f"{b:,.0f} req/s ({b / a:.2f}x)",
        f"one replica {a:,.0f} req/s",
        "≥ 1.5x",
        b >= 1.5 * a,
        two,
        completed=bool(two["all_stored"]),
    )


def row_big_videos(m: dict[str, Any]) -> Row:
    growth, total = float(m["rss_growth_mb"]), float(m["total_mb"])
    wall, bare = float(m["wall_s"]), float(m["bare_upload_s"])
    return Row(
        7,
        f"{m['jobs']} concurrent deliveries of a {m['file_mb']:.0f} MB video",
        f"peak RSS +{growth:.0f} MB ({growth / total:.2f}x), all sent in {wall:.1f} s "
        f"({wall / bare:.1f}x)",
        f"files {total:.0f} MB; bare upload {bare:.1f} s",
        "RSS growth ≤ 1.0x the files (one copy)",
        growth <= total,
        m,
        completed=m["delivered"] == m["jobs"],
    )


def row_polling(m: dict[str, Any]) -> Row:
    """The added delay is the time a result waits at the provider for its next poll: the
    issue allows one poll interval of the job's cadence (3 s for an image's first half minute,
    10 s after), the reconciler's tick on top."""
    polled, called, jobs = m["polling"], m["callbacks"], m["jobs"]
    p50, p95 = float(polled["p50_ms"]) / 1000, float(polled["p95_ms"]) / 1000
    return Row(
        8,
        f"polling mode, {jobs} jobs: provider done → chat",
        f"added p50 {p50:.1f} s, p95 {p95:.1f} s, {polled['late']} late; "
        f"{polled['requests_per_job']:.1f} requests/job",
        f"callbacks: p50 {float(called['p50_ms']):.0f} ms, p95 {float(called['p95_ms']):.0f} ms; "
        f"{called['requests_per_job']:.1f} requests/job",
        "none later than one poll interval",
        polled["late"] == 0,
        m,
        completed=polled["delivered"] == jobs and called["delivered"] == jobs,
    )


def row_poll_budget(m: dict[str, Any]) -> Row:
    busiest, limit = int(m["busiest_second"]), int(m["limit_per_s"])
    return Row(
        9,
        f"polling budget, {m['jobs']} jobs on two replicas",
        f"busiest second {busiest} req, mean {float(m['mean_per_s']):.1f} req/s",
        f"Kie's limit {limit} req/s per key",
        f"≤ {limit} in any second",
        busiest <= limit,
        m,
        completed=int(m["requests"]) > 0,
    )


def render(table: list[Row], machine: str, generator: str) -> str:
    header = ("#", "what", "Photobot", "reference (same run)", "target", "met")
    lines = [
        [str(r.number), r.what, r.value, r.reference, r.target, "yes" if r.met else "NO"]
        for r in table
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *lines, strict=False)]
    fmt = " | ".join(f"{{:{w}}}" for w in widths)
    out = [f"Photobot benchmark on {machine}; load generator: {generator}", fmt.format(*header)]
    out.append("-+-".join("-" * w for w in widths))
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="photobot-bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
    table = asyncio.run(run_benchmark(SIZES[args.size]))
    generator = str(table[0].figures.get("generator", "aiohttp client process"))
    print(render(table, machine(), generator))
    args.json.write_text(
        json.dumps(
            {"machine": machine(), "size": args.size, "rows": [asdict(r) for r in table]}, indent=2
        )
    )
    print(f"\nJSON written to {args.json}")
