"""Refused requests are counted and summarised, not logged one line each."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.sandbox.emulators.kie import KieEmulator
from bot.web.keys import REFUSALS
from bot.web.refusals import RefusalLog
from tests.harness import StartBot
from tests.reliability.test_exactly_once import bounded, finish_all

WHAT = "kie callback"
HMAC_KEY = "kie-hmac-test-key"
EACH = 100


class FakeTimers:
    """A clock the test moves, and timers that fire when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.due: list[tuple[float, Callable[[], None]]] = []

    def clock(self) -> float:
        return self.now

    def schedule(self, delay_s: float, callback: Callable[[], None]) -> FakeTimers:
        self.due.append((self.now + delay_s, callback))
        return self

    def cancel(self) -> None:
        self.due.clear()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        ready = [c for at, c in self.due if at <= self.now]
        self.due = [(at, c) for at, c in self.due if at > self.now]
        for callback in ready:
            callback()


@pytest.fixture
def timers() -> FakeTimers:
    return FakeTimers()


def _log(timers: FakeTimers) -> RefusalLog:
    logger = logging.getLogger("tests.refusals")
    return RefusalLog(logger, clock=timers.clock, schedule=timers.schedule)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tests.refusals"]


def test_first_refusal_is_logged_at_once_and_the_rest_once_a_window(
    timers: FakeTimers, caplog: pytest.LogCaptureFixture
) -> None:
    refusals = _log(timers)
    refusals.refused(WHAT, "wrong token")
    for _ in range(997):
        timers.advance(1 / 32)  # binary fractions: the clock adds up exactly
        refusals.refused(WHAT, "wrong token")
    assert _lines(caplog) == ["refused a kie callback: wrong token"]

    timers.advance(60 - 997 / 32 - 1 / 8)
    assert len(_lines(caplog)) == 1  # the window is not over yet
    timers.advance(1 / 8)

    assert _lines(caplog)[1:] == ["refused 997 more kie callbacks in the last 60 s: wrong token"]
    assert refusals.counts[(WHAT, "wrong token")] == 998


def test_reasons_have_their_own_windows_and_a_new_window_logs_at_once(
    timers: FakeTimers, caplog: pytest.LogCaptureFixture
) -> None:
    refusals = _log(timers)
    refusals.refused(WHAT, "wrong token")
    refusals.refused(WHAT, "missing token")
    refusals.refused(WHAT, "missing token")
    timers.advance(60)
    refusals.refused(WHAT, "wrong token")  # a lone refusal's window ended unseen
    refusals.refused(WHAT, "missing token")

    assert _lines(caplog) == [
        "refused a kie callback: wrong token",
        "refused a kie callback: missing token",
        "refused 1 more kie callbacks in the last 60 s: missing token",
        "refused a kie callback: wrong token",
        "refused a kie callback: missing token",
    ]


def test_flush_summarises_open_windows(
    timers: FakeTimers, caplog: pytest.LogCaptureFixture
) -> None:
    refusals = _log(timers)
    for _ in range(3):
        refusals.refused(WHAT, "bad signature")
    timers.advance(12)
    refusals.flush()

    assert _lines(caplog)[-1] == "refused 2 more kie callbacks in the last 12 s: bad signature"
    assert timers.due == []


async def test_a_flood_of_forged_callbacks_writes_a_few_lines_with_the_right_counts(
    start_bot: StartBot, kie: KieEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with start_bot(kie_webhook_hmac_key=HMAC_KEY) as bot:
        jobs = await bot.start_jobs(2)
        task_a, task_b = jobs.values()
        finish_all(kie, jobs.values())
        query_a = urlsplit(task_a.callback_url).query
        job_a = parse_qs(query_a)["job"][0]
        body_a, body_b = kie.callback_body(task_a.task_id), kie.callback_body(task_b.task_id)
        signed_b = kie.sign_webhook(task_b.task_id, HMAC_KEY)
        forgeries = {  # reason: (query, body, headers, expected status)
            "missing token": (f"job={job_a}", body_a, {}, 401),
            "wrong token": (f"job={job_a}&token={secrets.token_hex(16)}", body_a, {}, 403),
            "bad signature": (query_a, body_a, {"X-Webhook-Signature": "AAAA"}, 401),
            "another job's task": (query_a, body_b, signed_b, 403),
            "malformed body": (query_a, b"{not json", {}, 400),
        }
        caplog.clear()

        answers = await bounded(
            lambda f=f: bot.post_callback(f[0], f[1], headers=f[2])
            for f in forgeries.values()
            for _ in range(EACH)
        )
        statuses = [status for status, _ in answers]
        flood_lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        counts = dict(bot.app[REFUSALS].counts)

    assert statuses == [f[3] for f in forgeries.values() for _ in range(EACH)]
    assert len(flood_lines) <= len(forgeries)  # one per reason, not one per request
    assert counts == {(WHAT, reason): EACH for reason in forgeries}
    summaries = {
        r.getMessage().rsplit(": ", 1)[1]: r.getMessage()
        for r in caplog.records  # written when the bot stopped
        if " more kie callbacks " in r.getMessage()
    }
    assert set(summaries) == set(forgeries)
    assert all(line.startswith(f"refused {EACH - 1} more ") for line in summaries.values())
