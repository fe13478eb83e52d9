"""What Kie's codes mean (its body `code`, a task's `failCode`, or an HTTP status)."""

from __future__ import annotations

from bot.errors import FailureKind, ProviderError

PROVIDER = "kie"


def kind_for_code(code: int) -> FailureKind:
    """Map a Kie code to the failure kind users and admins hear about."""
    if code in (401, 403):
        return FailureKind.MISCONFIGURED
    if code == 402:
        return FailureKind.NO_CREDITS
    if code in (400, 413, 422):
        return FailureKind.REJECTED
    if code in (0, 408, 429, 502, 503, 504):
        return FailureKind.BUSY
    if code == 455:
        return FailureKind.MAINTENANCE
    return FailureKind.FAILED


def kie_error(code: int, message: str, *, answer_lost: bool = False) -> ProviderError:
    """A ProviderError for a Kie code; rate limits, outages and network errors may pass."""
    retryable = code == 429 or code >= 500 or code == 0
    return ProviderError(
        PROVIDER, code, message, kind_for_code(code), retryable=retryable, answer_lost=answer_lost
    )
