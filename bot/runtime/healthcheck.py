"""`python -m bot.runtime.healthcheck`: Docker's HEALTHCHECK; exit 0 when this machine's
Photobot answers `/healthz` with 200, else 1 with one line saying why.

It reads HTTP_HOST and HTTP_PORT from the environment (as the container has them) and nothing
else, so it starts fast and needs no other setting.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

DEFAULT_PORT = 8080  # Settings.http_port's default; tests/test_deploy_files.py keeps them equal
TIMEOUT_S = 4.0  # under the Dockerfile's --timeout=5s, so the line below is what Docker shows
EXIT_UNHEALTHY = 1
# Listening on every address: ask over loopback.
_ANY_ADDRESS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}


def health_url(env: Mapping[str, str]) -> str:
    """The /healthz URL of the server the environment describes; ValueError for a bad port."""
    port_text = env.get("HTTP_PORT") or str(DEFAULT_PORT)  # empty means unset, as in Settings
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError("HTTP_PORT is not a port number")
    host = env.get("HTTP_HOST", "").strip()
    host = _ANY_ADDRESS.get(host, host).strip("[]")
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{int(port_text)}/healthz"


def problem(url: str, timeout_s: float = TIMEOUT_S) -> str | None:
    """None when `url` answers 200; otherwise what went wrong, in a few words."""
    # No proxy: a container's HTTP_PROXY must not carry a loopback health check elsewhere.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url} unreachable ({reason})"
    return None if status == 200 else f"{url} answered {status}"


def main() -> None:
    try:
        reason = problem(health_url(os.environ))
    except ValueError as exc:
        reason = str(exc)
    if reason is not None:
        print(f"photobot unhealthy: {reason}", file=sys.stderr)
        raise SystemExit(EXIT_UNHEALTHY)


if __name__ == "__main__":
    main()
