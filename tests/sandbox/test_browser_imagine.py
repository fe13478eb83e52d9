"""The Imagine button in the sandbox's chat page, in a real browser: a plain text is offered as
an image from words, the press makes it, and the result says what it is and what to send next.
Reuses test_browser.py's sandbox, browser and helpers."""

from __future__ import annotations

from bot import texts
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from tests.sandbox.test_browser import (
    ARTIFACTS,
    RESULT_WAIT_MS,
    WATCH_STATUS_MESSAGES,
    Page,
    expect,
    page,
    pytestmark,
    sandbox_url,
    say,
)

__all__ = ["page", "pytestmark", "sandbox_url"]  # the fixtures and skip rule, reused


async def test_a_plain_text_is_imagined_at_a_press(page: Page) -> None:
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await expect(page.locator("#me")).to_have_text("you are Ben")
    await page.evaluate(WATCH_STATUS_MESSAGES)

    await say(page, "a lighthouse in a storm at night")

    offer = bot.filter(has_text=texts.IMAGINE_OFFER())
    await expect(offer).to_have_count(1, timeout=RESULT_WAIT_MS)
    button = offer.locator(".keyboard button")
    await expect(button).to_have_text(texts.IMAGINE_BUTTON())
    await expect(bot.locator("img.photo")).to_have_count(0)  # nothing made before the press
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-imagine-offer.png"), animations="disabled")

    await button.click()

    await expect(bot.locator("img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)
    caption = texts.done(MediaKind.IMAGE, Capability.TEXT_TO_IMAGE)
    await expect(bot.locator(".caption").last).to_have_text(caption)
    # The offer became the status message, which went once the image was out.
    await page.wait_for_function("() => window.removedBotTexts.length > 0", timeout=RESULT_WAIT_MS)
    await expect(bot.filter(has_text=texts.IMAGINE_OFFER())).to_have_count(0)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-imagined.png"), animations="disabled")
