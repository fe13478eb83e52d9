"""What users send and what they hear back: styles, typed prompts, bad files, provider refusals."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.intake.presets import PRESETS_BY_KEY
from tests.harness import BotHarness

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_start_and_help_explain_the_bot(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/start")
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/help")

    calls = await bot.wait_sent(chat, "sendMessage", count=2)

    assert all(c.params["text"] == texts.START() for c in calls)
    assert "photo" in texts.START() and "caption" in texts.START()


async def test_photo_without_caption_offers_styles_and_a_press_submits(bot: BotHarness) -> None:
    chat = bot.new_user()
    update = bot.send_photo(chat)
    photo_id = update["message"]["message_id"]

    [offer] = await bot.wait_sent(chat, "sendMessage")
    keyboard = offer.params["reply_markup"]["inline_keyboard"]
    datas = [button["callback_data"] for row in keyboard for button in row]
    assert offer.params["text"] == texts.PICK_STYLE()
    assert "style:watercolor" in datas
    assert offer.params["reply_parameters"]["message_id"] == photo_id
    assert all(len(d.encode()) <= 64 for d in datas)

    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data="style:watercolor",
        message_id=offer.result["message_id"],
    )  # fmt: skip
    task = await bot.submitted_task()

    assert task.input["prompt"] == PRESETS_BY_KEY["watercolor"].prompt
    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert "Watercolor" in answer.params.get("text", "")


async def test_photo_without_caption_then_typed_prompt_submits(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat)
    await bot.wait_sent(chat, "sendMessage")

    bot.telegram.message_update(chat_id=chat, user_id=chat, text="  give it a neon glow  ")
    task = await bot.submitted_task()

    assert task.input["prompt"] == "give it a neon glow"


async def test_stale_style_button_is_refused_plainly(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat)
    await bot.wait_sent(chat, "sendMessage")
    bot.send_photo(chat)  # a newer photo replaces the waiting one
    offers = await bot.wait_sent(chat, "sendMessage", count=2)

    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data="style:anime",
        message_id=offers[0].result["message_id"],
    )  # fmt: skip

    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.PHOTO_EXPIRED()
    assert bot.kie.tasks == {}


async def test_text_without_a_photo_is_offered_as_an_image_from_words(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="make it pretty")

    [reply] = await bot.wait_sent(chat, "sendMessage")

    assert reply.params["text"] == texts.IMAGINE_OFFER()  # tests/e2e/test_imagine_offer.py
    assert bot.kie.tasks == {}


async def test_empty_prompt_is_named(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat)
    await bot.wait_sent(chat, "sendMessage")

    bot.telegram.message_update(chat_id=chat, user_id=chat, text="\u200b\u200b")

    calls = await bot.wait_sent(chat, "sendMessage", count=2)
    assert calls[1].params["text"] == texts.EMPTY_PROMPT()
    assert bot.kie.tasks == {}


def _document(bot: BotHarness, data: bytes, **fields: Any) -> dict[str, Any]:
    file_id, unique = bot.telegram.add_file(data)
    return {"file_id": file_id, "file_unique_id": unique, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"mime_type": "application/pdf", "file_name": "cv.pdf"}, texts.NOT_AN_IMAGE()),
        (
            {"mime_type": "image/heic", "file_name": "IMG_1.HEIC"},
            texts.UNSUPPORTED_FORMAT(kind="HEIC"),
        ),
        (
            {"mime_type": "image/png", "file_name": "huge.png", "file_size": 25 * 1024 * 1024},
            texts.TOO_BIG_FOR_TELEGRAM(),
        ),
    ],
    ids=["pdf", "heic", "over-20-MB"],
)
async def test_unusable_documents_get_a_specific_answer(
    bot: BotHarness, fields: dict[str, Any], expected: str
) -> None:
    chat = bot.new_user()
    doc = _document(bot, b"%PDF-1.4 not an image", **fields)
    bot.telegram.message_update(chat_id=chat, user_id=chat, document=doc, caption="edit me")

    [reply] = await bot.wait_sent(chat, "sendMessage")

    assert reply.params["text"] == expected
    assert bot.kie.tasks == {}


async def test_image_document_with_caption_is_submitted(bot: BotHarness) -> None:
    chat = bot.new_user()
    doc = _document(bot, PNG, mime_type="image/png", file_name="me.png")
    bot.telegram.message_update(chat_id=chat, user_id=chat, document=doc, caption="sketch it")

    task = await bot.submitted_task()

    assert task.input["image_input"][0].split("?")[0].endswith(".png")


async def test_file_claiming_to_be_an_image_but_is_not_is_refused(bot: BotHarness) -> None:
    chat = bot.new_user()
    doc = _document(bot, b"GIF89a-this-is-not-accepted", mime_type="image/jpeg", file_name="a.jpg")
    bot.telegram.message_update(chat_id=chat, user_id=chat, document=doc, caption="x")

    [reply] = await bot.wait_said(chat, lambda t: t != texts.WORKING())

    # The bytes are a GIF: an image, in a format the model does not take.
    assert reply.params["text"] == texts.IMAGE_FORMAT_REFUSED()
    assert bot.kie.tasks == {}


@pytest.mark.parametrize(
    ("code", "msg", "expected"),
    [
        (
            422,
            "Prompt violates content policy",
            texts.failure_text(FailureKind.REJECTED, "Prompt violates content policy"),
        ),
        (455, "maintenance", texts.failure_text(FailureKind.MAINTENANCE)),
        (500, "server error", texts.failure_text(FailureKind.FAILED)),
        (429, "rate limited", texts.failure_text(FailureKind.BUSY)),
    ],
    ids=["content-policy", "maintenance", "server-error-after-retries", "rate-limit-exhausted"],
)
async def test_provider_refusal_at_submit_is_explained(
    bot: BotHarness, code: int, msg: str, expected: str
) -> None:
    chat = bot.new_user()
    bot.kie.fail_next_create(code, msg, times=3)
    bot.send_photo(chat, caption="anything")

    said = await bot.wait_said(chat, lambda t: t == expected)

    assert len(said) == 1


async def test_rate_limit_is_retried_then_succeeds(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.kie.fail_next_create(429, "rate limited", times=1)
    bot.send_photo(chat, caption="retry me")

    task = await bot.submitted_task()

    creates = [r for r in bot.kie.requests if r.path == "/api/v1/jobs/createTask"]
    assert len(creates) == 2
    assert task.input["prompt"] == "retry me"


async def test_no_credits_tells_user_unavailable_and_alerts_admins_once(bot: BotHarness) -> None:
    user_a, user_b = bot.new_user(), bot.new_user()
    bot.kie.credits = 0
    bot.send_photo(user_a, caption="one")
    bot.send_photo(user_b, caption="two")

    unavailable = texts.failure_text(FailureKind.NO_CREDITS)
    await bot.wait_said(user_a, lambda t: t == unavailable)
    await bot.wait_said(user_b, lambda t: t == unavailable)
    [alert] = await bot.wait_sent(4242, "sendMessage")
    assert "credits" in alert.params["text"]
    assert len(bot.telegram.sent_messages(4242)) == 1
