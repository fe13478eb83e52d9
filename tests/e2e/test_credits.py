"""Credits end to end (PAYMENTS=stars): a job holds its price when it starts, spends it only when
a result reaches the chat, and gives it back when it fails or is cancelled; a dear job asks
first; too few credits refuse a job before any download or provider call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from tests.e2e.test_again import delivered
from tests.e2e.test_again import job_of as job_of_task
from tests.e2e.test_again import press as press_again
from tests.e2e.test_cancel import job_of, press, started
from tests.e2e.test_commands import RESULT, command, mp4
from tests.harness import BotHarness, StartBot, eventually

FREE = 12  # the default: three images at 4
IMAGE = 4  # nano-banana-pro, what a captioned photo makes


@pytest.fixture
async def paid(start_bot: StartBot) -> AsyncIterator[BotHarness]:
    async with start_bot(payments="stars", user_max_jobs_in_flight=0) as harness:
        yield harness


async def balance(bot: BotHarness, user: int) -> int:
    return int(await bot.redis.hget(f"credits:{user}", "balance") or 0)


async def entries(bot: BotHarness, user: int) -> list[dict[str, object]]:
    """The user's ledger, newest first."""
    return [json.loads(e) for e in await bot.redis.lrange(f"ledger:{user}", 0, -1)]


async def assert_ledger_sums(bot: BotHarness, user: int) -> None:
    assert sum(int(str(e["a"])) for e in await entries(bot, user)) == await balance(bot, user)


async def closed(bot: BotHarness, user: int) -> None:
    """No job of the user holds credits any more."""

    async def no_holds() -> bool:
        fields = await bot.redis.hkeys(f"credits:{user}")
        return not any(f.startswith("hold:") for f in fields)

    await eventually(no_holds)


async def test_a_delivered_job_spends_its_price_once(paid: BotHarness) -> None:
    chat = paid.new_user()
    task, _ = await started(paid, chat)
    assert await balance(paid, chat) == FREE - IMAGE  # held while it runs

    paid.kie.finish(task.task_id, result_urls=[paid.kie.add_result_file(RESULT)])
    assert (await paid.kie.send_callback(task.task_id))[0] == 200
    await paid.wait_sent(chat)
    await closed(paid, chat)

    assert await balance(paid, chat) == FREE - IMAGE
    assert [e["r"] for e in await entries(paid, chat)] == ["job", "free"]
    assert int(await paid.redis.hget("credits:totals", "spent") or 0) >= IMAGE
    assert (await paid.kie.send_callback(task.task_id))[0] == 200  # a duplicate changes nothing
    await assert_ledger_sums(paid, chat)


async def test_a_failed_job_gives_its_price_back(paid: BotHarness) -> None:
    chat = paid.new_user()
    task, _ = await started(paid, chat)
    paid.kie.finish(task.task_id, fail_code="500", fail_msg="internal error")
    assert (await paid.kie.send_callback(task.task_id))[0] == 200
    await closed(paid, chat)

    assert await balance(paid, chat) == FREE
    assert [(e["r"], e["a"]) for e in await entries(paid, chat)] == [
        ("back", IMAGE), ("job", -IMAGE), ("free", FREE),
    ]  # fmt: skip
    await assert_ledger_sums(paid, chat)


async def test_a_cancelled_job_gives_its_price_back(paid: BotHarness) -> None:
    chat = paid.new_user()
    _, status = await started(paid, chat)
    cancel = button_data(JobAction.CANCEL, job_of(status))
    await press(paid, chat, chat, cancel, status.result["message_id"])
    await closed(paid, chat)
    assert await balance(paid, chat) == FREE
    await assert_ledger_sums(paid, chat)


async def test_too_few_credits_refuse_before_any_download_or_call(paid: BotHarness) -> None:
    chat = paid.new_user()
    await paid.redis.hset(f"credits:{chat}", mapping={"joined": 1, "balance": 3})
    await paid.redis.lpush(f"ledger:{chat}", json.dumps({"t": 1, "a": 3, "r": "free"}))
    paid.send_photo(chat, caption="make it gold")

    wanted = texts.not_enough_credits(IMAGE, 3)
    [refusal] = await paid.wait_said(chat, lambda text: text == wanted)
    assert "/buy" in refusal.params["text"]
    assert paid.telegram.calls_to("getFile") == []
    assert paid.kie.tasks == {}
    assert await balance(paid, chat) == 3


