"""GET /metrics, scraped over HTTP from a running bot: counters and histograms move with the
right labels, the bearer token is enforced, and a scrape answers while Redis is down."""

from __future__ import annotations

import logging
import math
import os
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import texts
from bot.app import create_app
from bot.app.redis_server import RedisServer
from bot.config import load_settings
from bot.errors import FailureKind
from bot.sandbox.emulators.kie import KieEmulator
from bot.web.keys import METRICS
from bot.web.metrics import REDIS_CHECK_TIMEOUT_S
from tests.conftest import free_port
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png

RESULT_PNG = png(text=b"metrics")
TOKEN = "metrics-bearer-token-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: BotHarness, **headers: str) -> tuple[int, str]:
    async with bot.http.get(f"{bot.url}/metrics", headers=headers) as response:
        return response.status, await response.text()


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def samples(bot: BotHarness, **headers: str) -> Samples:
    status, text = await scrape(bot, **headers)
    assert status == 200, text
    return parse(text)


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def job_of(callback_url: str | None) -> str:
    return parse_qs(urlsplit(callback_url or "").query)["job"][0]


async def test_a_delivered_job_moves_counters_and_histograms(bot: BotHarness) -> None:
    started = time.time()
    chat = bot.new_user()
    bot.send_photo(chat, caption="a lighthouse")
    task = await bot.submitted_task()
    model = await bot.redis.hget(f"job:{job_of(task.callback_url)}", "model")
    assert model

    ours = {"model": model, "provider": "kie"}
    before = await samples(bot)
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    answer, _ = await bot.kie.send_callback(task.task_id)
    await bot.wait_sent(chat)
    finished, succeeded = "photobot_jobs_finished_total", {"outcome": "succeeded"}
    after = await eventually(
        lambda: _when(samples(bot), lambda s: value(s, finished, **ours, **succeeded) == 1)
    )

    assert answer == 200
    assert value(before, "photobot_jobs_started_total", **ours) == 1
    assert value(before, "photobot_jobs_in_flight") == 1
    assert value(before, finished, **ours, **succeeded) is None
    assert value(after, "photobot_jobs_in_flight") == 0
    assert value(after, "photobot_callbacks_total", provider="kie", code="200") == 1
    took = "photobot_time_to_result_seconds"
    assert value(after, f"{took}_count", model=model, outcome="succeeded") == 1
    took_s = value(after, f"{took}_sum", model=model, outcome="succeeded")
    assert took_s is not None and 0 < took_s < time.time() - started
    latency = "photobot_callback_to_chat_seconds"
    assert value(after, f"{latency}_count", provider="kie") == 1
    latency_s = value(after, f"{latency}_sum", provider="kie")
    assert latency_s is not None and 0 < latency_s <= took_s
    assert value(after, "photobot_redis_up") == 1


