"""A provider's failure reason reaches users as plain, printable text: no links, no handles."""

from __future__ import annotations

import unicodedata

from bot import texts
from tests.harness import BotHarness

HOSTILE_REASON = (
    "Refused\x00\x07 \x1b[31mred\x1b[0m \u202eevil\u202c zero\u200bwidth; appeal at "
    "support.example.com/appeal, t.me/kie_support or @kie_admin, https://kie.ai/x?token=1 "
    + "very long "
    * 80
)


async def test_a_hostile_refusal_reason_is_shown_as_plain_short_text(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="something forbidden")
    task = await bot.submitted_task()
    body = {
        "code": 422, "msg": "failed",
        "data": {"taskId": task.task_id, "state": "fail", "failCode": "422",
                 "failMsg": HOSTILE_REASON},
    }  # fmt: skip

    await bot.kie.send_callback(task.task_id, body=body)

    [said] = await bot.wait_said(chat, lambda t: t.startswith("The image service refused"))
    text = said.params["text"]
    assert "Refused red evil zerowidth; appeal at" in text
    assert not [c for c in text if unicodedata.category(c)[0] == "C" and c != "\n"]
    for leak in ("example.com", "t.me", "@", "://", "kie.ai", "token"):
        assert leak not in text
    assert len(text) < len(texts.FAILURE_BY_KIND["rejected"]()) + texts.MAX_REASON_CHARS
