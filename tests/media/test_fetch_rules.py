"""The URL / address rules that guard result downloads."""

from __future__ import annotations

import pytest
from yarl import URL

from bot.errors import MediaFetchError
from bot.media.fetch import FetchPolicy, address_allowed, check_url, host_allowed

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "100.64.0.1",
    "fc00::1",
    "fe80::1%eth0",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_refused(address: str) -> None:
    assert address_allowed(address, allow_private=False) is False


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_allowed(address: str) -> None:
    assert address_allowed(address, allow_private=False) is True


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.0.0.1", True),
        ("192.168.1.1", True),
        ("8.8.8.8", True),
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
    ],
)
def test_allow_private_still_refuses_multicast_and_unspecified(address: str, allowed: bool) -> None:
    assert address_allowed(address, allow_private=True) is allowed


@pytest.mark.parametrize("address", ["", "localhost", "example.com", "256.1.1.1", "1.2.3"])
@pytest.mark.parametrize("allow_private", [False, True])
def test_non_addresses_refused(address: str, allow_private: bool) -> None:
    assert address_allowed(address, allow_private) is False


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        ("anything.example", ("*",), True),
        ("cdn.example.com", ("cdn.example.com",), True),
        ("cdn.example.com", ("example.com",), False),
        ("evilcdn.example.com", ("cdn.example.com",), False),
        ("a.example.com", ("*.example.com",), True),
        ("a.b.example.com", ("*.example.com",), True),
        ("example.com", ("*.example.com",), False),
        ("example.com.evil.net", ("*.example.com",), False),
        ("evilexample.com", ("*.example.com",), False),
        ("CDN.Example.COM", ("cdn.example.com",), True),
        ("cdn.example.com.", ("cdn.example.com",), True),
        ("A.EXAMPLE.COM.", ("*.example.com",), True),
        ("x.other.org", ("cdn.example.com", "*.other.org"), True),
        ("x.other.org", (), False),
    ],
)
def test_host_allowed(host: str, patterns: tuple[str, ...], allowed: bool) -> None:
    assert host_allowed(host, patterns) is allowed


PUBLIC = FetchPolicy()
DEV = FetchPolicy(allow_private=True)
ONLY_CDN = FetchPolicy(allowed_hosts=("*.aiquickdraw.com", "files.example.com"))


@pytest.mark.parametrize(
    ("url", "policy"),
    [
        ("https://tempfile.aiquickdraw.com/r/a.png", PUBLIC),
        ("https://8.8.8.8/a.png", PUBLIC),
        ("https://tempfile.aiquickdraw.com/r/a.png", ONLY_CDN),
        ("https://FILES.EXAMPLE.COM./a.png", ONLY_CDN),
        ("http://127.0.0.1:9000/a.png", DEV),
        ("http://localhost:9000/a.png", DEV),
        ("https://[::1]/a.png", DEV),
    ],
    ids=[
        "https-name", "https-public-ip", "allowed-subdomain", "uppercase-trailing-dot",
        "dev-http-loopback", "dev-http-name", "dev-ipv6-loopback",
    ],
)  # fmt: skip
def test_check_url_accepts(url: str, policy: FetchPolicy) -> None:
    check_url(URL(url), policy)  # does not raise


@pytest.mark.parametrize(
    ("url", "policy", "reason"),
    [
        ("http://tempfile.aiquickdraw.com/a.png", PUBLIC, "scheme"),
        ("ftp://tempfile.aiquickdraw.com/a.png", DEV, "scheme"),
        ("file:///etc/passwd", DEV, "scheme"),
        ("/relative/a.png", PUBLIC, "scheme"),
        ("https://127.0.0.1/a.png", PUBLIC, "address"),
        ("https://[::1]/a.png", PUBLIC, "address"),
        ("https://10.1.2.3/a.png", PUBLIC, "address"),
        ("https://172.16.0.5/a.png", PUBLIC, "address"),
        ("https://192.168.0.10/a.png", PUBLIC, "address"),
        ("https://169.254.169.254/latest/meta-data/", PUBLIC, "address"),
        ("https://0.0.0.0/a.png", PUBLIC, "address"),
        ("https://[::ffff:127.0.0.1]/a.png", PUBLIC, "address"),
        ("https://224.0.0.1/a.png", PUBLIC, "address"),
        ("https://0.0.0.0/a.png", DEV, "address"),
        ("https://224.0.0.1/a.png", DEV, "address"),
        ("https://evil.example.net/a.png", ONLY_CDN, "host"),
        ("https://aiquickdraw.com/a.png", ONLY_CDN, "host"),
        ("https://8.8.8.8/a.png", ONLY_CDN, "host"),
    ],
    ids=[
        "http-without-dev", "ftp", "file", "no-host", "loopback-v4", "loopback-v6", "10-x",
        "172-16-x", "192-168-x", "metadata", "unspecified", "v4-mapped-loopback", "multicast",
        "dev-unspecified", "dev-multicast", "host-not-listed", "bare-domain-vs-wildcard",
        "ip-not-listed",
    ],
)  # fmt: skip
def test_check_url_refuses(url: str, policy: FetchPolicy, reason: str) -> None:
    with pytest.raises(MediaFetchError, match=reason):
        check_url(URL(url), policy)