async def test_fifty_photos_at_once_with_credits_for_ten_start_ten(paid: BotHarness) -> None:
    chat = paid.new_user()
    await paid.redis.hset(f"credits:{chat}", mapping={"joined": 1, "balance": 10 * IMAGE})
    await paid.redis.lpush(f"ledger:{chat}", json.dumps({"t": 1, "a": 10 * IMAGE, "r": "free"}))
    updates = [paid.send_photo(chat, caption=f"photo {n}") for n in range(50)]

    await paid.submitted_task(10)
    refused = texts.not_enough_credits(IMAGE, 0)
    await paid.wait_said(chat, lambda text: text == refused)
    await paid.settled(*updates)
    assert len(paid.kie.tasks) == 10
    assert len(paid.telegram.calls_to("getFile")) == 10  # the refused were never downloaded
    assert await balance(paid, chat) == 0
    await assert_ledger_sums(paid, chat)


async def test_a_dear_job_asks_first_and_starts_once_confirmed(paid: BotHarness) -> None:
    chat = paid.new_user()
    command(paid, chat, "/video waves at sunset")  # Grok: 10 credits, dearer than an image

    asked = texts.price_confirm(10, FREE)
    [question] = await paid.wait_said(chat, lambda text: text == asked)
    assert paid.kie.tasks == {}
    [[start, not_now]] = question.params["reply_markup"]["inline_keyboard"]
    assert start["text"] == texts.PRICE_START(price=texts.credits(10))
    message_id = question.result["message_id"]

    stranger = paid.new_user()
    refused = await press(paid, chat, stranger, start["callback_data"], message_id)
    assert refused.params.get("show_alert") is True
    assert paid.kie.tasks == {}

    await press(paid, chat, chat, start["callback_data"], message_id)
    task = await paid.submitted_task()
    assert task.model == "grok-imagine/text-to-video"
    assert await balance(paid, chat) == FREE - 10

    again = await press(paid, chat, chat, start["callback_data"], message_id)
    assert again.params.get("text") == texts.PRICE_EXPIRED()  # pressed once, started once
    assert len(paid.kie.tasks) == 1
    assert not_now["callback_data"].startswith("price:no:")


async def test_not_now_starts_nothing(paid: BotHarness) -> None:
    chat = paid.new_user()
    command(paid, chat, "/video waves at sunset")
    asked = texts.price_confirm(10, FREE)
    [question] = await paid.wait_said(chat, lambda text: text == asked)
    [[_, not_now]] = question.params["reply_markup"]["inline_keyboard"]
    await press(paid, chat, chat, not_now["callback_data"], question.result["message_id"])
    await paid.wait_said(chat, lambda text: text == texts.PRICE_DECLINED())
    assert paid.kie.tasks == {}
    assert await balance(paid, chat) == FREE


async def test_balance_shows_credits_and_movements(paid: BotHarness) -> None:
    chat = paid.new_user()
    task, _ = await started(paid, chat)
    paid.kie.finish(task.task_id, fail_code="500", fail_msg="internal error")
    await paid.kie.send_callback(task.task_id)
    await closed(paid, chat)

    command(paid, chat, "/balance")
    first_line = texts.BALANCE(credits=texts.credits(FREE))
    [shown] = await paid.wait_said(chat, lambda text: text.startswith(first_line))
    text = shown.params["text"]
    assert "Nano Banana Pro" in text and "/buy" in text
    assert text.count("\n+") + text.count("\n\u2212") == 3  # free, the job, given back


async def test_without_payments_nothing_is_charged_or_shown(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/video waves at sunset")
    await bot.submitted_task()  # no question: it simply starts
    assert await bot.redis.exists(f"credits:{chat}", f"ledger:{chat}") == 0
    await bot.settled(command(bot, chat, "/balance"))
    said = [str(c.params.get("text", "")) for c in bot.telegram.sent_messages(chat)]
    assert not any("/buy" in text for text in said)


async def test_again_on_a_dear_result_asks_its_price_too(paid: BotHarness) -> None:
    chat = paid.new_user()
    await paid.redis.hset(f"credits:{chat}", mapping={"joined": 1, "balance": 40})
    await paid.redis.lpush(f"ledger:{chat}", json.dumps({"t": 1, "a": 40, "r": "free"}))
    command(paid, chat, "/video waves at sunset")
    asked = texts.price_confirm(10, 40)
    [question] = await paid.wait_said(chat, lambda text: text == asked)
    [[start, _]] = question.params["reply_markup"]["inline_keyboard"]
    await press(paid, chat, chat, start["callback_data"], question.result["message_id"])
    first = await paid.submitted_task()
    result = await delivered(paid, chat, first, "sendVideo", mp4())

    press_again(paid, chat, button_data(JobAction.AGAIN, job_of_task(first)), result)
    again = texts.price_confirm(10, 30)
    [second_question] = await paid.wait_said(chat, lambda text: text == again)
    assert len(paid.kie.tasks) == 1  # nothing starts before Start
    [[start, _]] = second_question.params["reply_markup"]["inline_keyboard"]
    await press(paid, chat, chat, start["callback_data"], second_question.result["message_id"])
    second = await paid.submitted_task(2)
    assert second.model == first.model
    assert await balance(paid, chat) == 20
