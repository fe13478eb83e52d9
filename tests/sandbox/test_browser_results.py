"""A result's buttons in the browser: Original brings the kept file as a document, the very
bytes the photo above it was made from."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from bot import texts
from tests.sandbox.driver import PHOTO
from tests.sandbox.test_browser import (  # noqa: F401 - the fixtures and the skip rule
    ARTIFACTS,
    RESULT_WAIT_MS,
    page,
    pytestmark,
    sandbox_url,
    send_photo,
)

with contextlib.suppress(ImportError):  # without it, pytestmark skips the test
    from playwright.async_api import Page, expect

# The SHA-256 of what a URL serves, read by the page itself.
DIGEST = """async (url) => {
  const data = await (await fetch(url)).arrayBuffer();
  const hash = await crypto.subtle.digest("SHA-256", data);
  return [data.byteLength, [...new Uint8Array(hash)].map(b => b.toString(16)).join("")];
}"""


async def test_original_arrives_as_a_document(page: Page, tmp_path: Path) -> None:  # noqa: F811
    photo = tmp_path / "photo.png"
    photo.write_bytes(PHOTO)
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')

    await send_photo(page, photo, "make it neon")
    result = bot.filter(has=page.locator("img.photo"))
    await expect(result).to_have_count(1, timeout=RESULT_WAIT_MS)
    labels = result.locator(".keyboard button")
    await expect(labels).to_have_text(
        [texts.BUTTON_ORIGINAL(), texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE(),
         texts.BUTTON_AGAIN()]
    )  # fmt: skip

    # The copy is recorded before the job is closed, and the status message goes after that.
    status = re.compile(f"^({re.escape(texts.WORKING())}|{re.escape(texts.GENERATING())})")
    await expect(bot.filter(has_text=status)).to_have_count(0, timeout=RESULT_WAIT_MS)
    await result.locator(".keyboard button", has_text=texts.BUTTON_ORIGINAL()).click()
    document = bot.locator(".doc a")
    await expect(document).to_have_count(1, timeout=RESULT_WAIT_MS)
    await expect(document).to_have_text(re.compile(r"^photobot-[0-9a-f]{8}-1\.(png|jpg|webp)$"))

    shown = await page.evaluate(DIGEST, await result.locator("img.photo").get_attribute("src"))
    sent = await page.evaluate(DIGEST, await document.get_attribute("href"))
    assert sent == shown  # byte for byte the result the photo shows
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-original.png"), animations="disabled")
