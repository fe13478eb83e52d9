"""The retry rule: quick tries for a blip, then backoff until the job's deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import constants as k
from bot.errors import PermanentFetchError, TransientFetchError
from bot.jobs.deliver.retry import RetryPolicy, fetch_with_retries
from bot.jobs.record import Job
from bot.media.fetch import FetchPolicy, MediaFetcher, discard, make_media_session
from tests.images import png
from tests.result_host import ResultHost, ok, status

QUICK = RetryPolicy(quick_delays_s=(0.01, 0.02, 0.04))


def test_backoff_doubles_from_five_seconds_to_a_minute() -> None:
    policy = RetryPolicy()

    assert [policy.delay_s(n) for n in range(7)] == [5, 10, 20, 40, 60, 60, 60]
    assert policy.delay_s(10_000) == 60  # no overflow on absurd counts


@pytest.mark.parametrize(
    ("created_ago_s", "completed_ago_s", "deadline_in_s"),
    [
        (60, 30, k.JOB_DEADLINE_S - 60),  # early result: the job's own deadline
        (k.JOB_DEADLINE_S - 10, 0, k.RESULT_RETRY_MIN_WINDOW_S),  # late result: a few minutes
        (2 * k.JOB_DEADLINE_S, 0, k.RESULT_RETRY_MIN_WINDOW_S),  # result after the deadline
    ],
    ids=["early-result", "result-near-deadline", "result-past-deadline"],
)
def test_the_retry_deadline(
    created_ago_s: float, completed_ago_s: float, deadline_in_s: float
) -> None:
    now = 1_700_000_000.0
    job = Job(
        "j", 1, 1, "p", "m", created_at=now - created_ago_s, completed_at=now - completed_ago_s
    )

    assert RetryPolicy().deadline(job) == pytest.approx(now + deadline_in_s)


def test_an_old_record_without_a_completion_time_counts_from_creation() -> None:
    job = Job("j", 1, 1, "p", "m", created_at=1000.0, completed_at=None)

    assert RetryPolicy().deadline(job) == 1000.0 + k.JOB_DEADLINE_S


@pytest.fixture
async def fetcher(tmp_path: Path) -> AsyncIterator[MediaFetcher]:
    policy = FetchPolicy(allow_private=True, timeout_s=5.0)
    async with make_media_session(policy) as session:
        yield MediaFetcher(session, policy, tmp_path)


@pytest.fixture
async def host() -> AsyncIterator[ResultHost]:
    async with ResultHost() as server:
        yield server


async def test_a_blip_is_ridden_out_by_quick_retries(
    fetcher: MediaFetcher, host: ResultHost
) -> None:
    url = host.route("/x.png", status(503), status(502), ok(png()))

    media = await fetch_with_retries(fetcher, url, QUICK)
    await discard(media)

    assert host.statuses("/x.png") == [503, 502, 200]


async def test_quick_retries_end_and_the_transient_failure_comes_out(
    fetcher: MediaFetcher, host: ResultHost
) -> None:
    url = host.route("/x.png", status(503))

    with pytest.raises(TransientFetchError):
        await fetch_with_retries(fetcher, url, QUICK)

    assert host.statuses("/x.png") == [503] * 4  # the first try and three quick ones


async def test_a_permanent_failure_is_not_retried(fetcher: MediaFetcher, host: ResultHost) -> None:
    url = host.route("/x.png", status(404))

    with pytest.raises(PermanentFetchError):
        await fetch_with_retries(fetcher, url, QUICK)

    assert host.statuses("/x.png") == [404]


async def test_no_quick_retry_once_the_budget_is_spent(
    fetcher: MediaFetcher, host: ResultHost
) -> None:
    # A try that took longer than the budget (as a timeout does) goes straight to the backoff.
    url = host.route("/x.png", status(503))

    with pytest.raises(TransientFetchError):
        await fetch_with_retries(fetcher, url, RetryPolicy(quick_budget_s=0.0))

    assert host.statuses("/x.png") == [503]
