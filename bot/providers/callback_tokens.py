"""Per-job tokens carried in callback URLs, so only the provider we told can report a result."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

TOKEN_HEX_CHARS = 32  # 128 bits


def callback_token(secret: bytes, provider: str, job_id: str) -> str:
    mac = hmac.new(secret, f"{provider}:{job_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:TOKEN_HEX_CHARS]


def verify_callback_token(secret: bytes, provider: str, job_id: str, token: str) -> bool:
    """Constant-time comparison of the full token."""
    expected = callback_token(secret, provider, job_id)
    return hmac.compare_digest(expected.encode(), token.encode())


def callback_url(base_url: str, route: str, secret: bytes, provider: str, job_id: str) -> str:
    query = urlencode({"job": job_id, "token": callback_token(secret, provider, job_id)})
    return f"{base_url.rstrip('/')}{route}?{query}"
