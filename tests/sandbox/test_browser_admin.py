"""The admin's tools in the sandbox's browser page (/stats with its chart, /broadcast reaching
another user's chat, /ban keeping a user out), and a user's /forget."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot import texts
from tests.sandbox.test_browser import RESULT_WAIT_MS, pytestmark, say

ANN, BEN = "1001", "1002"
__all__ = ["pytestmark"]  # the skip without a browser


async def switch_to(page: Page, user: str) -> None:
    await page.click(f'.user-switch[data-user="{user}"]')


async def test_the_admin_broadcasts_charts_and_bans_in_the_browser(page: Page) -> None:
    bot = page.locator(".msg.bot")
    await switch_to(page, BEN)
    await say(page, "/start")  # Ben has written to the bot: he is in the broadcast's audience
    await expect(bot.first).to_be_visible(timeout=RESULT_WAIT_MS)

    await switch_to(page, ANN)
    await say(page, "/stats")
    await expect(bot.locator("img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)  # the chart
    await say(page, "/broadcast")
    await expect(bot.filter(has_text=texts.BROADCAST_ASK())).to_be_visible(timeout=RESULT_WAIT_MS)
    await say(page, "New styles are in: try /imagine")
    confirm = bot.filter(has_text="That's the preview")
    await expect(confirm).to_be_visible(timeout=RESULT_WAIT_MS)
    await confirm.locator(".keyboard button", has_text=texts.BROADCAST_SEND()).click()
    await expect(bot.filter(has_text="Broadcast finished")).to_be_visible(timeout=RESULT_WAIT_MS)

    await switch_to(page, BEN)
    await expect(bot.filter(has_text="New styles are in: try /imagine")).to_have_count(1)

    await switch_to(page, ANN)
    await say(page, f"/ban {BEN}")
    await expect(bot.filter(has_text=texts.BANNED(user=BEN))).to_be_visible(timeout=RESULT_WAIT_MS)
    await switch_to(page, BEN)
    await say(page, "/imagine a fox")
    await expect(bot.filter(has_text=texts.REFUSED_BANNED())).to_be_visible(timeout=RESULT_WAIT_MS)


async def test_a_user_forgets_themself_in_the_browser(page: Page) -> None:
    bot = page.locator(".msg.bot")
    await switch_to(page, BEN)
    await say(page, "/imagine a lighthouse at dusk")
    await expect(bot.locator("img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)
    await say(page, "/forget")
    warning = bot.filter(has_text=texts.FORGET_CONFIRM())
    await expect(warning).to_be_visible(timeout=RESULT_WAIT_MS)
    await warning.locator(".keyboard button", has_text=texts.FORGET_YES()).click()
    await expect(bot.filter(has_text=texts.FORGET_JOBS(1))).to_be_visible(timeout=RESULT_WAIT_MS)
