"""HTTP load generator: POST prepared requests at a fixed concurrency, report rps and latency.

Runs in its own process (``python -m bot.bench.loadgen --requests FILE``) so that the client's
CPU cost is not charged to the server under test. One event loop, one ``ClientSession`` with a
keep-alive ``TCPConnector(limit=concurrency)``, bodies pre-encoded as bytes, and ``concurrency``
workers pulling from one shared iterator.

Counts (``requests``, ``ok``, ``errors``, ``status_counts``, ``exception_counts``) cover every
request sent, warm-up included. ``elapsed_s``, ``rps`` and ``latency_ms`` cover only the measured
requests, which run as a second phase after the warm-up phase has finished.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

__all__ = [
    "LatencySummary",
    "LoadReport",
    "PreparedRequest",
    "main",
    "read_requests",
    "run_in_subprocess",
    "run_load",
    "write_requests",
]

EXCEPTION_STATUS = -1
"""Placeholder status recorded for a request that raised instead of answering."""

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_STDERR_TAIL_CHARS = 4000

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One POST: URL, exact body bytes, extra headers (``application/json`` is the default type)."""

    url: str
    body: bytes
    headers: Headers = ()

    @classmethod
    def from_payload(
        cls, url: str, payload: Any, headers: dict[str, str] | None = None
    ) -> PreparedRequest:
        """Build a request whose body is ``payload`` serialised as compact JSON."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(url, body, tuple((headers or {}).items()))


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latency percentiles (nearest rank), maximum and mean, in milliseconds."""

    p50: float
    p90: float
    p99: float
    max: float
    mean: float


@dataclass(frozen=True, slots=True)
class LoadReport:
    """The outcome of one run; ``to_dict`` gives the JSON the CLI prints."""

    generator: str
    requests: int
    ok: int
    errors: int
    status_counts: dict[str, int]
    exception_counts: dict[str, int]
    elapsed_s: float
    rps: float
    latency_ms: LatencySummary
    measured: int = 0
    warmup: int = 0
    concurrency: int = 0
    event_loop: str = "asyncio"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping."""
        return asdict(self)


@dataclass(slots=True)
class _Results:
    """Per-phase outcome, filled in place by the workers (preallocated, no per-request lists)."""

    statuses: list[int]
    latencies: list[float]
    exceptions: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0


def generator_name() -> str:
    """Describe this generator for the report."""
    return (
        f"aiohttp client process (python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__})"
    )


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise_latency(latencies_s: Iterable[float]) -> LatencySummary:
    """Summarise latencies given in seconds; all zeros when there are none."""
    ms = sorted(value * 1000.0 for value in latencies_s)
    if not ms:
        return LatencySummary(0.0, 0.0, 0.0, 0.0, 0.0)
    return LatencySummary(
        p50=round(percentile(ms, 50), 4),
        p90=round(percentile(ms, 90), 4),
        p99=round(percentile(ms, 99), 4),
        max=round(ms[-1], 4),
        mean=round(sum(ms) / len(ms), 4),
    )


async def _send_all(
    session: aiohttp.ClientSession,
    requests: Sequence[PreparedRequest],
    indices: Iterator[int],
    results: _Results,
) -> None:
    """Worker: take the next index from the shared iterator until it runs dry."""
    statuses, latencies, exceptions = results.statuses, results.latencies, results.exceptions
    clock = time.perf_counter
    for index in indices:
        request = requests[index]
        started = clock()
        try:
            async with session.post(
                request.url, data=request.body, headers=request.headers or None
            ) as response:
                await response.read()
                statuses[index] = response.status
        except Exception as exc:  # any failure is a counted error, never a crash of the run
            statuses[index] = EXCEPTION_STATUS
            exceptions[type(exc).__name__] += 1
        latencies[index] = clock() - started


async def _run_phase(
    session: aiohttp.ClientSession, requests: Sequence[PreparedRequest], concurrency: int
) -> _Results:
    """Send ``requests`` with ``concurrency`` workers and time the whole phase."""
    count = len(requests)
    results = _Results(statuses=[EXCEPTION_STATUS] * count, latencies=[0.0] * count)
    indices = iter(range(count))
    workers = min(concurrency, count)
    started = time.perf_counter()
    await asyncio.gather(*(_send_all(session, requests, indices, results) for _ in range(workers)))
    results.elapsed_s = time.perf_counter() - started
    return results


def _open_session(concurrency: int, timeout_s: float) -> aiohttp.ClientSession:
    """One keep-alive session sized to the concurrency, with no cookie handling."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        headers={"Content-Type": "application/json"},
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def _build_report(
    warm: _Results, measured: _Results, concurrency: int, event_loop: str
) -> LoadReport:
    """Fold both phases into a report: counts over all, timings over the measured phase."""
    statuses = Counter(warm.statuses)
    statuses.update(measured.statuses)
    exceptions = warm.exceptions + measured.exceptions
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    total = statuses.total()
    count = len(measured.statuses)
    elapsed = measured.elapsed_s
    return LoadReport(
        generator=generator_name(),
        requests=total,
        ok=ok,
        errors=total - ok,
        status_counts={str(s): n for s, n in sorted(statuses.items()) if s != EXCEPTION_STATUS},
        exception_counts=dict(sorted(exceptions.items())),
        elapsed_s=round(elapsed, 6),
        rps=round(count / elapsed, 2) if count and elapsed > 0 else 0.0,
        latency_ms=summarise_latency(measured.latencies),
        measured=count,
        warmup=len(warm.statuses),
        concurrency=concurrency,
        event_loop=event_loop,
    )


