"""Download files from URLs a provider gave us, without letting them reach where they should not.

Only allowed hosts, https (unless private access is allowed for development), no loopback,
private or link-local address after DNS resolution, redirects re-checked hop by hop, a size cap
enforced while streaming, and a total time limit.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.errors import MediaFetchError

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    allowed_hosts: tuple[str, ...] = ("*",)
    allow_private: bool = False
    max_bytes: int = 50 * 1024 * 1024
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    data: bytes
    content_type: str


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
        raise MediaFetchError("scheme or host not allowed")
    if not host_allowed(url.host, policy.allowed_hosts):
        raise MediaFetchError("host not allowed")
    try:
        ipaddress.ip_address(url.host)
    except ValueError:
        return
    if not address_allowed(url.host, policy.allow_private):
        raise MediaFetchError("address not allowed")


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
            raise OSError(f"address of {host} not allowed")
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
    """Streams a file into memory under the policy's limits."""

    def __init__(self, session: aiohttp.ClientSession, policy: FetchPolicy) -> None:
        self._session = session
        self.policy = policy

    async def fetch(self, url: str) -> FetchedMedia:
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                return await self._follow(URL(url))
        except TimeoutError as exc:
            raise MediaFetchError("download timed out") from exc

    async def _follow(self, url: URL) -> FetchedMedia:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, self.policy)
            try:
                async with self._session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        url = URL(urljoin(str(url), response.headers.get("Location", "")))
                        continue
                    if response.status != 200:
                        raise MediaFetchError(f"download answered HTTP {response.status}")
                    return await self._read(response)
            except (aiohttp.ClientError, OSError) as exc:
                raise MediaFetchError(f"download failed: {type(exc).__name__}") from exc
        raise MediaFetchError("too many redirects")

    async def _read(self, response: aiohttp.ClientResponse) -> FetchedMedia:
        limit = self.policy.max_bytes
        if response.content_length is not None and response.content_length > limit:
            raise MediaFetchError("file too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise MediaFetchError("file too large")
            chunks.append(chunk)
        return FetchedMedia(b"".join(chunks), response.headers.get("Content-Type", ""))


def policy_from_settings(settings: Any) -> FetchPolicy:
    return FetchPolicy(
        allowed_hosts=tuple(settings.media_hosts),
        allow_private=bool(settings.media_allow_private),
    )
