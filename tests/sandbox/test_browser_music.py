"""In the browser: a song's first track appears (captioned that the second is coming) before the
second, each once; and the /settings row "Video quality", which says "Sora only" while the
engine is Grok. Reuses test_browser.py's sandbox, page and helpers."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot import texts
from bot.media.kinds import MediaKind
from bot.models import REGISTRY
from tests.sandbox.test_browser import (  # noqa: F401 - fixtures used by name
    ARTIFACTS,
    RESULT_WAIT_MS,
    confirm_price,
    page,
    playable,
    pytestmark,
    sandbox_url,
    say,
)


async def test_the_first_track_shows_before_the_second(page: Page) -> None:  # noqa: F811
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await say(page, "/music a sea shanty about a cat")
    await confirm_price(page, 8)

    early = bot.filter(has=page.locator("audio")).filter(
        has_text=texts.early_caption(MediaKind.AUDIO)
    )
    await expect(early).to_have_count(1, timeout=RESULT_WAIT_MS)
    await expect(bot.locator("audio")).to_have_count(2, timeout=RESULT_WAIT_MS)
    done = bot.filter(has=page.locator("audio")).filter(has_text=texts.done(MediaKind.AUDIO))
    await expect(done).to_have_count(1)
    await expect(early).to_have_count(1)  # the first track went out once
    assert all(seconds > 5 for seconds in await playable(page, ".msg.bot audio"))
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-music-sooner.png"), animations="disabled")


async def test_the_video_quality_row_in_the_browser(page: Page) -> None:  # noqa: F811
    note = REGISTRY.setting("video_quality").not_applying
    assert note is not None
    await page.click('.user-switch[data-user="1003"]')
    await say(page, "/settings")
    keyboard = page.locator(".msg.bot .keyboard button")
    row = keyboard.filter(has_text="Video quality")
    await expect(row).to_have_text("Video quality: standard (Sora only)", timeout=RESULT_WAIT_MS)
    await row.click()
    await keyboard.filter(has_text="pro").first.click()
    await expect(row).to_have_text(f"Video quality: pro ({note()})", timeout=RESULT_WAIT_MS)
    # With the Sora engine the row applies, and says no more.
    await keyboard.filter(has_text="Video engine").click()
    await keyboard.filter(has_text="sora").first.click()
    await expect(row).to_have_text("Video quality: pro", timeout=RESULT_WAIT_MS)