async def run_load(
    requests: list[PreparedRequest],
    concurrency: int,
    warmup: int = 0,
    timeout_s: float = 30.0,
) -> LoadReport:
    """Send ``requests`` (the first ``warmup`` unmeasured) at ``concurrency`` and report."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    warmup = max(0, min(warmup, len(requests)))
    async with _open_session(concurrency, timeout_s) as session:
        warm = await _run_phase(session, requests[:warmup], concurrency)
        measured = await _run_phase(session, requests[warmup:], concurrency)
    loop_type = type(asyncio.get_running_loop())
    event_loop = "uvloop" if loop_type.__module__.startswith("uvloop") else "asyncio"
    return _build_report(warm, measured, concurrency, event_loop)


def _encode_line(request: PreparedRequest) -> str:
    """One JSON-lines record for ``request``."""
    record: dict[str, Any] = {"url": request.url, "body": request.body.decode()}
    if request.headers:
        record["headers"] = dict(request.headers)
    return json.dumps(record, separators=(",", ":"))


def write_requests(path: Path, requests: Iterable[PreparedRequest]) -> None:
    """Write ``requests`` as JSON lines that ``read_requests`` and the CLI accept."""
    with path.open("w", encoding="utf-8") as out:
        for request in requests:
            out.write(_encode_line(request))
            out.write("\n")


def _decode_line(line: str) -> PreparedRequest:
    """Parse one JSON-lines record; the body is encoded to bytes once, here."""
    record = json.loads(line)
    headers = record.get("headers") or {}
    return PreparedRequest(
        url=str(record["url"]),
        body=str(record["body"]).encode(),
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
    )


def read_requests(path: Path) -> list[PreparedRequest]:
    """Load a JSON-lines requests file, skipping blank lines."""
    with path.open(encoding="utf-8") as src:
        return [_decode_line(line) for line in src if line.strip()]


async def run_in_subprocess(
    requests_path: Path,
    concurrency: int,
    warmup: int = 0,
    python: str = sys.executable,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Run the generator as ``python -m bot.bench.loadgen`` and return its parsed JSON report."""
    argv = _cli_args(requests_path, concurrency, warmup, timeout_s)
    proc = await asyncio.create_subprocess_exec(
        python,
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_env(),
    )
    try:
        stdout, stderr = await proc.communicate()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        tail = stderr.decode(errors="replace")[-_STDERR_TAIL_CHARS:]
        raise RuntimeError(f"loadgen exited with {proc.returncode}:\n{tail}")
    return _parse_report(stdout)


def _cli_args(requests_path: Path, concurrency: int, warmup: int, timeout_s: float) -> list[str]:
    """Arguments after the interpreter; the path is made absolute for the child."""
    return [
        *("-m", "bot.bench.loadgen", "--requests", str(Path(requests_path).absolute())),
        *("--concurrency", str(concurrency), "--warmup", str(warmup), "--timeout", str(timeout_s)),
    ]


def _child_env() -> dict[str, str]:
    """The current environment with this project first on PYTHONPATH."""
    env = dict(os.environ)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), existing]))
    return env


def _parse_report(stdout: bytes) -> dict[str, Any]:
    """The report is the last non-empty stdout line."""
    lines = [line for line in stdout.decode().splitlines() if line.strip()]
    if not lines:
        raise RuntimeError("loadgen printed no report")
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench.loadgen", description=__doc__)
    parser.add_argument("--requests", type=Path, required=True, help="JSON-lines requests file")
    parser.add_argument("--concurrency", type=int, default=64, help="in-flight requests")
    parser.add_argument("--warmup", type=int, default=0, help="leading requests not measured")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, s")
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


def _runner(coro: Coroutine[Any, Any, LoadReport]) -> LoadReport:
    """Run ``coro`` on uvloop when it is installed, else on the default asyncio loop."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None
    try:
        loop_factory = importlib.import_module("uvloop").new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coro)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: run the load and print the report as one JSON line."""
    args = _parse_args(argv)
    requests = read_requests(args.requests)
    report = _runner(run_load(requests, args.concurrency, args.warmup, args.timeout))
    sys.stdout.write(json.dumps(report.to_dict()) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
