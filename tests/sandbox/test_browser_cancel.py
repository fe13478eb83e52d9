"""Cancel and /jobs in the sandbox's chat page, in a real browser: a song's status message
carries a Cancel button that stops it, and /jobs lists a running song with its own button."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot import texts
from tests.sandbox.test_browser import (  # noqa: F401 - fixtures, and the browser's skip rule
    RESULT_WAIT_MS,
    confirm_price,
    page,
    pytestmark,
    sandbox_url,
    say,
)


async def test_cancel_and_jobs_in_the_browser(page: Page) -> None:  # noqa: F811
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await expect(page.locator("#me")).to_have_text("you are Ben")

    # A song takes a few seconds in the sandbox: its status message's Cancel stops it.
    await say(page, "/music a slow song about rain")
    await confirm_price(page, 8)
    cancel = bot.locator(".keyboard button", has_text=texts.CANCEL_BUTTON())
    await expect(cancel).to_have_count(1, timeout=RESULT_WAIT_MS)
    await cancel.click()
    await expect(page.locator("#toast")).to_have_text(texts.CANCEL_PRESSED())
    await expect(bot.filter(has_text=texts.JOB_CANCELLED())).to_have_count(1)
    await expect(bot.locator(".keyboard button")).to_have_count(0)

    # /jobs lists the next song with a numbered Cancel; pressing it empties the list.
    await say(page, "/music a happy song about cats")
    await confirm_price(page, 8)
    await expect(cancel).to_have_count(1, timeout=RESULT_WAIT_MS)
    await say(page, "/jobs")
    listing = bot.filter(has_text=texts.JOBS_TITLE())
    await expect(listing).to_contain_text("1) Your song, ", timeout=RESULT_WAIT_MS)
    await listing.locator(".keyboard button", has_text=texts.CANCEL_NUMBERED(number="1")).click()
    await expect(bot.filter(has_text=texts.JOBS_NONE())).to_have_count(1)
    await expect(bot.filter(has_text=texts.JOB_CANCELLED())).to_have_count(2)

    await say(page, "/jobs")
    await expect(bot.filter(has_text=texts.JOBS_NONE())).to_have_count(2)
    assert await bot.locator("audio").count() == 0  # neither song was sent
