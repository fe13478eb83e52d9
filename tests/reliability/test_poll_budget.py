"""Two replicas polling 200 jobs in flight share Kie's recordInfo budget: never more than its 10
requests in any sliding second at the emulator, every job polled, and a job created last gets
its first poll at once, not behind the backlog of jobs polled before."""

from __future__ import annotations

from contextlib import AsyncExitStack

from bot.bench.rows import busiest_window
from bot.sandbox.emulators.kie import KieEmulator, RecordedRequest
from bot.web.keys import METRICS
from tests.conftest import free_port
from tests.figures import record
from tests.harness import BotHarness, StartBot, eventually
from tests.reliability.test_replicas import WEBHOOK_SECRET, RoundRobin

KIE_LIMIT_PER_S = 10  # recordInfo, per API key (providers.md)
POLL_AFTER_S = 1.0  # each job's first poll is due this long after it starts


def status_queries(kie: KieEmulator) -> list[RecordedRequest]:
    return [r for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"]


def first_query_at(kie: KieEmulator, task_id: str) -> float | None:
    return next((r.at for r in status_queries(kie) if r.query.get("taskId") == task_id), None)


def deferred(replicas: list[BotHarness]) -> float:
    samples = (
        r.app[METRICS].registry.get_sample_value(
            "photobot_polls_deferred_total", {"provider": "kie"}
        )
        for r in replicas
    )
    return sum(s or 0.0 for s in samples)


async def test_two_replicas_poll_200_jobs_within_kies_limit(
    start_bot: StartBot, kie: KieEmulator
) -> None:
    balancer = RoundRobin(free_port())
    public = f"http://127.0.0.1:{balancer.port}"
    async with balancer.running(), AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            replica = await stack.enter_async_context(
                start_bot(
                    public_base_url=public,
                    telegram_webhook_secret=WEBHOOK_SECRET,
                    poll_after_seconds=POLL_AFTER_S,
                )
            )
            balancer.backends.append(f"http://127.0.0.1:{replica.settings.http_port}")
            replicas.append(replica)
        bot = replicas[0]

        # 200 jobs whose tasks never finish: on a 3 s cadence they ask for 67 polls a second.
        tasks = {t.task_id for t in (await bot.start_jobs(200)).values()}
        await eventually(lambda: tasks <= {r.query["taskId"] for r in status_queries(kie)}, 90)
        # Then one more job, while the 200 are still polled as often as the budget allows.
        bot.send_photo(bot.new_user(), caption="the newest job")
        newest = await bot.submitted_task(201)
        started = next(r.at for r in reversed(kie.requests) if r.path.endswith("/createTask"))
        first = await eventually(lambda: first_query_at(kie, newest.task_id), within=30)
        put_off = deferred(replicas)

    times = [r.at for r in status_queries(kie)]
    busiest = busiest_window(times, 1.0)
    late_s = first - started - POLL_AFTER_S  # after it came due (it came due a little sooner)
    backlog_s = 200 / 7  # what waiting behind every job polled before would take at 7/s
    assert busiest <= KIE_LIMIT_PER_S
    assert late_s < 1.0, f"the newest job's first poll came {late_s:.2f} s after it was due"
    assert put_off > 0  # the budget really was short
    mean_per_s = len(times) / (times[-1] - times[0])
    assert mean_per_s > 5.5  # and used, not idle (it paces at 7 a second)
    record(
        "two replicas, 200 jobs polled (Kie 10/s per key)",
        f"busiest second {busiest} recordInfo (mean {mean_per_s:.1f}/s); newest job's first "
        f"poll {late_s:.2f} s after due (backlog {backlog_s:.0f} s)",
        f"≤ {KIE_LIMIT_PER_S} in any second, first poll < 1 s",
    )
