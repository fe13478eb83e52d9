"""What Kie's codes mean (its body `code`, a task's `failCode`, or an HTTP status)."""

from __future__ import annotations

import re

from bot.errors import FailureKind, ProviderError

PROVIDER = "kie"


def kind_for_code(code: int) -> FailureKind:
    """Map a Kie code to the failure kind users and admins hear about."""
    if code == FEATURE_DISABLED:
        return FailureKind.WITHDRAWN
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


# How Kie words a content refusal it reports with another code (a failed task's failCode "500"
# with "Inappropriate content, please try another prompt.", as real callbacks carry): the
# message decides, since retrying or paying again would only meet the same refusal.
_REFUSAL_PHRASES = (
    "inappropriate",
    "content policy",
    "content moderation",
    "violates",
    "violation",
    "nsfw",
    "sensitive content",
    "prohibited content",
    "not allowed content",
)


# How Kie says it no longer serves a model: createTask answers code 422 with "The model is not
# supported" (other integrations log "model name not supported"), an unpublished model's page
# "The page does not exist or is not published"; 505 is "feature disabled". Read whatever the
# code, case-insensitively, before anything else: it is never a refusal of the user's content.
FEATURE_DISABLED = 505
_WITHDRAWN = re.compile(
    r"\bmodel\b[^.]{0,40}?\b(?:is\s+)?(?:not\s+supported|unsupported|not\s+exists?|does\s+not\s+"
    r"exist|doesn't\s+exist|not\s+found|not\s+available|unavailable|no\s+longer|been\s+removed|"
    r"offline|deprecated|disabled)"
    r"|\bunsupported\s+model\b|\bnot\s+published\b",
    re.IGNORECASE,
)


def withdrawn(code: int | None, message: str) -> bool:
    """Whether Kie's answer says the model is not (or no longer) offered."""
    return code == FEATURE_DISABLED or bool(_WITHDRAWN.search(message))


def refused_by_content(message: str) -> bool:
    """Whether a failure's message says the content was refused."""
    lowered = message.lower()
    return any(phrase in lowered for phrase in _REFUSAL_PHRASES)


def kie_error(code: int, message: str, *, answer_lost: bool = False) -> ProviderError:
    """A ProviderError for a Kie code; rate limits, outages and network errors may pass."""
    if withdrawn(code, message):
        return ProviderError(PROVIDER, code, message, FailureKind.WITHDRAWN, retryable=False)
    if refused_by_content(message):
        return ProviderError(PROVIDER, code, message, FailureKind.REJECTED, retryable=False)
    retryable = code == 429 or code >= 500 or code == 0
    return ProviderError(
        PROVIDER, code, message, kind_for_code(code), retryable=retryable, answer_lost=answer_lost
    )
