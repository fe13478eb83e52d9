"""The chat page in a real browser (Debian's Chromium, driven by Playwright) against
`photobot sandbox` run as a child process: a captioned photo, a style button, a song, a video,
HTML that stays text, and /stats for the admin; the Indonesian bot through Budi's phone, an
empty chat's description and Start button, and a switch of app language. Saves screenshots in
test-artifacts/."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.locales import speaking
from bot.models.spec import Capability
from tests.conftest import free_port
from tests.harness import eventually
from tests.sandbox.driver import PHOTO
from tests.sandbox.test_command import bare_env, health

CHROMIUM = "/usr/bin/chromium"  # Debian's package
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RESULT_WAIT_MS = 20_000
# Bot messages deleted from the chat (status messages), however briefly they were shown; an
# edit replaces a node too, but only a deletion marks it "gone".
WATCH_STATUS_MESSAGES = """() => {
  window.removedBotTexts = [];
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.removedNodes)
      if (node.classList && node.classList.contains("bot") && node.classList.contains("gone"))
        window.removedBotTexts.push(node.querySelector(".text")?.textContent || "");
  }).observe(document.getElementById("messages"), { childList: true });
}"""
INJECTED = "<img src=x onerror=\"document.title='pwned'\"><b>bold?</b>"

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    async_playwright is None or not Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is None,
    reason=f"no browser: Chromium not found at {CHROMIUM} (install Debian's `chromium` package, "
    "as .ci/run and the README's test command do where apt-get and root are available)",
)


@pytest.fixture
async def sandbox_url(tmp_path: Path) -> AsyncIterator[str]:
    """`python -m bot sandbox` on a free port, until the test ends."""
    port = free_port()
    log = (tmp_path / "sandbox.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(port),
        env=bare_env(tmp_path), cwd=tmp_path, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        await eventually(lambda: health(port), within=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        log.close()


@pytest.fixture
async def page(sandbox_url: str) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            await tab.goto(sandbox_url + "/")
            yield tab
            assert errors == []
        finally:
            await browser.close()


async def send_photo(page: Page, path: Path, caption: str = "") -> None:
    await page.set_input_files("#attach-input", str(path))
    await page.fill("#caption-input", caption)
    await page.click("#send-files")


async def say(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")


async def confirm_price(page: Page, price: int) -> None:
    """Press Start under the bot's question about a job's price."""
    start = page.locator(".msg.bot .keyboard button", has_text=texts.PRICE_START(
        price=texts.credits(price)))  # fmt: skip
    await expect(start.last).to_be_visible(timeout=RESULT_WAIT_MS)
    await start.last.click()


def indonesian(message: Any) -> str:
    with speaking("id"):
        return str(message())


async def playable(page: Page, selector: str) -> Any:
    """Waits until the browser has read the media's length: it can play the file."""
    await page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every(m => m.readyState >= 1 && m.duration > 0)"
        " && document.querySelectorAll(s).length > 0",
        arg=selector,
        timeout=RESULT_WAIT_MS,
    )
    return await page.eval_on_selector_all(selector, "ms => ms.map(m => m.duration)")


