"""Credits in the sandbox's chat page, in a real browser: /balance shows a newcomer's free
credits, a video asks for its price first, Not now spends nothing and Start starts it."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot import texts
from bot.locales import speaking
from tests.sandbox.test_browser import (  # noqa: F401 - fixtures, and the browser's skip rule
    ARTIFACTS,
    RESULT_WAIT_MS,
    confirm_price,
    page,
    pytestmark,
    sandbox_url,
    say,
)

FREE = 40  # the sandbox's free credits
GROK = 10  # /video with the default engine


async def test_prices_and_balance_in_the_browser(page: Page) -> None:  # noqa: F811
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1003"]')

    await say(page, "/balance")
    await expect(bot.filter(has_text=texts.BALANCE(credits=texts.credits(FREE)))).to_have_count(
        1, timeout=RESULT_WAIT_MS
    )

    # A video costs more than an image: the question first; Not now spends nothing.
    await say(page, "/video a cat surfing")
    question = bot.filter(has_text=texts.price_confirm(GROK, FREE))
    await expect(question).to_have_count(1, timeout=RESULT_WAIT_MS)
    await question.locator(".keyboard button", has_text=texts.PRICE_NOT_NOW()).click()
    await expect(bot.filter(has_text=texts.PRICE_DECLINED())).to_have_count(1)

    # Asked again and started: the video comes, and /balance shows what it cost.
    await say(page, "/video a cat surfing")
    await confirm_price(page, GROK)
    await expect(bot.locator("video")).to_have_count(1, timeout=RESULT_WAIT_MS)
    await say(page, "/balance")
    left = bot.filter(has_text=texts.BALANCE(credits=texts.credits(FREE - GROK)))
    await expect(left).to_have_count(1, timeout=RESULT_WAIT_MS)
    await expect(left).to_contain_text("Grok Imagine")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-credits.png"), animations="disabled")


async def test_the_price_question_in_indonesian(page: Page) -> None:  # noqa: F811
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1004"]')  # Budi's phone speaks Indonesian
    await say(page, "/music lagu riang tentang kucing")
    with speaking("id"):
        asked, start = texts.price_confirm(8, FREE), texts.PRICE_START(price=texts.credits(8))
    await expect(bot.filter(has_text=asked)).to_have_count(1, timeout=RESULT_WAIT_MS)
    await bot.locator(".keyboard button", has_text=start).click()
    await expect(bot.locator("audio")).to_have_count(2, timeout=RESULT_WAIT_MS)


async def test_buying_credits_with_stars_in_the_browser(page: Page) -> None:  # noqa: F811
    bot = page.locator(".msg.bot")
    await page.click('.user-switch[data-user="1002"]')
    await say(page, "/buy")
    pay = page.locator("[data-pay]")
    await expect(pay).to_have_count(2, timeout=RESULT_WAIT_MS)  # the sandbox's two packages
    await expect(bot.first).to_contain_text(texts.credits(100))

    await pay.first.click()  # 50 Stars for 100 credits, paid as Telegram would
    thanks = texts.PAYMENT_CREDITED(credits="100", balance=str(FREE + 100))
    await expect(bot.filter(has_text=thanks)).to_have_count(1, timeout=RESULT_WAIT_MS)
    await say(page, "/balance")
    shown = bot.filter(has_text=texts.BALANCE(credits=texts.credits(FREE + 100)))
    await expect(shown).to_have_count(1, timeout=RESULT_WAIT_MS)
    await expect(shown).to_contain_text(texts.entry_reason("buy"))
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-buy.png"), animations="disabled")
