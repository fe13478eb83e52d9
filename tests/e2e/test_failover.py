"""Failover between providers, end to end: Kie out of credits or down sends /imagine and /video
on a photo to Novita at once, the user never hears of it, admins hear once per switch, and Kie
gets jobs again after the cool-down. Content refusals never move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.sandbox.emulators.novita import NovitaEmulator, NovitaTask
from bot.web.keys import METRICS
from tests.conftest import NOVITA_KEY, free_port
from tests.e2e.test_commands import command
from tests.e2e.test_novita import job_of
from tests.harness import BotHarness, StartBot, eventually
from tests.images import jpeg, png

ADMIN = 4242
COOLDOWN_S = 4.0
RESULT = png(64, 64, text=b"seedream")
PERSON = jpeg(720, 1280)
COOLDOWN_KEY = "provider:kie:cooldown"


@pytest.fixture
async def fbot(start_bot: StartBot, novita: NovitaEmulator) -> AsyncIterator[BotHarness]:
    """Both providers configured, in the default order (Kie first)."""
    settings = {"novita_api_key": NOVITA_KEY, "novita_base_url": novita.url,
                "failover_cooldown_seconds": COOLDOWN_S}  # fmt: skip
    async with start_bot(**settings) as harness:
        yield harness


def kie_creates(bot: BotHarness) -> list[int]:
    """The HTTP status of every createTask Kie answered (no credits is a 200 with code 402)."""
    return [r.status for r in bot.kie.requests if r.path == "/api/v1/jobs/createTask"]


def admin_texts(bot: BotHarness) -> list[str]:
    return [
        str(c.params["text"])
        for c in bot.telegram.calls_to("sendMessage")
        if c.ok and int(c.params["chat_id"]) == ADMIN
    ]


async def deliver(bot: BotHarness, novita: NovitaEmulator, task: NovitaTask, chat: int) -> None:
    novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])
    assert (await novita.send_webhook(task.task_id))[0] == 200
    [sent] = await bot.wait_sent(chat)
    assert sent.params["photo"] == RESULT


def failures_told(bot: BotHarness, chat: int) -> list[str]:
    """Failure texts the user was shown (any kind)."""
    failures = {
        texts.failure_text(kind, output=output, from_photo=photo)
        for kind in FailureKind
        for output in MediaKind
        for photo in (True, False)
    }
    return [
        str(c.params.get("text"))
        for c in bot.telegram.calls
        if c.method in ("sendMessage", "editMessageText")
        and int(c.params.get("chat_id", 0)) == chat
        and str(c.params.get("text")) in failures
    ]


async def test_kie_out_of_credits_sends_imagine_to_novita_then_back_after_the_cooldown(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.credits = 0
    first = [fbot.new_user() for _ in range(3)]
    for chat in first:  # at once: several jobs trip the same switch
        command(fbot, chat, f"/imagine fox {chat}")

    tasks = await novita.wait_for_task(count=3)
    assert {t.fields["model_name"] for t in tasks} == {"seedream_3_0"}
    assert kie_creates(fbot) and fbot.kie.tasks == {}  # Kie was asked, and refused each time
    by_prompt = {t.fields["prompt"]: t for t in tasks}
    for chat in first:
        await deliver(fbot, novita, by_prompt[f"fox {chat}"], chat)
        assert failures_told(fbot, chat) == []
    [alert] = [t for t in admin_texts(fbot) if "out of credits" in t]
    assert alert.startswith("Photobot alert: kie is out of credits, so new jobs go to novita")

    # Within the cool-down Kie is not even asked.
    assert await fbot.redis.exists(COOLDOWN_KEY)
    asked = len(kie_creates(fbot))
    during = fbot.new_user()
    command(fbot, during, "/imagine an owl")
    [*_, task] = await novita.wait_for_task(count=4)
    await deliver(fbot, novita, task, during)
    assert len(kie_creates(fbot)) == asked

    # After it, Kie (with credits again) is first once more, and admins hear it is back.
    fbot.kie.credits = 1000
    await eventually(lambda: _gone(fbot), within=COOLDOWN_S + 10)
    after = fbot.new_user()
    command(fbot, after, "/imagine a hare")
    assert (await fbot.submitted_task()).model == "google/nano-banana"
    await eventually(lambda: texts.failover_back("kie") in admin_texts(fbot))
    assert len(novita.tasks) == 4
    assert len([t for t in admin_texts(fbot) if t.startswith("Photobot alert")]) == 1


async def _gone(bot: BotHarness) -> bool:
    return not await bot.redis.exists(COOLDOWN_KEY)


async def test_a_kie_outage_moves_jobs_after_its_retries(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.fail_next_create(503, "Service unavailable", times=3, http_status=503)
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a storm")

    [task] = await novita.wait_for_task()
    assert kie_creates(fbot) == [503, 503, 503]  # the client's three attempts, all refused
    await deliver(fbot, novita, task, chat)
    assert failures_told(fbot, chat) == []
    [alert] = await eventually(lambda: [t for t in admin_texts(fbot) if "not answering" in t])
    assert "so new jobs go to novita" in alert


async def test_video_on_a_photo_fails_over_to_kling_with_the_exact_bytes(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.credits = 0
    chat = fbot.new_user()
    fbot.send_photo(chat, caption="/video slow zoom", data=PERSON)

    [task] = await novita.wait_for_task()
    assert task.endpoint == "kling" and task.image == PERSON
    assert len(kie_creates(fbot)) == 1 and fbot.kie.tasks == {}
    job = f"job:{job_of(task)}"
    assert await fbot.redis.hmget(job, "provider", "model") == ["novita", "kling-v2.1-i2v-master"]
    assert failures_told(fbot, chat) == []


async def test_a_content_refusal_is_never_failed_over(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.fail_next_create(400, "prompt violates the content policy")
    chat = fbot.new_user()
    command(fbot, chat, "/imagine something forbidden")

    await fbot.wait_said(chat, lambda t: "violates the content policy" in t)
    assert novita.requests == []
    assert not await fbot.redis.exists(COOLDOWN_KEY)
    assert not [t for t in admin_texts(fbot) if t.startswith("Photobot alert")]


async def test_an_input_the_other_provider_cannot_take_stays_and_fails_plainly(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.credits = 0
    chat = fbot.new_user()
    fbot.send_photo(chat, caption="/video zoom", data=jpeg(200, 200))  # Kling needs 300 px

    no_video = texts.failure_text(FailureKind.NO_CREDITS, output=MediaKind.VIDEO)
    await fbot.wait_said(chat, lambda t: t == no_video)
    assert [r.path for r in novita.requests] == []
    assert not await fbot.redis.exists(COOLDOWN_KEY)


async def test_both_providers_down_tells_the_user_once(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.credits = 0
    novita.fail_next(403, "NOT_ENOUGH_BALANCE", "balance too low")
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a fox")

    no_image = texts.failure_text(FailureKind.NO_CREDITS, from_photo=False)
    await fbot.wait_said(chat, lambda t: t == no_image)
    assert len(failures_told(fbot, chat)) == 1
    assert [t for t in admin_texts(fbot) if "novita credits are used up" in t]


async def test_stats_show_each_providers_health(fbot: BotHarness, novita: NovitaEmulator) -> None:
    fbot.kie.credits = 0
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a fox")
    [task] = await novita.wait_for_task()
    await deliver(fbot, novita, task, chat)

    fbot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
    reply = await eventually(lambda: [t for t in admin_texts(fbot) if "Providers:" in t])
    lines = reply[0].splitlines()
    [kie] = [line.strip() for line in lines if line.strip().startswith("Kie:")]
    [nov] = [line.strip() for line in lines if line.strip().startswith("Novita:")]
    assert kie.startswith("Kie: passed over until ")
    assert kie.endswith("(is out of credits), balance 0, 1 of 1 submits failed in the last hour")
    assert nov.startswith("Novita: ok, balance ")
    assert nov.endswith(", 0 of 1 submits failed in the last hour")


async def test_a_photo_too_small_for_kling_goes_to_kie_even_with_novita_first(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    settings = {"novita_api_key": NOVITA_KEY, "novita_base_url": novita.url,
                "image_to_video_providers": "novita,kie"}  # fmt: skip
    async with start_bot(**settings) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="/video make it move", data=jpeg(200, 280))

        task = await bot.submitted_task()
        assert task.model == "grok-imagine/image-to-video"
        assert novita.requests == []


async def test_a_moved_job_counts_the_first_providers_error_and_the_second_ones_result(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.credits = 0
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a heron")
    [task] = await novita.wait_for_task(count=1)
    await deliver(fbot, novita, task, chat)

    registry = fbot.app[METRICS].registry
    finished = {"model": "seedream_3_0", "provider": "novita", "outcome": "succeeded"}
    await eventually(lambda: registry.get_sample_value("photobot_jobs_finished_total", finished))

    assert kie_creates(fbot)  # Kie really was asked first
    errors = "photobot_provider_errors_total"
    kie_error = {"provider": "kie", "kind": FailureKind.NO_CREDITS.value}
    assert registry.get_sample_value(errors, kie_error) == 1
    assert registry.get_sample_value(errors, {**kie_error, "provider": "novita"}) is None


async def test_a_submit_whose_answer_was_lost_is_never_sent_again_anywhere(
    fbot: BotHarness, novita: NovitaEmulator
) -> None:
    fbot.kie.lose_next_create_answers()
    chat = fbot.new_user()
    command(fbot, chat, "/imagine a fox")

    await fbot.wait_said(chat, lambda t: t == texts.failure_text(FailureKind.BUSY))
    assert len(fbot.kie.tasks) == 1  # Kie did start (and charge for) the task
    assert len(kie_creates(fbot)) == 1  # and was not asked again
    assert novita.requests == []  # nor was Novita
    assert not await fbot.redis.exists(COOLDOWN_KEY)


async def test_kie_unreachable_is_retried_then_failed_over(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # connections refused: nothing was sent
    settings = {"novita_api_key": NOVITA_KEY, "novita_base_url": novita.url,
                "kie_base_url": nobody}  # fmt: skip
    async with start_bot(**settings) as bot:
        chat = bot.new_user()
        command(bot, chat, "/imagine a fox")

        [task] = await novita.wait_for_task()
        await deliver(bot, novita, task, chat)
        assert failures_told(bot, chat) == []
        [alert] = await eventually(lambda: [t for t in admin_texts(bot) if "not answering" in t])
        assert "network error: ClientConnectorError" in alert
