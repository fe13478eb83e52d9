"""SSRF probes: MediaFetcher refuses loopback, private, metadata and off-list targets.

Every server here listens on 127.0.0.1 and counts the TCP connections and requests it gets.
Names are answered by a DNS test double (StaticResolver), never by a real resolver. On top of
that, every connect the event loop makes during these tests goes through an audit that lets
only 127.0.0.1 through: if Photobot's guard ever let a forbidden address past, the audit
blocks the connect before any packet leaves and the probe counts it as a forbidden connection.
"""

from __future__ import annotations

import asyncio
import errno
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.errors import MediaFetchError
from bot.media.fetch import (
    MAX_REDIRECTS,
    FetchedMedia,
    FetchPolicy,
    MediaFetcher,
    check_url,
    discard,
    make_media_session,
)
from tests.figures import record
from tests.harness import files_in

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1200  # ~300 KB: several read chunks
FORBIDDEN_BODY = b"a forbidden target answered"
PROD = FetchPolicy(timeout_s=10.0)  # production rules: https only, public addresses only
DEV = FetchPolicy(allow_private=True, timeout_s=10.0)


# -- bookkeeping for the summary row -----------------------------------------------------


@dataclass
class Tally:
    probes: int = 0
    refused: int = 0
    forbidden_connections: int = 0


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def _summary_row() -> Iterator[None]:
    yield
    if TALLY.probes:
        record(
            "SSRF probes",
            f"{TALLY.refused}/{TALLY.probes} refused, "
            f"{TALLY.forbidden_connections} forbidden connections",
            "all refused, no connection",
        )


# -- test doubles ----------------------------------------------------------------------------


class StaticResolver(AbstractResolver):
    """DNS test double: a fixed name -> addresses table; counts every lookup."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        addresses = self.table.get(host)
        if addresses is None:
            raise OSError(f"{host}: not in the test DNS table")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


class Target:
    """An HTTP server on 127.0.0.1 that counts TCP connections and requests."""

    def __init__(self, handler: Handler | None) -> None:
        self.connections = 0
        self.requests: list[str] = []
        self.released = asyncio.Event()  # set at teardown: lets stalled handlers return
        self._handler = handler
        self._server: web.Server | None = None
        self._listener: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = server = web.Server(self._handle, handler_cancellation=True)
        loop = asyncio.get_running_loop()

        def protocol() -> Any:
            self.connections += 1
            return server()

        self._listener = await loop.create_server(protocol, "127.0.0.1", 0)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.released.set()
        assert self._listener is not None and self._server is not None
        self._listener.close()
        await self._server.shutdown(1.0)
        await self._listener.wait_closed()

    def url(self, host: str = "127.0.0.1", path: str = "/x", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def reached(self) -> int:
        return self.connections + len(self.requests)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests.append(request.path)
        if self._handler is None:
            return web.Response(body=FORBIDDEN_BODY)
        return await self._handler(request)


@dataclass
class ConnectAudit:
    attempts: list[tuple[str, int]] = field(default_factory=list)
    blocked: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
async def audit(monkeypatch: pytest.MonkeyPatch) -> ConnectAudit:
    """Every socket connect of this loop is logged; anything but 127.0.0.1 is refused."""
    loop = asyncio.get_running_loop()
    real = loop.sock_connect
    log = ConnectAudit()

    async def audited(sock: socket.socket, address: Any) -> None:
        host, port = str(address[0]), int(address[1])
        log.attempts.append((host, port))
        if host != "127.0.0.1":
            log.blocked.append((host, port))
            raise OSError(errno.EHOSTUNREACH, f"the test forbids connecting to {host}")
        await real(sock, address)

    monkeypatch.setattr(loop, "sock_connect", audited)
    return log


@pytest.fixture
async def start_target() -> AsyncIterator[Callable[..., Awaitable[Target]]]:
    started: list[Target] = []

    async def start(handler: Handler | None = None) -> Target:
        target = Target(handler)
        await target.start()
        started.append(target)
        return target

    yield start
    for target in started:
        await target.stop()


MakeFetcher = Callable[..., tuple[MediaFetcher, StaticResolver]]


@pytest.fixture
async def make_fetcher(
    audit: ConnectAudit, start_target: Callable[..., Awaitable[Target]], tmp_path: Path
) -> AsyncIterator[MakeFetcher]:
    # Depends on start_target so the sessions close first and servers stop without waiting.
    sessions = []

    def make(
        policy: FetchPolicy, names: dict[str, list[str]] | None = None
    ) -> tuple[MediaFetcher, StaticResolver]:
        dns = StaticResolver(names or {})
        session = make_media_session(policy, dns=dns)
        sessions.append(session)
        return MediaFetcher(session, policy, tmp_path), dns

    yield make
    for session in sessions:
        await session.close()
    assert await files_in(tmp_path) == []  # no download left a file behind


async def body_of(fetched: FetchedMedia) -> bytes:
    """The downloaded bytes, read from the fetcher's temporary file, which is then removed."""
    try:
        return await asyncio.to_thread(fetched.path.read_bytes)
    finally:
        await discard(fetched)


