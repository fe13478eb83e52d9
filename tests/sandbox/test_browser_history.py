"""/history and Run again in the sandbox's chat page, in a real browser: an empty history says
what to do, a job shows up with its outcome, Run again makes it again, a page of the list is
for its owner only. Saves a screenshot in test-artifacts/."""

from __future__ import annotations

from bot import texts
from tests.sandbox.test_browser import (
    ARTIFACTS,
    RESULT_WAIT_MS,
    Page,
    expect,
    page,
    pytestmark,
    sandbox_url,
    say,
)

__all__ = ["page", "pytestmark", "sandbox_url"]  # the fixtures and the skip, shared


async def test_history_and_run_again_in_the_browser(page: Page) -> None:
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await expect(page.locator("#me")).to_have_text("you are Ben")

    await say(page, "/history")
    empty = bot.locator(".text").last
    await expect(empty).to_have_text(texts.HISTORY_EMPTY(), timeout=RESULT_WAIT_MS)

    await say(page, "/imagine a lighthouse <b>at dusk</b>")
    await expect(bot.locator("img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)
    await say(page, "/history")
    # The list's own text, not the quote of a reply to it (Run again's answers reply to it).
    listings = bot.filter(has=page.locator(".text", has_text=texts.HISTORY_TITLE()))
    listing = listings.first
    await expect(listings).to_have_count(1, timeout=RESULT_WAIT_MS)
    await expect(listing).to_contain_text("1. Image, ")
    await expect(listing).to_contain_text("delivered")
    await expect(listing).to_contain_text("“a lighthouse <b>at dusk</b>”")  # as typed
    run_again = listing.locator(".keyboard button", has_text=texts.RUN_AGAIN(number="1"))
    await expect(run_again).to_have_count(1)

    await run_again.click()
    await expect(bot.locator("img.photo")).to_have_count(2, timeout=RESULT_WAIT_MS)
    await say(page, "/history")
    await expect(listings).to_have_count(2, timeout=RESULT_WAIT_MS)
    newest = listings.last
    await expect(newest).to_contain_text("2. Image, ")
    await expect(newest.locator(".keyboard button")).to_have_count(2)
    assert await page.locator(".bubble b").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-history.png"), animations="disabled")
