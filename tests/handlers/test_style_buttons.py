"""A style button acts only on the message it was sent with."""

from __future__ import annotations

from bot import texts
from bot.intake.presets import PRESETS_BY_KEY
from tests.harness import BotHarness

GROUP = -1001234
MENTION = "@photobot_test_bot"


async def test_a_forged_button_cannot_take_over_another_users_keyboard(bot: BotHarness) -> None:
    alice, bob = bot.new_user(), bot.new_user()
    bot.send_photo(GROUP, caption=MENTION, user_id=alice)
    [alice_offer] = await bot.wait_said(GROUP, lambda t: t == texts.PICK_STYLE())
    bob_photo = bot.send_photo(GROUP, caption=MENTION, user_id=bob)
    offers = await bot.wait_said(GROUP, lambda t: t == texts.PICK_STYLE(), count=2)
    [bob_offer] = [o for o in offers if o is not alice_offer]
    bob_photo_id = bob_photo["message"]["message_id"]

    # Bob's client sends a press naming his own photo, on Alice's keyboard message.
    bot.telegram.callback_query_update(
        chat_id=GROUP, user_id=bob, data=f"style:anime:{bob_photo_id}",
        message_id=alice_offer.result["message_id"],
    )  # fmt: skip

    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.PHOTO_EXPIRED()
    assert bot.telegram.calls_to("editMessageText") == []
    assert bot.kie.tasks == {}

    # Bob's own keyboard still works: the forged press consumed nothing.
    bot.telegram.callback_query_update(
        chat_id=GROUP, user_id=bob, data="style:anime", message_id=bob_offer.result["message_id"]
    )
    task = await bot.submitted_task()
    assert task.input["prompt"] == PRESETS_BY_KEY["anime"].prompt
    [edit] = await bot.telegram.wait_for("editMessageText")
    assert edit.params["message_id"] == bob_offer.result["message_id"]


async def test_another_user_cannot_press_my_keyboard(bot: BotHarness) -> None:
    alice, bob = bot.new_user(), bot.new_user()
    bot.send_photo(GROUP, caption=MENTION, user_id=alice)
    [offer] = await bot.wait_said(GROUP, lambda t: t == texts.PICK_STYLE())

    bot.telegram.callback_query_update(
        chat_id=GROUP, user_id=bob, data="style:anime", message_id=offer.result["message_id"]
    )

    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.PHOTO_EXPIRED()
    assert bot.kie.tasks == {}