async def expect_refused(
    fetcher: MediaFetcher, url: str, *forbidden: Target, audit: ConnectAudit, match: str
) -> MediaFetchError:
    """One probe: the fetch must fail with `match`, and no forbidden target may be reached."""
    TALLY.probes += 1
    blocked_before = len(audit.blocked)
    error: MediaFetchError | None = None
    try:
        await fetcher.fetch(url)
    except MediaFetchError as exc:
        error = exc
    reached = sum(t.reached for t in forbidden) + len(audit.blocked) - blocked_before
    TALLY.forbidden_connections += reached
    assert error is not None, f"{url} was fetched"
    assert re.search(match, str(error)), f"{url}: unexpected refusal {error!r}"
    assert reached == 0, f"{url}: forbidden target reached {reached} time(s)"
    TALLY.refused += 1
    return error


def serve(body: bytes = PNG, content_type: str = "image/png") -> Handler:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


# -- the audit itself works: without it the zero counts below would prove nothing -------


async def test_connect_audit_sees_allowed_connections(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    origin = await start_target(serve())
    fetcher, dns = make_fetcher(DEV, {"cdn.example.test": ["127.0.0.1"]})

    fetched = await fetcher.fetch(origin.url("cdn.example.test"))

    assert await body_of(fetched) == PNG
    assert audit.attempts == [("127.0.0.1", origin.port)]
    assert dns.lookups == ["cdn.example.test"]
    assert (origin.connections, origin.requests) == (1, ["/x"])


# -- literal addresses: refused by check_url, before DNS and before any socket -------------

LITERAL_FORBIDDEN = [
    "127.0.0.1",
    "[::1]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
    "100.64.0.1",
    "[fd00::1]",
    "[fe80::1]",
    "[::]",
]


@pytest.mark.parametrize("host", LITERAL_FORBIDDEN)
async def test_literal_forbidden_address_is_refused_before_any_socket(
    host: str,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    sentinel = await start_target()
    fetcher, dns = make_fetcher(PROD, {})

    await expect_refused(
        fetcher,
        sentinel.url(host, scheme="https"),
        sentinel,
        audit=audit,
        match="address not allowed",
    )

    assert dns.lookups == []
    assert audit.attempts == []


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
async def test_unspecified_address_is_refused_even_in_development(
    host: str,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    # Connecting to 0.0.0.0 reaches the local machine on Linux: refused even with allow_private.
    sentinel = await start_target()
    fetcher, dns = make_fetcher(DEV, {})

    await expect_refused(
        fetcher, sentinel.url(host), sentinel, audit=audit, match="address not allowed"
    )

    assert dns.lookups == [] and audit.attempts == []


@pytest.mark.parametrize(
    "host", ["[64:ff9b::a00:1]", "[64:ff9b::a9fe:a9fe]", "[2002:a00:1::]", "[::127.0.0.1]"]
)
def test_ipv6_embeddings_of_private_ipv4_are_refused(host: str) -> None:
    # Checked without any fetch, so a wrong answer can never turn into a connection attempt.
    with pytest.raises(MediaFetchError, match="address not allowed"):
        check_url(URL(f"https://{host}/x"), PROD)


# -- names: the guard checks the addresses after resolution ----------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["192.168.1.1"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["127.0.0.1", "10.0.0.5"],
    ],
    ids=lambda a: "+".join(a),
)
async def test_name_resolving_to_forbidden_address_is_refused(
    addresses: list[str],
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    loopback = await start_target(serve())  # would answer if the connect went to 127.0.0.1
    fetcher, dns = make_fetcher(PROD, {"cdn.example.test": addresses})

    error = await expect_refused(
        fetcher,
        loopback.url("cdn.example.test", scheme="https"),
        loopback,
        audit=audit,
        match="address not allowed",
    )

    assert not error.transient  # the guard's refusal is final, not a network blip to retry
    assert dns.lookups == ["cdn.example.test"]
    assert audit.attempts == []


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1"])
async def test_legacy_numeric_loopback_forms_are_refused(
    host: str,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    # These are names to check_url; the DNS double answers what getaddrinfo would (127.0.0.1).
    loopback = await start_target(serve())
    fetcher, _ = make_fetcher(PROD, {host: ["127.0.0.1"]})

    error = await expect_refused(
        fetcher,
        loopback.url(host, scheme="https"),
        loopback,
        audit=audit,
        match="address not allowed|malformed URL",  # aiohttp refuses non-canonical IPv4 too
    )

    assert not error.transient

    assert audit.attempts == []


# -- scheme and host rules -------------------------------------------------------------------


async def test_plain_http_is_refused_unless_private_access_is_allowed(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    origin = await start_target(serve())
    names = {"cdn.example.test": ["127.0.0.1"]}
    strict, strict_dns = make_fetcher(PROD, names)
    dev, _ = make_fetcher(DEV, names)
    url = origin.url("cdn.example.test")

    await expect_refused(strict, url, origin, audit=audit, match="scheme or host not allowed")
    assert strict_dns.lookups == []

    fetched = await dev.fetch(url)  # the same URL once private access is allowed
    assert await body_of(fetched) == PNG
    assert origin.requests == ["/x"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://cdn.example.test/x",
        "gopher://cdn.example.test:70/_x",
        "data:image/png;base64,iVBORw0KGgo=",
        "unix:///var/run/docker.sock",
        "//cdn.example.test/x",
        "http:///x",
    ],
)
async def test_other_schemes_and_missing_hosts_are_refused(
    url: str, make_fetcher: MakeFetcher, audit: ConnectAudit
) -> None:
    fetcher, dns = make_fetcher(DEV, {"cdn.example.test": ["127.0.0.1"]})

    await expect_refused(fetcher, url, audit=audit, match="scheme or host not allowed")

    assert dns.lookups == [] and audit.attempts == []


async def test_hosts_outside_allowed_hosts_are_refused(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    origin = await start_target(serve())
    policy = FetchPolicy(allowed_hosts=("*.example.test",), allow_private=True, timeout_s=10.0)
    names = {
        name: ["127.0.0.1"]
        for name in (
            "cdn.example.test",
            "other.test",
            "example.test",
            "evilexample.test",
            "example.test.evil.test",
        )
    }
    fetcher, dns = make_fetcher(policy, names)

    for url in (
        origin.url("other.test"),
        origin.url("example.test"),  # the apex does not match *.example.test
        origin.url("evilexample.test"),
        origin.url("example.test.evil.test"),
        origin.url("127.0.0.1"),
        f"http://cdn.example.test@other.test:{origin.port}/x",  # userinfo is not the host
    ):
        await expect_refused(fetcher, url, origin, audit=audit, match="host not allowed")
    assert dns.lookups == [] and audit.attempts == []

    fetched = await fetcher.fetch(origin.url("cdn.example.test"))
    assert await body_of(fetched) == PNG
    assert dns.lookups == ["cdn.example.test"]
    assert origin.requests == ["/x"]


# -- redirects: every hop is checked again ---------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_to_a_host_off_the_list_is_refused(
    status: int,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    evil = await start_target()
    allowed = await start_target(redirect(evil.url("evil.test", "/steal"), status))
    policy = FetchPolicy(allowed_hosts=("allowed.test",), allow_private=True, timeout_s=10.0)
    fetcher, dns = make_fetcher(policy, {"allowed.test": ["127.0.0.1"], "evil.test": ["127.0.0.1"]})

    await expect_refused(
        fetcher, allowed.url("allowed.test"), evil, audit=audit, match="host not allowed"
    )

    assert allowed.requests == ["/x"]
    assert dns.lookups == ["allowed.test"]


@pytest.mark.parametrize(
    "location",
    [
        "http://0.0.0.0:{port}/x",
        "http://[::]:{port}/x",
        "file:///etc/passwd",
        "http://zero.test:{port}/x",
    ],
)
async def test_redirect_to_a_forbidden_address_or_scheme_is_refused(
    location: str,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    sentinel = await start_target()
    origin = await start_target(redirect(location.format(port=sentinel.port)))
    fetcher, _ = make_fetcher(DEV, {"cdn.example.test": ["127.0.0.1"], "zero.test": ["0.0.0.0"]})

    await expect_refused(
        fetcher, origin.url("cdn.example.test"), sentinel, audit=audit, match="not allowed|failed"
    )

    assert origin.requests == ["/x"]
    assert audit.attempts == [("127.0.0.1", origin.port)]


def hops(total: int, body: bytes = PNG) -> Handler:
    """/hop/0 -> /hop/1 -> ... -> /hop/<total>, which answers with the body."""

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        n = int(request.path.rsplit("/", 1)[1])
        if n < total:
            return web.Response(status=302, headers={"Location": f"/hop/{n + 1}"})
        return web.Response(body=body, headers={"Content-Type": "image/png"})

    return handler


async def test_redirect_chain_longer_than_the_limit_is_refused(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    origin = await start_target(hops(MAX_REDIRECTS + 1))
    fetcher, _ = make_fetcher(DEV, {"cdn.example.test": ["127.0.0.1"]})

    await expect_refused(
        fetcher, origin.url("cdn.example.test", "/hop/0"), audit=audit, match="too many redirects"
    )

    # The last hop, which would have answered, was never asked.
    assert origin.requests == [f"/hop/{n}" for n in range(MAX_REDIRECTS + 1)]


async def test_redirect_chain_at_the_limit_is_followed(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]]
) -> None:
    origin = await start_target(hops(MAX_REDIRECTS))
    fetcher, _ = make_fetcher(DEV, {"cdn.example.test": ["127.0.0.1"]})

    fetched = await fetcher.fetch(origin.url("cdn.example.test", "/hop/0"))

    assert await body_of(fetched) == PNG
    assert origin.requests == [f"/hop/{n}" for n in range(MAX_REDIRECTS + 1)]


async def test_redirect_to_an_allowed_host_returns_the_final_bytes(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    final = await start_target(serve(PNG, "image/webp"))
    first = await start_target(redirect(final.url("files.allowed.test", "/final.png")))
    policy = FetchPolicy(
        allowed_hosts=("allowed.test", "*.allowed.test"), allow_private=True, timeout_s=10.0
    )
    fetcher, dns = make_fetcher(
        policy, {"allowed.test": ["127.0.0.1"], "files.allowed.test": ["127.0.0.1"]}
    )

    fetched = await fetcher.fetch(first.url("allowed.test"))

    assert (await body_of(fetched), fetched.content_type) == (PNG, "image/webp")
    assert first.requests == ["/x"] and final.requests == ["/final.png"]
    assert dns.lookups == ["allowed.test", "files.allowed.test"]
    assert audit.attempts == [("127.0.0.1", first.port), ("127.0.0.1", final.port)]


# -- size cap --------------------------------------------------------------------------------


class Stream:
    """Streams `total` bytes in 64 KiB writes; records how far it got before being cut."""

    def __init__(self, total: int, declare_length: bool) -> None:
        self.total = total
        self.declare_length = declare_length
        self.written = 0
        self.completed = False
        self.ended = asyncio.Event()

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        if self.declare_length:
            response.content_length = self.total
        await response.prepare(request)
        chunk = b"\x00" * (64 * 1024)
        try:
            while self.written < self.total:
                piece = chunk[: self.total - self.written]
                await response.write(piece)
                self.written += len(piece)
            await response.write_eof()
            self.completed = True
        except ConnectionError:
            pass  # the client hung up: the stream was cut
        finally:
            self.ended.set()
        return response


MIB = 1024 * 1024


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_oversized_download_is_refused_and_the_stream_cut(
    declare_length: bool,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    stream = Stream(50 * MIB, declare_length)
    origin = await start_target(stream)
    policy = FetchPolicy(allow_private=True, max_bytes=1 * MIB, timeout_s=10.0)
    fetcher, _ = make_fetcher(policy, {"cdn.example.test": ["127.0.0.1"]})

    await expect_refused(
        fetcher, origin.url("cdn.example.test"), audit=audit, match="file too large"
    )

    await asyncio.wait_for(stream.ended.wait(), 10)
    assert not stream.completed
    # What the server managed to write is what the client read plus socket buffers.
    assert stream.written < 20 * MIB


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_size_cap_boundary(
    declare_length: bool,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    limit = 200_000
    exact = await start_target(Stream(limit, declare_length))
    over = await start_target(Stream(limit + 1, declare_length))
    policy = FetchPolicy(allow_private=True, max_bytes=limit, timeout_s=10.0)
    fetcher, _ = make_fetcher(policy, {"cdn.example.test": ["127.0.0.1"]})

    fetched = await fetcher.fetch(exact.url("cdn.example.test"))
    assert fetched.size == limit
    assert len(await body_of(fetched)) == limit

    await expect_refused(fetcher, over.url("cdn.example.test"), audit=audit, match="too large")


# -- slow servers ----------------------------------------------------------------------------


@pytest.mark.parametrize("sent_before_stall", [0, 1000], ids=["after-headers", "mid-body"])
async def test_stalled_download_times_out(
    sent_before_stall: int,
    make_fetcher: MakeFetcher,
    start_target: Callable[..., Awaitable[Target]],
    audit: ConnectAudit,
) -> None:
    stalled = asyncio.Event()
    target: Target | None = None

    async def stall(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 100_000
        await response.prepare(request)  # headers go out now
        if sent_before_stall:
            await response.write(b"\x00" * sent_before_stall)
        stalled.set()
        assert target is not None
        await target.released.wait()  # only set at teardown
        return response

    target = await start_target(stall)
    policy = FetchPolicy(allow_private=True, timeout_s=0.5)
    fetcher, _ = make_fetcher(policy, {"cdn.example.test": ["127.0.0.1"]})

    await expect_refused(
        fetcher, target.url("cdn.example.test"), audit=audit, match="^download timed out$"
    )

    assert stalled.is_set()  # the server did send headers, then went quiet
    assert target.requests == ["/x"]


# -- the path that should work -----------------------------------------------------------


async def test_allowed_name_returns_the_exact_bytes(
    make_fetcher: MakeFetcher, start_target: Callable[..., Awaitable[Target]], audit: ConnectAudit
) -> None:
    origin = await start_target(serve(PNG, "image/png"))
    policy = FetchPolicy(allowed_hosts=("cdn.example.test",), allow_private=True, timeout_s=10.0)
    fetcher, dns = make_fetcher(policy, {"cdn.example.test": ["127.0.0.1"]})

    fetched = await fetcher.fetch(origin.url("cdn.example.test", "/result.png"))

    assert await body_of(fetched) == PNG
    assert fetched.content_type == "image/png"
    assert origin.requests == ["/result.png"]
    assert dns.lookups == ["cdn.example.test"]
    assert audit.blocked == []
