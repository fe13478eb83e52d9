"""Bans and the allow-list: a refused user is turned away before anything is fetched, stored or
submitted, told once an hour in private (never in a group), and /unban lets them back in."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from bot import constants as k
from bot import texts
from tests.conftest import StartBot
from tests.harness import BotHarness, eventually

ADMIN = 4242
GROUP = -100777


async def admin_says(bot: BotHarness, text: str, expect: Callable[[str], bool]) -> str:
    """The admin sends `text`; returns the bot's answer that `expect` picks."""
    before = len(bot.telegram.calls_to("sendMessage"))
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text=text)
    answers = await bot.wait_said(ADMIN, expect, count=1)
    assert len(bot.telegram.calls_to("sendMessage")) > before
    return str(answers[-1].params["text"])


async def screened(redis: Redis, update_id: int) -> None:
    """Wait until the update passed the screen (handled or turned away)."""
    await eventually(lambda: redis.exists(k.UPDATE_SEEN_KEY.format(update_id=update_id)))


async def test_a_banned_user_is_turned_away_before_anything_is_fetched(
    bot: BotHarness, redis: Redis
) -> None:
    user = bot.new_user()
    said = await admin_says(bot, f"/ban {user}", lambda t: t.startswith(f"User {user}"))
    assert said == texts.BANNED_UNKNOWN(user=str(user))

    bot.send_photo(user, caption="first")
    await bot.wait_said(user, lambda t: t == texts.REFUSED_BANNED())
    second = bot.send_photo(user, caption="second")  # within the hour: no second answer
    await screened(redis, second["update_id"])
    said = await admin_says(bot, f"/unban {user}", lambda t: t.endswith("again."))
    assert said == texts.UNBANNED(user=str(user))

    bot.send_photo(user, caption="third")
    task = await bot.submitted_task()

    assert task.input["prompt"] == "third"
    assert len(bot.kie.tasks) == 1
    assert len(bot.telegram.calls_to("getFile")) == 1  # the third photo's only
    refusals = await bot.wait_said(user, lambda t: t == texts.REFUSED_BANNED())
    assert len(refusals) == 1


async def test_ban_answers_every_careless_command(bot: BotHarness) -> None:
    known = bot.new_user()
    bot.telegram.message_update(chat_id=known, user_id=known, text="/start")
    await bot.wait_said(known, lambda t: t == texts.START())

    usage = texts.BAN_USAGE(command="ban")
    for command, expected in [
        ("/ban", usage),
        ("/ban abc", usage),
        ("/ban 12 34", usage),
        ("/ban -5", usage),
        (f"/ban {ADMIN}", texts.BAN_ADMIN(user=str(ADMIN))),
        ("/ban 99999", texts.BANNED_UNKNOWN(user="99999")),
        ("/ban 99999", texts.BAN_ALREADY(user="99999")),
        (f"/ban {known}", texts.BANNED(user=str(known))),
        ("/unban 99999", texts.UNBANNED(user="99999")),
        ("/unban 99999", texts.UNBAN_ALREADY(user="99999")),
        ("/unban", texts.BAN_USAGE(command="unban")),
    ]:
        count = sum(
            1 for c in bot.telegram.calls_to("sendMessage")
            if int(c.params.get("chat_id", 0)) == ADMIN and c.params.get("text") == expected
        )  # fmt: skip
        bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text=command)
        await bot.wait_said(ADMIN, lambda t, e=expected: t == e, count=count + 1)

    stranger = bot.new_user()
    bot.telegram.message_update(chat_id=stranger, user_id=stranger, text=f"/ban {known}")
    await bot.wait_said(stranger, lambda t: t == texts.ADMIN_ONLY())


async def test_a_ban_by_reply_in_a_group_and_the_group_never_hears_of_it(
    bot: BotHarness, redis: Redis
) -> None:
    member = bot.new_user()
    chatter = bot.telegram.message_update(chat_id=GROUP, user_id=member, text="hello all")
    bot.telegram.message_update(
        chat_id=GROUP, user_id=ADMIN, text="/ban",
        reply_to_message_id=chatter["message"]["message_id"],
    )  # fmt: skip
    await bot.wait_said(GROUP, lambda t: t == texts.BANNED(user=str(member)))

    mention = f"@{bot.telegram.bot_username} make a fox"
    in_group = bot.telegram.message_update(chat_id=GROUP, user_id=member, text=mention)
    await screened(redis, in_group["update_id"])
    bot.telegram.message_update(chat_id=member, user_id=member, text="/imagine a fox")
    await bot.wait_said(member, lambda t: t == texts.REFUSED_BANNED())

    group_texts = [str(c.params.get("text")) for c in bot.telegram.calls_to("sendMessage")
                   if int(c.params.get("chat_id", 0)) == GROUP]  # fmt: skip
    assert group_texts == [texts.BANNED(user=str(member))]
    assert bot.kie.tasks == {}


async def test_a_banned_users_button_press_gets_an_alert_and_starts_nothing(
    bot: BotHarness,
) -> None:
    user = bot.new_user()
    bot.send_photo(user)
    [offer] = await bot.wait_sent(user, "sendMessage")
    await admin_says(bot, f"/ban {user}", lambda t: t.startswith(f"User {user}"))

    bot.telegram.callback_query_update(
        chat_id=user, user_id=user, data="style:watercolor", message_id=offer.result["message_id"]
    )
    [answer] = await bot.telegram.wait_for("answerCallbackQuery")

    assert answer.params["text"] == texts.REFUSED_BANNED()
    assert answer.params["show_alert"] in (True, "true", "True")
    assert bot.kie.tasks == {}


async def test_the_allow_list_lets_in_only_its_users_and_the_admins(start_bot: StartBot) -> None:
    async with start_bot(allowed_user_ids="5001") as bot:
        bot.send_photo(5002, caption="not listed")
        await bot.wait_said(5002, lambda t: t == texts.REFUSED_UNLISTED(user="5002"))
        bot.send_photo(5001, caption="listed")
        task = await bot.submitted_task()
        assert task.input["prompt"] == "listed"

        bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
        [stats] = await bot.wait_sent(ADMIN, "sendMessage")
        assert texts.STATS_ACCESS(active="2", banned="0", refused="1") in stats.params["text"]
        assert len(bot.kie.tasks) == 1
        assert len(bot.telegram.calls_to("getFile")) == 1
