"""Kie's optional callback signature: HMAC-SHA256 over the task id and a timestamp."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

HMAC_WINDOW_S = 300
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def kie_signature(key: bytes, task_id: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(taskId + "." + timestamp)); the body is not signed."""
    digest = hmac.new(key, f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hmac_valid(key: bytes, task_id: str, timestamp: str, signature: str, now: float) -> bool:
    """Signature over the task id and a timestamp within ±300 s, compared at full length."""
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > HMAC_WINDOW_S:
        return False
    expected = kie_signature(key, task_id, timestamp)
    return hmac.compare_digest(expected.encode(), signature.encode())