async def test_a_provider_refusal_counts_a_failed_job_and_its_kind(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.kie.fail_next_create(455, "maintenance", times=3)
    bot.send_photo(chat, caption="during maintenance")
    await bot.wait_said(chat, lambda t: t == texts.failure_text(FailureKind.MAINTENANCE))

    found = await eventually(
        lambda: _when(samples(bot), lambda s: _total(s, "photobot_jobs_finished_total") == 1)
    )

    [(labels, count)] = _series(found, "photobot_jobs_finished_total")
    assert (labels["provider"], labels["outcome"], count) == ("kie", "failed", 1)
    errors = "photobot_provider_errors_total"
    assert value(found, errors, provider="kie", kind=FailureKind.MAINTENANCE.value) == 1
    assert _total(found, errors) == 1


async def test_a_staged_telegram_429_is_counted_with_its_retry(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="flooded")
    task = await bot.submitted_task()
    bot.telegram.fail_next("sendPhoto", retry_after=1)
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    await bot.kie.send_callback(task.task_id)
    await bot.wait_sent(chat)

    found = await samples(bot)

    throttled = [c for c in bot.telegram.calls_to("sendPhoto") if c.status == 429]
    assert len(throttled) == 1, "the emulator never answered 429: the flood was not staged"
    assert value(found, "photobot_telegram_429_total", method="sendPhoto") == 1
    assert value(found, "photobot_telegram_retries_total", method="sendPhoto") == 1


async def test_forged_callbacks_are_counted_by_answer_code(bot: BotHarness) -> None:
    bot.send_photo(bot.new_user(), caption="a castle")
    task = await bot.submitted_task()
    job_id = job_of(task.callback_url)
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    body = bot.kie.callback_body(task.task_id)

    missing, _ = await bot.post_callback(f"job={job_id}", body)
    wrong, _ = await bot.post_callback(f"job={job_id}&token=" + "0" * 32, body)
    found = await samples(bot)

    assert (missing, wrong) == (401, 403)
    assert value(found, "photobot_callbacks_total", provider="kie", code="401") == 1
    assert value(found, "photobot_callbacks_total", provider="kie", code="403") == 1
    assert value(found, "photobot_callbacks_total", provider="kie", code="200") is None


async def test_metrics_token_refuses_a_missing_or_wrong_bearer(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with start_bot(metrics_token=TOKEN) as bot:
        refused = [
            await scrape(bot),
            await scrape(bot, Authorization="Bearer not-the-token"),
            await scrape(bot, Authorization=f"Basic {TOKEN}"),
            await scrape(bot, Authorization=f"Bearer {TOKEN}x"),
        ]
        status, text = await scrape(bot, Authorization=f"Bearer {TOKEN}")

    assert [code for code, _ in refused] == [401, 401, 401, 401]
    assert all("photobot_" not in body for _, body in refused)
    assert status == 200
    assert value(parse(text), "photobot_redis_up") == 1
    assert TOKEN not in caplog.text


async def test_without_a_token_metrics_are_open(bot: BotHarness) -> None:
    status, text = await scrape(bot, Authorization="Bearer anything")

    assert status == 200
    assert "# TYPE photobot_jobs_started_total counter" in text


async def test_redis_hung_or_down_reads_zero_and_metrics_still_answer(
    start_bot: StartBot, tmp_path: Path
) -> None:
    own = RedisServer(tmp_path / "own-redis", port=free_port())
    await own.start()
    assert own.process is not None
    try:
        async with start_bot(redis_url=own.url) as bot:
            up = await samples(bot)
            os.kill(own.process.pid, signal.SIGSTOP)  # hung: connected, never answers
            asked = time.monotonic()
            hung = await samples(bot)
            hung_s = time.monotonic() - asked
            os.kill(own.process.pid, signal.SIGCONT)
            await eventually(
                lambda: _when(samples(bot), lambda s: value(s, "photobot_redis_up") == 1)
            )
            own.stop()  # down: connections refused
            down = await samples(bot)
            assert own.process.poll() is not None  # the fault was real

        assert value(up, "photobot_redis_up") == 1
        assert value(up, "photobot_jobs_in_flight") == 0
        for found in (hung, down):
            assert value(found, "photobot_redis_up") == 0
            in_flight = value(found, "photobot_jobs_in_flight")
            assert in_flight is not None and math.isnan(in_flight)  # unknown, not stale
        assert REDIS_CHECK_TIMEOUT_S <= hung_s < REDIS_CHECK_TIMEOUT_S + 2
    finally:
        if own.process is not None and own.process.poll() is None:
            os.kill(own.process.pid, signal.SIGCONT)
        own.stop()


def test_each_application_has_its_own_registry(make_settings: Any, kie: KieEmulator) -> None:
    settings = load_settings(from_env=False, **make_settings())
    first, second = create_app(settings)[METRICS], create_app(settings)[METRICS]

    first.job_started("nano-banana-pro", "kie")

    name, labels = "photobot_jobs_started_total", {"model": "nano-banana-pro", "provider": "kie"}
    assert first.registry.get_sample_value(name, labels) == 1
    assert second.registry.get_sample_value(name, labels) is None


async def _when(found: Any, check: Any) -> Samples | None:
    """The scrape, once `check` holds for it (for `eventually`)."""
    scraped: Samples = await found
    return scraped if check(scraped) else None


def _series(found: Samples, name: str) -> list[tuple[dict[str, str], float]]:
    return [(dict(labels), count) for (sample, labels), count in found.items() if sample == name]


def _total(found: Samples, name: str) -> float:
    return sum(count for _, count in _series(found, name))
