"""Plain text outside a flow, in a private chat, is read as a wish for a picture: the bot offers
to imagine it, and its sender's press starts /imagine's job with exactly that text, once."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.constants import IMAGINE_OFFER_KEY, IMAGINE_OFFER_TTL_S
from bot.locales import speaking
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from bot.sandbox.emulators.telegram import ApiCall
from tests.harness import BotHarness, eventually
from tests.images import png

GROUP = -1005550
MENTION = "@photobot_test_bot"
RESULT = png(32, 32, text=b"imagined")
# Far over callback data's 64 bytes, with characters JSON and Lua must carry as they are.
LONG_WISH = ("A lighthouse on a cliff at dusk, waves below, gulls overhead; “warm” light, 灯台, "
             "café-style colours. ") * 40  # fmt: skip


def say(bot: BotHarness, chat: int, text: str, **kw: Any) -> dict[str, Any]:
    return bot.telegram.message_update(chat_id=chat, user_id=kw.pop("user_id", chat), text=text,
                                       **kw)  # fmt: skip


async def offered(bot: BotHarness, chat: int, text: str, **kw: Any) -> tuple[int, ApiCall]:
    """The user says `text`; returns its message id and the bot's offer."""
    update = say(bot, chat, text, **kw)
    [offer] = await bot.wait_said(chat, lambda t: t == texts.IMAGINE_OFFER())
    return update["message"]["message_id"], offer


def press(bot: BotHarness, chat: int, offer: ApiCall, *, user: int | None = None,
          data: str | None = None) -> dict[str, Any]:  # fmt: skip
    [[button]] = offer.params["reply_markup"]["inline_keyboard"]
    return bot.telegram.callback_query_update(
        chat_id=chat, user_id=user or chat, data=data or button["callback_data"],
        message_id=offer.result["message_id"],
    )  # fmt: skip


async def answers(bot: BotHarness, count: int) -> list[str]:
    calls = await bot.telegram.wait_for("answerCallbackQuery", count=count)
    return [str(c.params.get("text", "")) for c in calls]


async def test_a_plain_text_is_offered_and_a_press_imagines_exactly_it(bot: BotHarness) -> None:
    chat = bot.new_user()
    wish = LONG_WISH.strip()
    text_id, offer = await offered(bot, chat, wish)

    [[button]] = offer.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == texts.IMAGINE_BUTTON()
    assert len(button["callback_data"].encode()) <= 64
    assert offer.params["reply_parameters"]["message_id"] == text_id
    assert bot.kie.tasks == {}  # an offer, not a job: nothing is paid for until the press
    key = IMAGINE_OFFER_KEY.format(chat_id=chat, user_id=chat, message_id=text_id)
    assert 0 < await bot.redis.ttl(key) <= IMAGINE_OFFER_TTL_S

    press(bot, chat, offer)

    task = await bot.submitted_task()
    assert task.model == "google/nano-banana"
    assert task.input["prompt"] == wish
    [status] = await bot.wait_said(chat, lambda t: t == texts.WORKING())
    assert status.method == "editMessageText"
    assert status.params["message_id"] == offer.result["message_id"]  # the offer is the status
    assert await bot.redis.exists(key) == 0
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    [photo] = await bot.wait_sent(chat)
    assert photo.params["photo"] == RESULT
    assert photo.params["caption"] == texts.done(MediaKind.IMAGE, Capability.TEXT_TO_IMAGE)
    assert photo.params["reply_parameters"]["message_id"] == text_id


async def test_another_users_press_and_a_second_press_start_nothing(bot: BotHarness) -> None:
    chat, stranger = bot.new_user(), bot.new_user()
    _, offer = await offered(bot, chat, "a red fox in the snow")

    press(bot, chat, offer, user=stranger)
    assert await answers(bot, 1) == [texts.IMAGINE_NOT_YOURS()]
    assert bot.kie.tasks == {}
    assert bot.telegram.calls_to("editMessageText") == []

    first = press(bot, chat, offer)  # the sender's own press works: the stranger's took nothing
    second = press(bot, chat, offer)  # a second tap (or a replay) of the same button
    said = await answers(bot, 3)
    task = await bot.submitted_task()
    assert task.input["prompt"] == "a red fox in the snow"
    assert said[2] == texts.IMAGINE_EXPIRED()
    await bot.settled(first, second)
    assert len(bot.kie.tasks) == 1


async def test_an_expired_offer_is_answered_politely(bot: BotHarness) -> None:
    chat = bot.new_user()
    text_id, offer = await offered(bot, chat, "a castle made of clouds")
    key = IMAGINE_OFFER_KEY.format(chat_id=chat, user_id=chat, message_id=text_id)
    # Staged: the offer's hour passes.
    assert await bot.redis.pexpire(key, 1)
    await eventually(lambda: _gone(bot, key))

    press(bot, chat, offer)

    assert await answers(bot, 1) == [texts.IMAGINE_EXPIRED()]
    assert bot.kie.tasks == {}
    assert bot.telegram.calls_to("editMessageText") == []


async def _gone(bot: BotHarness, key: str) -> bool:
    return await bot.redis.exists(key) == 0


async def test_a_press_naming_the_text_from_another_message_takes_nothing(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    first_id, first = await offered(bot, chat, "a blue whale")
    say(bot, chat, "a green owl")
    offers = await bot.wait_said(chat, lambda t: t == texts.IMAGINE_OFFER(), count=2)
    [second] = [o for o in offers if o is not first]

    # Forged: the first offer's data, pressed on the second offer's message.
    press(bot, chat, second, data=first.params["reply_markup"]["inline_keyboard"][0][0][
        "callback_data"])  # fmt: skip
    assert await answers(bot, 1) == [texts.IMAGINE_EXPIRED()]
    assert bot.kie.tasks == {}

    press(bot, chat, first)  # the first offer still works, from its own message
    task = await bot.submitted_task()
    assert task.input["prompt"] == "a blue whale"
    assert first.params["reply_parameters"]["message_id"] == first_id


async def test_a_text_while_a_photo_waits_is_still_its_prompt(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat)
    await bot.wait_said(chat, lambda t: t == texts.PICK_STYLE())

    say(bot, chat, "give it a neon glow")

    task = await bot.submitted_task()
    assert task.model == "nano-banana-pro"
    assert task.input["prompt"] == "give it a neon glow"
    assert not any(c.params.get("text") == texts.IMAGINE_OFFER() for c in bot.telegram.calls)


async def test_in_groups_chatter_gets_nothing_and_a_mention_no_offer(bot: BotHarness) -> None:
    user = bot.new_user()
    chatter = say(bot, GROUP, "what a lovely sunset", user_id=user)
    mention = say(bot, GROUP, f"{MENTION} a lovely sunset", user_id=user)

    await bot.settled(chatter, mention)
    said = [c.params["text"] for c in bot.telegram.sent_messages(GROUP)]
    assert said == [texts.SEND_PHOTO_FIRST()]  # the mention only; the chatter got no answer
    assert bot.kie.tasks == {}


async def test_the_offer_speaks_the_users_language(bot: BotHarness) -> None:
    chat = bot.new_user()
    say(bot, chat, "kucing oranye di atap", language_code="id")
    with speaking("id"):
        offer_text, button_text = texts.IMAGINE_OFFER(), texts.IMAGINE_BUTTON()
    assert offer_text != texts.IMAGINE_OFFER()  # translated

    [offer] = await bot.wait_said(chat, lambda t: t == offer_text)

    [[button]] = offer.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == button_text
