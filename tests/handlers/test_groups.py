"""In groups the bot answers only commands, mentions and replies to it; admin figures stay
private."""

from __future__ import annotations

from bot import texts
from tests.harness import BotHarness

GROUP = -1005550001
MENTION = "@photobot_test_bot"
ADMIN = 4242


async def test_group_chatter_gets_no_reply(bot: BotHarness) -> None:
    user = bot.new_user()
    chatter = [
        bot.telegram.message_update(chat_id=GROUP, user_id=user, text="hello everyone"),
        bot.telegram.message_update(
            chat_id=GROUP, user_id=user,
            extra={"sticker": {"file_id": "s1", "file_unique_id": "s1u", "type": "regular",
                               "width": 512, "height": 512, "is_animated": False,
                               "is_video": False}},
        ),
        bot.telegram.message_update(
            chat_id=GROUP, user_id=user, extra={"location": {"latitude": 1.0, "longitude": 2.0}}
        ),
        bot.send_photo(GROUP, caption="look at my cat", user_id=user),
        bot.send_photo(GROUP, user_id=user),
    ]  # fmt: skip
    asked = bot.telegram.message_update(chat_id=GROUP, user_id=user, text=f"/help{MENTION}")

    await bot.wait_said(GROUP, lambda t: t == texts.HELP())
    await bot.settled(*chatter, asked)
    assert len(bot.telegram.sent_messages(GROUP)) == 1
    assert bot.telegram.calls_to("getFile") == []


async def test_a_mention_or_a_reply_to_the_bot_is_answered_in_a_group(bot: BotHarness) -> None:
    user = bot.new_user()
    bot.send_photo(GROUP, caption=f"{MENTION} make it a watercolor", user_id=user)
    task = await bot.submitted_task()
    assert task.input["prompt"] == "make it a watercolor"

    [status] = await bot.wait_sent(GROUP, "sendMessage")
    bot.send_photo(
        GROUP, caption="now as a sketch", user_id=user,
        reply_to_message_id=status.result["message_id"],
    )  # fmt: skip
    second = await bot.submitted_task(2)
    assert second.input["prompt"] == "now as a sketch"


async def test_admin_stats_in_a_group_go_to_the_admin_privately(bot: BotHarness) -> None:
    bot.telegram.message_update(chat_id=GROUP, user_id=ADMIN, text="/stats")

    [private] = await bot.wait_sent(ADMIN, "sendMessage")
    [public] = await bot.wait_said(GROUP, lambda t: t == texts.STATS_SENT_PRIVATELY())
    assert private.params["text"].startswith("Photobot stats")
    assert not any("Photobot stats" in str(c.params.get("text")) for c in bot.telegram.calls
                   if c.params.get("chat_id") in (GROUP, str(GROUP)))  # fmt: skip
    assert public.params["reply_parameters"]["message_id"]
    [chart] = await bot.wait_sent(ADMIN, "sendPhoto")  # the chart goes privately too
    assert not bot.telegram.calls_to("sendPhoto")[1:] and chart.ok


async def test_admin_who_never_opened_a_private_chat_is_told_where_to_ask(
    bot: BotHarness,
) -> None:
    bot.telegram.fail_next(
        "sendMessage", error_code=403,
        description="Forbidden: bot can't initiate conversation with a user",
    )  # fmt: skip
    bot.telegram.message_update(chat_id=GROUP, user_id=ADMIN, text="/stats")

    await bot.wait_said(GROUP, lambda t: t == texts.STATS_ASK_PRIVATELY())
    refused = [c for c in bot.telegram.calls_to("sendMessage") if c.status == 403]
    assert len(refused) == 1 and refused[0].params["chat_id"] in (ADMIN, str(ADMIN))
    assert not any("Photobot stats" in str(c.params.get("text")) for c in bot.telegram.calls
                   if c.ok)  # fmt: skip
