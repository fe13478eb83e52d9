"""When a delivery whose downloads keep failing tries again, and when it stops trying."""

from __future__ import annotations

from dataclasses import dataclass

from bot import constants as k
from bot.errors import TransientFetchError
from bot.jobs.record import Job
from bot.loops import retrying
from bot.media.fetch import FetchedMedia, MediaFetcher
from bot.media.kinds import MediaKind


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The numbers behind result retries (see constants.py for why these)."""

    quick_delays_s: tuple[float, ...] = k.RESULT_QUICK_RETRY_DELAYS_S
    quick_budget_s: float = k.RESULT_QUICK_RETRY_BUDGET_S
    first_s: float = k.RESULT_RETRY_FIRST_S
    max_s: float = k.RESULT_RETRY_MAX_S
    min_window_s: float = k.RESULT_RETRY_MIN_WINDOW_S
    max_crashes: int = k.DELIVERY_MAX_CRASHES

    def delay_s(self, attempts: int) -> float:
        """Seconds before the next attempt, after `attempts` earlier ones: doubling, capped."""
        return min(self.first_s * 2.0 ** min(attempts, 32), self.max_s)

    def deadline(self, job: Job) -> float:
        """Past this, downloads that may still work are given up on and reported."""
        arrived = job.completed_at or job.created_at
        return max(job.created_at + k.JOB_DEADLINE_S, arrived + self.min_window_s)


async def fetch_with_retries(
    fetcher: MediaFetcher, url: str, policy: RetryPolicy, expect: MediaKind | None = None
) -> FetchedMedia:
    """Fetch, trying again quickly after a transient failure that failed fast; a file that
    starts as something other than `expect` is abandoned at once, and never tried again."""
    return await retrying(
        lambda: fetcher.fetch(url, expect=expect),
        retry_if=lambda exc: isinstance(exc, TransientFetchError),
        delays=policy.quick_delays_s,
        within_s=policy.quick_budget_s,
        what="result download",
    )
