"""Row 8: polling mode against callback mode. The same jobs, made through the real intake,
finish at the emulator at a steady pace; measured: the delay from a task finishing to its
result reaching the chat, and the provider requests each job cost (uploads, submits, polls)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app.graph import POLLING_TICK_S
from bot.bench.loadgen import percentile
from bot.bench.rig import Rig, wait_until
from bot.models import REGISTRY
from bot.sandbox.emulators.kie import KieTask

# Tasks finish over this long, one after another: a job waits from 0 s to this at Kie, so
# polling meets fresh and older jobs alike (the cadence slows down after 30 s).
FINISH_SPREAD_S = 20.0
# An empty setting counts as unset: polling mode is the rig's bot without these.
POLLING_ENV = {
    "PUBLIC_BASE_URL": "",
    "R2_ENDPOINT_URL": "",
    "R2_ACCESS_KEY_ID": "",
    "R2_SECRET_ACCESS_KEY": "",
    "R2_BUCKET": "",
}
MODEL = "nano-banana-pro"  # what a captioned photo makes
PROVIDER_PATHS = (
    "/api/file-stream-upload",
    "/api/v1/jobs/createTask",
    "/api/v1/jobs/recordInfo",
)


async def polling_vs_callbacks(rig: Rig, jobs: int) -> dict[str, Any]:
    """Both modes, one after the other, each on a fresh bot."""
    env = {**POLLING_ENV, "KIE_UPLOAD_BASE_URL": rig.kie.url}
    polled = await _one_mode(rig, jobs, env, callbacks=False, first_chat=500_000)
    called = await _one_mode(rig, jobs, {}, callbacks=True, first_chat=600_000)
    return {
        "jobs": jobs,
        "finish_spread_s": FINISH_SPREAD_S,
        "polling": polled,
        "callbacks": called,
    }


async def _one_mode(
    rig: Rig, jobs: int, env: dict[str, str], *, callbacks: bool, first_chat: int
) -> dict[str, Any]:
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9"
    async with rig.running_bots(1, None, **env):
        requests_before = len(rig.kie.requests)
        tasks = await _start_jobs(rig, jobs, photo, first_chat)
        sent_before = len(rig.telegram.calls)
        finished, ages = await _finish_paced(rig, tasks, callbacks)
        chats = set(finished)
        await wait_until(_all_sent(rig, chats, sent_before), 300, "polling-mode deliveries")
        arrived = {
            int(c.params["chat_id"]): c.at
            for c in rig.telegram.calls[sent_before:]
            if c.method == "sendPhoto" and c.ok and int(c.params["chat_id"]) in chats
        }
        counts = Counter(r.path for r in rig.kie.requests[requests_before:])
    delays_s = {chat: arrived[chat] - finished[chat] for chat in finished}
    delays_ms = sorted(d * 1000 for d in delays_s.values())
    requests = sum(counts[path] for path in PROVIDER_PATHS)
    return {
        "late": _late(delays_s, ages),
        "p50_ms": percentile(delays_ms, 50),
        "p95_ms": percentile(delays_ms, 95),
        "max_ms": delays_ms[-1],
        "delivered": len(arrived),
        "requests_per_job": requests / jobs,
        "polls_per_job": counts["/api/v1/jobs/recordInfo"] / jobs,
        "uploads": counts["/api/file-stream-upload"],
    }


async def _start_jobs(rig: Rig, jobs: int, photo: bytes, first_chat: int) -> dict[int, KieTask]:
    """Each chat sends a captioned photo; returns each chat's Kie task once all are created."""
    file_id, _ = rig.telegram.add_file(photo)
    before = len(rig.kie.tasks)
    for n in range(jobs):
        chat = first_chat + n
        rig.telegram.message_update(
            chat_id=chat, user_id=chat, photo_file_id=file_id, caption=f"poll {chat}"
        )
    tasks = (await rig.kie.wait_for_task(count=before + jobs, timeout=300))[before:]
    return {int(t.input["prompt"].split()[1]): t for t in tasks}


def _late(delays_s: dict[int, float], ages_s: dict[int, float]) -> int:
    """Results that waited longer than one poll interval of their job's cadence at the age it
    finished (plus the reconciler's tick): what the issue allows polling mode."""
    spec = REGISTRY.find(MODEL)
    assert spec is not None
    return sum(
        1
        for chat, delay in delays_s.items()
        if delay > spec.cadence.next_delay(ages_s[chat]) + POLLING_TICK_S
    )


async def _finish_paced(
    rig: Rig, tasks: dict[int, KieTask], callbacks: bool
) -> tuple[dict[int, float], dict[int, float]]:
    """Finish the tasks evenly over FINISH_SPREAD_S (with their callbacks, in callback mode);
    returns when each finished, on the clock the Telegram emulator stamps calls with, and how
    old each task was then."""
    gap_s = FINISH_SPREAD_S / max(1, len(tasks))
    finished: dict[int, float] = {}
    ages: dict[int, float] = {}
    sends = []
    for chat, task in tasks.items():
        rig.kie.finish(task.task_id, result_urls=[rig.result_url])
        finished[chat] = time.monotonic()
        ages[chat] = time.time() - task.created_at
        if callbacks:
            sends.append(asyncio.create_task(rig.kie.send_callback(task.task_id)))
        await asyncio.sleep(gap_s)  # pacing the load, not synchronising anything
    await asyncio.gather(*sends)
    return finished, ages


def _all_sent(rig: Rig, chats: set[int], before: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        got = {
            int(c.params["chat_id"])
            for c in rig.telegram.calls[before:]
            if c.method == "sendPhoto" and c.ok
        }
        return chats <= got

    return check
