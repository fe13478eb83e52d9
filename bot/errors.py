"""Photobot's exceptions, one tree.

PhotobotError
├── InputRejected        the user's photo or prompt cannot be used (message key for texts)
├── ProviderError        a provider said no or could not be reached; carries its code and reason
├── StorageError         the object store failed
├── LeaseLost            a delivery found its job's lease taken over; it stops and leaves it
├── MediaFetchError      a result file could not be used; `transient` says if a retry may help
│   ├── TransientFetchError   5xx, 408, 429, timeouts, connection errors, too many open files
│   └── PermanentFetchError   malformed URL, refused by the guard, other 4xx, too big
│       ├── FileTooLarge      the file is over the size cap (declared, or while streaming)
│       └── MediaMismatch     the file is not what the job produces (HTML for an image, a bomb)
└── StartupError         start-up cannot go on; the message is one plain line, safe to print
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models.limits import Problem


class PhotobotError(Exception):
    """Base of every error Photobot raises on purpose."""


class InputRejected(PhotobotError):
    """The user's input is unusable; `reason` is an InputProblem value, and `problem` (a
    bot.models.limits.Problem) says which model limit it breaks. `tell` is False when the user
    already heard this answer recently (a flood of refusals)."""

    def __init__(self, reason: str, *, tell: bool = True, problem: Problem | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tell = tell
        self.problem = problem


class NotEnoughCredits(InputRejected):
    """The job costs more credits than the user has (they are told the price and /buy)."""

    def __init__(self, price: int, balance: int, *, tell: bool = True) -> None:
        super().__init__("no_credits", tell=tell)
        self.price = price
        self.balance = balance


class PriceToConfirm(PhotobotError):
    """The job costs more than an image: the user confirms its price before it starts."""

    def __init__(self, price: int, balance: int) -> None:
        super().__init__(f"price {price} to confirm")
        self.price = price
        self.balance = balance


class FailureKind(StrEnum):
    """Why a job failed, as the user and the admins need to hear it."""

    MISCONFIGURED = "misconfigured"  # bad API key: operator problem
    NO_CREDITS = "no_credits"
    REJECTED = "rejected"  # validation or content policy: the reason is shown
    BUSY = "busy"  # rate limit, overload, network trouble
    MAINTENANCE = "maintenance"
    FAILED = "failed"  # the generation itself failed
    TIMEOUT = "timeout"  # no result before the deadline
    INPUT = "input"  # the photo turned out unusable after download
    DELIVERY = "delivery"  # the result could not be fetched
    BAD_RESULT = "bad_result"  # the result was not what the job produces
    WITHDRAWN = "withdrawn"  # the provider no longer offers the model: another may serve


class ProviderError(PhotobotError):
    """A provider refused a request or could not be reached; the provider says what kind of
    failure it is and whether trying again may help."""

    def __init__(
        self,
        provider: str,
        code: int,
        message: str,
        kind: FailureKind = FailureKind.FAILED,
        *,
        retryable: bool = False,
        answer_lost: bool = False,
    ) -> None:
        super().__init__(f"{provider} error {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message
        self.kind = kind
        # A submit whose answer never came may have started a task: never sent again, nor to
        # another provider, so a user is never charged twice.
        self.answer_lost = answer_lost
        self.retryable = retryable and not answer_lost


class StorageError(PhotobotError):
    """Storing or signing an object failed."""


class LeaseLost(PhotobotError):
    """This process no longer holds the job's delivery lease; another one carries on."""


class MediaFetchError(PhotobotError):
    """A result URL was refused, its download failed, or the file is unusable."""

    transient = False


class TransientFetchError(MediaFetchError):
    """The download failed in a way that trying again later may fix."""

    transient = True


class PermanentFetchError(MediaFetchError):
    """The URL or the file can never be delivered; retrying would not help."""


class FileTooLarge(PermanentFetchError):
    """The file is bigger than the download may be: refused before or while it streams."""


class MediaMismatch(PermanentFetchError):
    """The file downloaded, but it is not the kind of result the job produces."""


class StartupError(PhotobotError):
    """A start-up check failed; the message names the problem and never carries a secret."""
