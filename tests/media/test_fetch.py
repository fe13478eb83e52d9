"""The fetcher streams results to temporary files and says which failures are worth a retry."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.errors import FileTooLarge, MediaFetchError, PermanentFetchError, TransientFetchError
from bot.media.fetch import FetchPolicy, MediaFetcher, discard, make_media_session
from bot.media.sniff import MediaInfo, MediaKind
from tests.harness import files_in
from tests.images import png
from tests.reliability.test_ssrf import StaticResolver
from tests.result_host import Answer, ResultHost, ok, status

DEV = FetchPolicy(allow_private=True, timeout_s=5.0)
NAMES = {"cdn.test": ["127.0.0.1"], "zero.test": ["0.0.0.0"]}


@pytest.fixture
async def host() -> AsyncIterator[ResultHost]:
    async with ResultHost() as server:
        yield server


@pytest.fixture
async def spool_dir(tmp_path: Path) -> AsyncIterator[Path]:
    yield tmp_path
    assert await files_in(tmp_path) == []  # no fetch, failed or not, left a file behind


@pytest.fixture
async def make_fetcher(spool_dir: Path) -> AsyncIterator[Callable[..., MediaFetcher]]:
    sessions = []

    def make(policy: FetchPolicy = DEV) -> MediaFetcher:
        session = make_media_session(policy, dns=StaticResolver(NAMES))
        sessions.append(session)
        return MediaFetcher(session, policy, spool_dir)

    yield make
    for session in sessions:
        await session.close()


@asynccontextmanager
async def serving(
    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    """A raw HTTP server on 127.0.0.1 answering with `handler`; yields its URL."""
    runner = web.ServerRunner(web.Server(handler, handler_cancellation=True))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/x.png"
    finally:
        await runner.cleanup()


async def refusal(fetcher: MediaFetcher, url: str) -> MediaFetchError:
    with pytest.raises(MediaFetchError) as refused:
        await fetcher.fetch(url)
    return refused.value


async def test_a_result_streams_to_a_file_with_its_media_sniffed(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher], spool_dir: Path
) -> None:
    body = png(640, 480, padding=3 * 1024 * 1024 + 5)  # several buffer flushes, not aligned
    url = host.route("/big.png", ok(body, "application/octet-stream"))

    media = await make_fetcher().fetch(url)

    assert media.path.parent == spool_dir
    assert await asyncio.to_thread(media.path.read_bytes) == body
    assert media.size == len(body)
    assert media.info == MediaInfo(MediaKind.IMAGE, "image/png", "png", 640, 480)
    assert media.content_type == "application/octet-stream"  # declared, not believed
    await discard(media)
    assert await files_in(spool_dir) == []


@pytest.mark.parametrize("code", [500, 502, 503, 504, 408, 429])
async def test_answers_that_mean_not_now_are_transient(
    code: int, host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    error = await refusal(make_fetcher(), host.route("/x.png", status(code)))

    assert isinstance(error, TransientFetchError) and error.transient
    assert str(error) == f"download answered HTTP {code}"


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 451, 204])
async def test_answers_that_mean_never_are_permanent(
    code: int, host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    error = await refusal(make_fetcher(), host.route("/x.png", Answer(code, b"", "text/plain")))

    assert isinstance(error, PermanentFetchError) and not error.transient
    assert host.statuses("/x.png") == [code]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1\\evil.example/x.png",
        "http://127.0.0.1:99999/x.png",
        "http://[::1/x.png",
        f"http://{'a' * 300}.example/x.png",
        "http://exa mple.test/x.png",
        "",
    ],
    ids=["backslash", "port-99999", "unclosed-bracket", "300-char-label", "space", "empty"],
)
async def test_a_malformed_url_is_permanent_and_nothing_else_escapes(
    url: str, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    error = await refusal(make_fetcher(), url)

    assert isinstance(error, PermanentFetchError)
    assert str(error) in ("malformed URL", "scheme or host not allowed")


async def test_a_redirect_to_a_malformed_location_is_permanent(
    make_fetcher: Callable[..., MediaFetcher],
) -> None:
    async def moved(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "http://[::1/x.png"})

    async with serving(moved) as url:
        error = await refusal(make_fetcher(), url)

    assert isinstance(error, PermanentFetchError) and str(error) == "malformed URL"


async def test_a_connection_refused_is_transient(
    make_fetcher: Callable[..., MediaFetcher],
) -> None:
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    error = await refusal(make_fetcher(), f"http://127.0.0.1:{port}/x.png")

    assert isinstance(error, TransientFetchError)
    assert "ClientConnectorError" in str(error)


async def test_the_guards_refusal_after_dns_is_permanent(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    url = host.route("/x.png", ok(png())).replace("127.0.0.1", "zero.test")

    error = await refusal(make_fetcher(), url)

    assert isinstance(error, PermanentFetchError) and str(error) == "address not allowed"
    assert host.served == []


async def test_too_many_open_files_is_transient(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OS edge: every connect this loop makes fails the way a process out of descriptors
    # fails.
    loop = asyncio.get_running_loop()
    attempts: list[Any] = []

    async def out_of_descriptors(sock: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(loop, "sock_connect", out_of_descriptors)

    error = await refusal(make_fetcher(), host.route("/x.png", ok(png())))

    assert isinstance(error, TransientFetchError)
    assert attempts  # the staged failure really happened
    assert host.served == []


async def test_a_connection_cut_mid_body_is_transient(
    make_fetcher: Callable[..., MediaFetcher],
) -> None:
    async def cut(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 5 * 1024 * 1024
        await response.prepare(request)
        await response.write(png(8, 8) + bytes(2 * 1024 * 1024))  # past the first flush
        assert request.transport is not None
        request.transport.close()
        return response

    async with serving(cut) as url:
        error = await refusal(make_fetcher(), url)

    assert isinstance(error, TransientFetchError)


async def test_a_stalled_download_is_transient(
    make_fetcher: Callable[..., MediaFetcher],
) -> None:
    release = asyncio.Event()

    async def stall(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 100_000
        await response.prepare(request)
        await response.write(png(8, 8))
        await release.wait()
        return response

    fetcher = make_fetcher(FetchPolicy(allow_private=True, timeout_s=0.3))
    async with serving(stall) as url:
        try:
            error = await refusal(fetcher, url)
        finally:
            release.set()

    assert isinstance(error, TransientFetchError) and str(error) == "download timed out"


async def test_too_big_is_permanent(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    fetcher = make_fetcher(FetchPolicy(allow_private=True, max_bytes=1000, timeout_s=5.0))

    error = await refusal(fetcher, host.route("/x.png", ok(png(padding=2000))))

    assert isinstance(error, PermanentFetchError) and str(error) == "file too large"


async def test_too_big_says_so_whether_declared_or_streamed(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    fetcher = make_fetcher(FetchPolicy(allow_private=True, max_bytes=1000, timeout_s=5.0))
    declared = host.route("/declared.png", ok(png(padding=2000)))

    async def streamed(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to refuse up front
        await response.prepare(request)
        await response.write(png(padding=2000))
        return response

    async with serving(streamed) as chunked:
        for url in (declared, chunked):
            with pytest.raises(FileTooLarge, match="file too large"):
                await fetcher.fetch(url)


async def test_a_caller_may_lower_the_size_cap_for_one_file(
    host: ResultHost, make_fetcher: Callable[..., MediaFetcher]
) -> None:
    fetcher = make_fetcher(FetchPolicy(allow_private=True, max_bytes=10_000, timeout_s=5.0))
    small = host.route("/small.png", ok(png(padding=2000)))
    big = host.route("/big.png", ok(png(padding=20_000)))

    with pytest.raises(PermanentFetchError, match="file too large"):
        await fetcher.fetch(small, max_bytes=1000)
    with pytest.raises(PermanentFetchError, match="file too large"):
        await fetcher.fetch(big, max_bytes=50_000)  # never above the policy's own cap
    media = await fetcher.fetch(small, max_bytes=5000)
    await discard(media)

    assert 2000 < media.size <= 5000
    assert host.statuses("/small.png") == [200, 200]
