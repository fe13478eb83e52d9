"""Download files from URLs a provider gave us, without letting them reach where they should not.

Only allowed hosts, https (unless private access is allowed for development), no loopback,
private or link-local address after DNS resolution, redirects re-checked hop by hop, a size cap
enforced while streaming, and a total time limit. Files stream to a temporary file. Every
failure comes out as a MediaFetchError that says whether trying again later could help.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.constants import RESULT_DOWNLOAD_TIMEOUT_S, RESULT_MAX_BYTES
from bot.errors import FileTooLarge, MediaFetchError, PermanentFetchError, TransientFetchError
from bot.media.check import check_head
from bot.media.kinds import MediaKind
from bot.media.sniff import SNIFF_BYTES, MediaInfo, sniff
from bot.media.spool import Spool

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Answers that say "not now" rather than "never".
_TRANSIENT_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    allowed_hosts: tuple[str, ...] = ("*",)
    allow_private: bool = False
    max_bytes: int = RESULT_MAX_BYTES
    timeout_s: float = RESULT_DOWNLOAD_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """A downloaded file on disk (never its bytes); the receiver deletes it with `discard`."""

    path: Path
    size: int
    info: MediaInfo | None  # sniffed from the first bytes; None when not recognised
    content_type: str  # as the server declared it; for logs only, the bytes decide


async def discard(media: FetchedMedia) -> None:
    await asyncio.to_thread(media.path.unlink, missing_ok=True)


def address_allowed(address: str, allow_private: bool) -> bool:
    """Public unicast addresses only, unless private ones are allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if allow_private:
        return not ip.is_multicast and not ip.is_unspecified
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return address_allowed(str(embedded), allow_private)
    return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address tunnels to (mapped, 6to4, NAT64, compatible)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """`*` allows any host; `*.example.com` allows subdomains; otherwise exact names."""
    host = host.lower().rstrip(".")
    return any(p == "*" or host == p or fnmatch.fnmatch(host, p) for p in patterns)


def check_url(url: URL, policy: FetchPolicy) -> None:
    """Refuse a URL by scheme, host name or literal address before connecting."""
    schemes = ("https", "http") if policy.allow_private else ("https",)
    if url.scheme not in schemes or not url.host:
        raise PermanentFetchError("scheme or host not allowed")
    if not host_allowed(url.host, policy.allowed_hosts):
        raise PermanentFetchError("host not allowed")
    try:
        ipaddress.ip_address(url.host)
    except ValueError:
        if not name_wellformed(url.host):
            raise PermanentFetchError("malformed URL") from None
        return
    if not address_allowed(url.host, policy.allow_private):
        raise PermanentFetchError("address not allowed")


_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def name_wellformed(host: str) -> bool:
    """A DNS name (IDNA allowed) with labels of 1-63 characters; told here, not by a resolver,
    so a malformed name is refused the same way whichever resolver is in use."""
    try:
        ascii_name = host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty label, or one over 63 characters
        return False
    return len(ascii_name) <= 253 and _HOST_NAME.fullmatch(ascii_name) is not None


class AddressRefused(OSError):
    """The guard refused every address a name resolved to (told apart from network errors)."""


class GuardedResolver(AbstractResolver):
    """Resolves names, then refuses the connection if any address is not allowed.

    The connection goes to the addresses checked here, so a DNS answer that changes between
    the check and the connect (rebinding) cannot slip through.
    """

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(address_allowed(r["host"], self._allow_private) for r in results):
            raise AddressRefused(f"address of {host} not allowed")
        return results

    async def close(self) -> None:
        await self._inner.close()


def make_media_session(
    policy: FetchPolicy, dns: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """A session whose every connection goes through the address guard."""
    resolver = GuardedResolver(policy.allow_private, dns)
    connector = aiohttp.TCPConnector(resolver=resolver, limit=50, use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, trust_env=False)


class MediaFetcher:
    """Streams a file to a temporary file under the policy's limits."""

    def __init__(
        self, session: aiohttp.ClientSession, policy: FetchPolicy, tmp_dir: Path | None = None
    ) -> None:
        self._session = session
        self.policy = policy
        self._tmp_dir = tmp_dir

    async def fetch(
        self, url: str, *, max_bytes: int | None = None, expect: MediaKind | None = None
    ) -> FetchedMedia:
        """Raises TransientFetchError or PermanentFetchError; never anything else it expects.
        `max_bytes` lowers the policy's size cap for this file; with `expect`, a file whose first
        bytes show it is not that kind is abandoned there (MediaMismatch), not read whole."""
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            raise PermanentFetchError("malformed URL") from exc
        limit = min(max_bytes or self.policy.max_bytes, self.policy.max_bytes)
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                return await self._follow(target, limit, expect)
        except TimeoutError as exc:
            raise TransientFetchError("download timed out") from exc

    async def _follow(self, url: URL, limit: int, expect: MediaKind | None) -> FetchedMedia:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, self.policy)
                async with self._session.get(url, allow_redirects=False) as response:
                    if response.status in _REDIRECTS:
                        url = URL(urljoin(str(url), response.headers.get("Location", "")))
                        continue
                    _raise_for_status(response.status)
                    return await self._save(response, limit, expect)
            except MediaFetchError:
                raise
            except aiohttp.InvalidURL as exc:  # a ValueError too, but never worth retrying
                raise PermanentFetchError("malformed URL") from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _network_error(exc) from exc
            except ValueError as exc:  # yarl, or IDNA refusing a host (a label over 63 chars)
                raise PermanentFetchError("malformed URL") from exc
        raise PermanentFetchError("too many redirects")

    async def _save(
        self, response: aiohttp.ClientResponse, limit: int, expect: MediaKind | None
    ) -> FetchedMedia:
        if response.content_length is not None and response.content_length > limit:
            raise FileTooLarge("file too large")
        spool = await Spool.create(self._tmp_dir, SNIFF_BYTES)
        settled = expect is None
        try:
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                if spool.size + len(chunk) > limit:
                    raise FileTooLarge("file too large")
                await spool.write(chunk)
                if expect is not None and not settled:
                    # Leaving here closes the connection: the rest is never read.
                    settled = check_head(spool.head, expect)
            path = await spool.finish()
        except BaseException:
            await spool.discard()
            raise
        declared = response.headers.get("Content-Type", "")
        return FetchedMedia(path, spool.size, sniff(spool.head), declared)


def _raise_for_status(status: int) -> None:
    if status == 200:
        return
    if status >= 500 or status in _TRANSIENT_STATUSES:
        raise TransientFetchError(f"download answered HTTP {status}")
    raise PermanentFetchError(f"download answered HTTP {status}")


def _network_error(exc: BaseException) -> MediaFetchError:
    """Connection trouble (refused, reset, too many open files) is worth another try; the
    guard's refusal, which aiohttp wraps like any other connect error, is not."""
    if _refused_by_guard(exc):
        return PermanentFetchError("address not allowed")
    return TransientFetchError(f"download failed: {type(exc).__name__}")


def _refused_by_guard(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain; the bound only guards against cycles
        if seen is None:
            return False
        if isinstance(seen, AddressRefused) or isinstance(
            getattr(seen, "os_error", None), AddressRefused
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def policy_from_settings(settings: Any) -> FetchPolicy:
    return FetchPolicy(
        allowed_hosts=tuple(settings.media_hosts),
        allow_private=bool(settings.media_allow_private),
    )
