"""The load generator against a tiny counting aiohttp server, in-process and as a subprocess."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.bench.loadgen import (
    PreparedRequest,
    percentile,
    read_requests,
    run_in_subprocess,
    run_load,
    write_requests,
)

TOTAL = 300
FAIL_EVERY = 7
DEADLINE_S = 60.0


@dataclass
class CountingServer:
    """A 127.0.0.1 server: 200 for most bodies, 503 for bodies containing ``"fail"``."""

    url: str = ""
    hits: int = 0
    peers: set[object] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        """Count the request and its connection; fail on demand."""
        body = await request.read()
        self.hits += 1
        self.peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        if b'"fail"' in body:
            return web.Response(status=503, text="failing on request")
        return web.Response(text="ok")


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    """Serve on an ephemeral port for one test."""
    state = CountingServer()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}/hook"
    try:
        yield state
    finally:
        await runner.cleanup()


def make_requests(url: str, total: int) -> list[PreparedRequest]:
    """``total`` requests; every ``FAIL_EVERY``-th asks to fail."""
    return [
        PreparedRequest.from_payload(
            url, {"update_id": i, "kind": "fail" if i % FAIL_EVERY == 0 else "ok"}
        )
        for i in range(total)
    ]


def failing(requests: list[PreparedRequest]) -> int:
    """How many bodies ask the server to fail."""
    return sum(b'"fail"' in r.body for r in requests)


async def test_subprocess_run_counts_every_request(server: CountingServer, tmp_path: Path) -> None:
    requests = make_requests(server.url, TOTAL)
    expected_failures = failing(requests)
    path = tmp_path / "requests.jsonl"
    write_requests(path, requests)

    async with asyncio.timeout(DEADLINE_S):
        report = await run_in_subprocess(path, concurrency=8, warmup=10)

    assert report["requests"] == TOTAL
    assert report["ok"] + report["errors"] == TOTAL
    assert report["errors"] == expected_failures
    assert report["ok"] == TOTAL - expected_failures
    assert server.hits == TOTAL
    assert report["status_counts"] == {"200": TOTAL - expected_failures, "503": expected_failures}
    assert report["exception_counts"] == {}
    assert report["measured"] == TOTAL - 10
    assert report["elapsed_s"] > 0
    assert report["rps"] > 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert latency["mean"] <= latency["max"]
    assert report["generator"].startswith("aiohttp client process (python 3.")
    # Keep-alive: the connector never opens more connections than the concurrency.
    assert len(server.peers) <= 8


async def test_run_load_in_process_counts_statuses_and_exceptions(
    server: CountingServer, unused_tcp_port: int
) -> None:
    requests = make_requests(server.url, 50)
    refused = PreparedRequest(f"http://127.0.0.1:{unused_tcp_port}/hook", b"{}")
    requests.append(refused)
    expected_failures = failing(requests)

    async with asyncio.timeout(DEADLINE_S):
        report = await run_load(requests, concurrency=4, warmup=5, timeout_s=5.0)

    assert report.requests == 51
    assert report.ok == 50 - expected_failures
    assert report.errors == expected_failures + 1
    assert report.status_counts == {"200": 50 - expected_failures, "503": expected_failures}
    assert sum(report.exception_counts.values()) == 1
    assert server.hits == 50
    assert report.measured == 46
    assert report.warmup == 5
    assert report.rps > 0
    lat = report.latency_ms
    assert lat.p50 <= lat.p90 <= lat.p99 <= lat.max
    assert report.to_dict()["latency_ms"]["max"] == lat.max


async def test_run_load_sends_custom_headers_and_exact_body() -> None:
    seen: list[tuple[str | None, str | None, bytes]] = []

    async def record(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((request.headers.get("Content-Type"), request.headers.get("X-Token"), body))
        return web.Response()

    app = web.Application()
    app.router.add_post("/", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        body = b'{"a": 1,  "b":"\\u00e9"}'
        report = await run_load(
            [PreparedRequest(f"http://{host}:{port}/", body, (("X-Token", "s3cret"),))],
            concurrency=64,
        )
    finally:
        await runner.cleanup()
    assert report.ok == 1
    assert report.measured == 1
    assert seen == [("application/json", "s3cret", body)]


async def test_subprocess_failure_raises_with_stderr(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="FileNotFoundError"):
        await run_in_subprocess(tmp_path / "missing.jsonl", concurrency=1)


def test_requests_file_round_trip(tmp_path: Path) -> None:
    requests = [
        PreparedRequest("http://127.0.0.1:1/a", '{"text":"héllo"}'.encode()),
        PreparedRequest("http://127.0.0.1:1/b", b"{}", (("X-A", "1"), ("X-B", "2"))),
    ]
    path = tmp_path / "r.jsonl"
    write_requests(path, requests)
    assert read_requests(path) == requests


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == 4.0
