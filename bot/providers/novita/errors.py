"""What Novita's HTTP statuses and error reasons mean for users and admins."""

from __future__ import annotations

from bot.errors import FailureKind, ProviderError

PROVIDER = "novita"
NETWORK = 0  # the code a ProviderError carries when Novita could not be reached
NO_BALANCE_REASON = "NOT_ENOUGH_BALANCE"
RATE_LIMIT_REASON = "RATE_LIMIT_EXCEEDED"
_BUSY_STATUSES = frozenset({NETWORK, 408, 429, 502, 503, 504})


def kind_for(status: int, reason: str = "") -> FailureKind:
    """Map an HTTP status (and the body's `reason`) to the failure kind people hear about."""
    if reason == NO_BALANCE_REASON:
        return FailureKind.NO_CREDITS
    if reason == RATE_LIMIT_REASON or status in _BUSY_STATUSES:
        return FailureKind.BUSY
    if status == 401:
        return FailureKind.MISCONFIGURED
    if status == 403:
        return FailureKind.NO_CREDITS
    if status in (400, 413, 422):
        return FailureKind.REJECTED
    return FailureKind.FAILED


def novita_error(
    status: int, message: str, reason: str = "", *, answer_lost: bool = False
) -> ProviderError:
    """A ProviderError for a Novita answer; rate limits, overloads and network errors may pass."""
    kind = kind_for(status, reason)
    retryable = kind is FailureKind.BUSY or status >= 500
    return ProviderError(
        PROVIDER, status, message, kind, retryable=retryable, answer_lost=answer_lost
    )
