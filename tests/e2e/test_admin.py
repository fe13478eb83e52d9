"""/stats for admins, a polite no for everyone else, and the health endpoint."""

from __future__ import annotations

from bot import texts
from tests.admin.test_chart import sane_png
from tests.harness import BotHarness
from tests.images import png

ADMIN = 4242
RESULT_PNG = png(text=b"stats")


async def test_stats_for_admin_counts_jobs_and_reads_credits(bot: BotHarness) -> None:
    done_user, pending_user = bot.new_user(), bot.new_user()
    bot.send_photo(done_user, caption="one")
    task = await bot.submitted_task()
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    await bot.kie.send_callback(task.task_id)
    await bot.wait_sent(done_user)
    bot.send_photo(pending_user, caption="two")
    await bot.submitted_task(2)
    bot.kie.credits = 777

    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
    [reply] = await bot.wait_sent(ADMIN, "sendMessage")

    text = reply.params["text"]
    assert "Users: 2" in text
    assert "Jobs today: 2  (total 2)" in text
    assert "Succeeded: 1  Failed: 0  In progress: 1" in text
    assert "p95" in text
    assert "Kie: ok, balance 777, 0 of 2 submits failed in the last hour" in text
    [chart] = await bot.wait_sent(ADMIN, "sendPhoto")  # after the figures, the picture
    sane_png(chart.params["photo"])


async def test_stats_break_jobs_down_by_model(bot: BotHarness) -> None:
    photo_user, text_user, failed_user = bot.new_user(), bot.new_user(), bot.new_user()
    bot.send_photo(photo_user, caption="one")
    bot.telegram.message_update(chat_id=text_user, user_id=text_user, text="/imagine a fox")
    bot.telegram.message_update(chat_id=failed_user, user_id=failed_user, text="/imagine a cat")
    tasks = await bot.kie.wait_for_task(count=3)
    by_prompt = {t.input["prompt"]: t for t in tasks}
    for prompt, chat in (("one", photo_user), ("a fox", text_user)):
        task = by_prompt[prompt]
        bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
        await bot.kie.send_callback(task.task_id)
        await bot.wait_sent(chat)
    bot.kie.finish(by_prompt["a cat"].task_id, fail_code="500", fail_msg="boom")
    await bot.kie.send_callback(by_prompt["a cat"].task_id)

    await bot.wait_said(failed_user, lambda t: t.startswith("Generation failed"))
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
    [reply] = await bot.wait_sent(ADMIN, "sendMessage")

    lines = reply.params["text"].splitlines()
    [photo_line] = [line for line in lines if line.strip().startswith("Nano Banana Pro:")]
    [text_line] = [line for line in lines if line.strip().startswith("Nano Banana:")]
    assert photo_line.strip().startswith("Nano Banana Pro: 1 job, 100% succeeded, p50 ")
    assert text_line.strip().startswith("Nano Banana: 2 jobs, 50% succeeded, p50 ")
    assert not any("Sora" in line for line in lines)  # models never used are left out


async def test_stats_refused_for_non_admin(bot: BotHarness) -> None:
    user = bot.new_user()
    bot.telegram.message_update(chat_id=user, user_id=user, text="/stats")

    [reply] = await bot.wait_sent(user, "sendMessage")

    assert reply.params["text"] == texts.STATS_REFUSED()
    assert not [r for r in bot.kie.requests if r.path == "/api/v1/chat/credit"]


async def test_stats_survive_a_credit_outage(bot: BotHarness) -> None:
    bot.kie.fail_next_credit(500, "down", times=3)
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")

    [reply] = await bot.wait_sent(ADMIN, "sendMessage")

    assert "Kie: ok, balance unavailable," in reply.params["text"]


async def test_healthz_is_ok_when_everything_runs(bot: BotHarness) -> None:
    async with bot.http.get(f"{bot.url}/healthz") as response:
        body = await response.json()
    assert response.status == 200
    assert body == {"ok": True, "redis": True, "bot": True, "mode": "live", "callbacks": "on"}
