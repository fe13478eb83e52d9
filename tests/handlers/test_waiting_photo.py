"""A photo sent without a caption waits as the user's flow: one store, one cancel, one expiry
(an hour, silent), and one left by the release before still answers its keyboard."""

from __future__ import annotations

import json
from typing import Any

from bot import codec, texts
from bot.intake.presets import PRESETS_BY_KEY
from bot.jobs.start.sent_files import SentFile
from bot.sandbox.emulators.telegram import ApiCall
from tests.e2e.test_commands import command, mp4, send_video
from tests.harness import BotHarness, eventually


async def offered(bot: BotHarness, chat: int) -> tuple[dict[str, Any], ApiCall]:
    update = bot.send_photo(chat)
    [offer] = await bot.wait_said(chat, lambda t: t == texts.PICK_STYLE())
    return update, offer


def press(bot: BotHarness, chat: int, offer: ApiCall, style: str = "anime") -> None:
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=f"style:{style}", message_id=offer.result["message_id"]
    )


async def expired_press(bot: BotHarness, chat: int, offer: ApiCall) -> None:
    press(bot, chat, offer)
    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.PHOTO_EXPIRED()


async def as_left_by_the_release_before(
    bot: BotHarness, chat: int, update: dict[str, Any], keyboard: int | None
) -> None:
    """Move the waiting photo to the key and JSON shape the release before wrote
    (PendingPhotos.to_json; without a keyboard id, its older single-photo shape)."""
    size = update["message"]["photo"][-1]
    sent = SentFile(size["file_id"], size.get("file_size"), update["message"]["message_id"])
    old = {"photos": [codec.dump(sent)], "keyboard": keyboard} if keyboard else codec.dump(sent)
    await bot.redis.delete(f"flow:{chat}:{chat}", "flows:deadlines")
    await bot.redis.set(f"pending:{chat}:{chat}", json.dumps(old), ex=3600)


async def test_a_photo_left_waiting_before_the_upgrade_takes_its_style(bot: BotHarness) -> None:
    chat = bot.new_user()
    update, offer = await offered(bot, chat)
    await as_left_by_the_release_before(bot, chat, update, offer.result["message_id"])

    press(bot, chat, offer, "watercolor")

    task = await bot.submitted_task()
    assert task.input["prompt"] == PRESETS_BY_KEY["watercolor"].prompt
    assert len(task.input["image_input"]) == 1
    assert await bot.redis.exists(f"pending:{chat}:{chat}") == 0


async def test_a_single_photo_left_waiting_takes_a_typed_prompt(bot: BotHarness) -> None:
    chat = bot.new_user()
    update, _ = await offered(bot, chat)
    await as_left_by_the_release_before(bot, chat, update, keyboard=None)

    command(bot, chat, "paint it gold")

    task = await bot.submitted_task()
    assert task.input["prompt"] == "paint it gold"
    assert len(task.input["image_input"]) == 1


async def test_a_newer_photo_replaces_one_left_waiting_before_the_upgrade(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    update, old_offer = await offered(bot, chat)
    await as_left_by_the_release_before(bot, chat, update, old_offer.result["message_id"])
    bot.send_photo(chat)
    await bot.wait_said(chat, lambda t: t == texts.PICK_STYLE(), count=2)

    await expired_press(bot, chat, old_offer)
    assert bot.kie.tasks == {}


async def test_cancel_ends_a_waiting_photo(bot: BotHarness) -> None:
    chat = bot.new_user()
    _, offer = await offered(bot, chat)

    command(bot, chat, "/cancel")
    await bot.wait_said(chat, lambda t: t == texts.CANCELLED())
    await expired_press(bot, chat, offer)
    command(bot, chat, "/cancel")
    await bot.wait_said(chat, lambda t: t == texts.NOTHING_TO_CANCEL())
    assert bot.kie.tasks == {}


async def test_a_command_ends_a_waiting_photo(bot: BotHarness) -> None:
    """One thing waits at a time: /imagine (or any command) ends the photo that waited, so the
    next text is the command's prompt and the photo's keyboard is spent."""
    chat = bot.new_user()
    _, offer = await offered(bot, chat)

    command(bot, chat, "/imagine")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["imagine"]())
    await expired_press(bot, chat, offer)
    command(bot, chat, "a lighthouse at dusk")

    task = await bot.submitted_task()
    assert task.model == "google/nano-banana"
    assert task.input["prompt"] == "a lighthouse at dusk"


async def test_a_waiting_photo_leaves_other_messages_to_their_handlers(bot: BotHarness) -> None:
    chat = bot.new_user()
    await offered(bot, chat)

    send_video(bot, chat, mp4(), 5)
    await bot.wait_said(chat, lambda t: t == texts.VIDEO_OUTSIDE_FLOW())
    command(bot, chat, "/dance")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["dance"]())

    said = [c.params["text"] for c in bot.telegram.sent_messages(chat)]
    assert said == [texts.PICK_STYLE(), texts.VIDEO_OUTSIDE_FLOW(), texts.FLOW_INTROS["dance"]()]


async def test_a_waiting_photo_expires_silently(bot: BotHarness) -> None:
    chat, other = bot.new_user(), bot.new_user()
    _, offer = await offered(bot, chat)
    # An hour passes: its deadline is now.
    [member] = await bot.redis.zrange("flows:deadlines", 0, -1)
    await bot.redis.zadd("flows:deadlines", {member: 0})
    await eventually(lambda: _none_left(bot, f"flow:{chat}:{chat}"))

    # Another user's flow, due only now, is closed by a later expiry check than the photo's,
    # so a notice for the photo would already have been sent by the time this one is.
    command(bot, other, "/animate")
    await bot.wait_said(other, lambda t: t == texts.FLOW_INTROS["animate"]())
    [animate] = await bot.redis.zrange("flows:deadlines", 0, -1)
    await bot.redis.zadd("flows:deadlines", {animate: 0})
    await bot.wait_said(other, lambda t: t == texts.FLOW_TIMED_OUT(command="animate"))

    assert [c.params["text"] for c in bot.telegram.sent_messages(chat)] == [texts.PICK_STYLE()]
    await expired_press(bot, chat, offer)


async def _none_left(bot: BotHarness, key: str) -> bool:
    return bool(await bot.redis.exists(key) == 0 and await bot.redis.zcard("flows:deadlines") == 0)
