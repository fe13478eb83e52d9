"""/stats with credits charged: what a delivered job spent, what a running one could still spend
at its provider; and the alert when a provider's balance runs low (the whole bot, emulators)."""

from __future__ import annotations

from bot import texts
from bot.admin.balances import BalanceWatch
from bot.sandbox.emulators.kie import KieEmulator
from bot.web.keys import DEPS
from tests.harness import StartBot, eventually
from tests.images import png

ADMIN = 4242
RESULT_PNG = png(text=b"money")


async def test_stats_show_credits_spent_and_what_jobs_in_flight_could_spend(
    start_bot: StartBot,
) -> None:
    async with start_bot(payments="stars") as bot:
        buyer, waiting = bot.new_user(), bot.new_user()
        bot.send_photo(buyer, caption="one")
        task = await bot.submitted_task()
        bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
        await bot.kie.send_callback(task.task_id)
        await bot.wait_sent(buyer)
        # The price is spent when the job closes, just after the photo went out.
        await eventually(lambda: bot.redis.hget("credits:totals", "spent"))
        bot.send_photo(waiting, caption="two")
        await bot.submitted_task(2)
        bot.kie.credits = 777

        bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
        [reply] = await bot.wait_sent(ADMIN, "sendMessage")

    lines = reply.params["text"].splitlines()
    assert "Credits spent: today 4  (total 4)" in lines
    assert lines[lines.index("Credits by model:") + 1] == "  Nano Banana Pro: today 4  (total 4)"
    assert lines[lines.index("Credits by provider:") + 1] == "  Kie: today 4  (total 4)"
    assert "Stars received: today 0  (total 0)" in lines  # nothing bought yet
    assert lines[lines.index("Top spenders (user id: credits):") + 1] == f"  {buyer}: 4"
    # The waiting job's model costs the provider 18 of its credits.
    assert (
        "  Kie: ok, balance 777 · in flight could spend 18, 0 of 2 submits failed in the last hour"
        in lines
    )


async def test_a_low_provider_balance_is_told_to_admins_once(
    start_bot: StartBot, kie: KieEmulator
) -> None:
    kie.credits = 50  # low before the bot starts: the watch's first round, at start-up, sees it
    async with start_bot(provider_balance_alert=100) as bot:
        [alert] = await bot.wait_sent(ADMIN, "sendMessage")
        # Another round (the next one, or a second replica's) does not tell again.
        deps = bot.app[DEPS]
        watch = BalanceWatch(deps.redis, deps.registry, deps.providers, deps.alerts, 100)
        again = await watch.check()

    assert again == []
    assert alert.params["text"] == texts.balance_alert("kie", 50.0, 0.0, 100.0)
    assert alert.params["text"].startswith("Photobot alert: the Kie balance is 50, below 100")
    assert len(bot.telegram.sent_messages(ADMIN)) == 1