async def test_a_chat_in_the_browser(page: Page, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PHOTO)
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await expect(page.locator("#me")).to_have_text("you are Ben")

    # A captioned photo: a status message, then the result, and the status message removed.
    await page.evaluate(WATCH_STATUS_MESSAGES)
    await send_photo(page, photo, f"make it neon {INJECTED}")
    await expect(page.locator(".msg.user img.photo")).to_have_count(1)
    await expect(bot.locator("img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)
    await page.wait_for_function("() => window.removedBotTexts.length > 0", timeout=RESULT_WAIT_MS)
    [status] = await page.evaluate("window.removedBotTexts")
    assert status.startswith(("Working on it", "Generating")), status
    await expect(bot.filter(has_text=status)).to_have_count(0)
    # The caption's HTML is shown as typed, never run or rendered.
    await expect(page.locator(".msg.user .caption")).to_have_text(f"make it neon {INJECTED}")
    assert await page.locator('img[src="x"], .bubble b').count() == 0
    assert await page.title() == "Photobot sandbox"

    # A photo alone: a keyboard of styles; pressing one starts the job.
    await send_photo(page, photo)
    keyboard = bot.filter(has_text=texts.PICK_STYLE()).locator(".keyboard button")
    await expect(keyboard.first).to_be_visible(timeout=RESULT_WAIT_MS)
    await keyboard.first.click()
    await expect(bot.locator("img.photo")).to_have_count(2, timeout=RESULT_WAIT_MS)

    # A song: two tracks the browser can play; a video it can play too. Each costs more than
    # an image, so its price is confirmed first.
    await say(page, "/music a happy song about cats")
    await confirm_price(page, 8)
    await expect(bot.locator("audio")).to_have_count(2, timeout=RESULT_WAIT_MS)
    assert all(seconds > 5 for seconds in await playable(page, ".msg.bot audio"))
    await say(page, "/video a cat surfing")
    await confirm_price(page, 10)
    await expect(bot.locator("video")).to_have_count(1, timeout=RESULT_WAIT_MS)
    assert [round(s) for s in await playable(page, ".msg.bot video")] == [4]

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-chat.png"), animations="disabled")

    # The admin sees /stats, counting Ben's four jobs.
    await page.click('.user-switch[data-user="1001"]')
    await expect(page.locator(".msg")).to_have_count(0)
    await say(page, "/stats")
    stats = bot.filter(has_text="Photobot stats")
    await expect(stats).to_be_visible(timeout=RESULT_WAIT_MS)
    await expect(stats).to_contain_text("Succeeded: 4")
    await page.screenshot(path=str(ARTIFACTS / "sandbox-stats.png"), animations="disabled")


async def test_the_indonesian_bot_in_the_browser(page: Page) -> None:
    bot_texts = page.locator(".msg.bot .text, .msg.bot .caption")
    budi_language = page.locator('select.language[data-user="1004"]')
    await expect(budi_language).to_have_value("id")  # Budi's phone speaks Indonesian
    await page.click('.user-switch[data-user="1004"]')
    await expect(page.locator("#me")).to_have_text("you are Budi")

    # An empty chat, as Telegram shows it: the bot's description in Budi's language, and START.
    await expect(page.locator("#intro .intro-text")).to_have_text(indonesian(texts.DESCRIPTION))
    await expect(page.locator("#intro .intro-head")).to_have_text(
        "Apa yang bisa dilakukan bot ini?"
    )
    await expect(page.locator("#start-button")).to_have_text("MULAI")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-empty-chat.png"), animations="disabled")
    await page.click("#start-button")
    await expect(page.locator(".msg.user .text")).to_have_text("/start")
    await expect(bot_texts.first).to_have_text(indonesian(texts.START), timeout=RESULT_WAIT_MS)
    await expect(page.locator("#intro")).to_have_count(0)
    await expect(page.locator("#start-bar")).to_be_hidden()
    await say(page, "/imagine kucing oranye berselancar di pantai")
    await expect(page.locator(".msg.bot img.photo")).to_have_count(1, timeout=RESULT_WAIT_MS)
    imagined = texts.DONE_BY_CAPABILITY[Capability.TEXT_TO_IMAGE]
    await expect(bot_texts.last).to_have_text(indonesian(imagined))
    await page.screenshot(path=str(ARTIFACTS / "sandbox-indonesian.png"), animations="disabled")

    # Budi's phone switched to English: the bot answers in English, and a reload keeps it.
    await budi_language.select_option("en")
    await say(page, "/start")
    await expect(bot_texts.last).to_have_text(texts.START(), timeout=RESULT_WAIT_MS)
    await page.reload()
    await expect(budi_language).to_have_value("en")

    # A new user's phone in another language: the bot's description for all, the app's START.
    await page.select_option("#new-user-language", "de")
    await page.click("#new-user")
    await expect(page.locator("#me")).to_have_text("you are Guest 1005")
    await expect(page.locator("#intro .intro-text")).to_have_text(texts.DESCRIPTION())
    await expect(page.locator("#start-button")).to_have_text("STARTEN")
    await page.locator('select.language[data-user="1005"]').select_option("id")
    await expect(page.locator("#intro .intro-text")).to_have_text(indonesian(texts.DESCRIPTION))
    await expect(page.locator("#start-button")).to_have_text("MULAI")
