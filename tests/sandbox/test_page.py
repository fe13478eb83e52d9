"""The chat page's API under attack: other hosts and sites, huge or odd uploads, HTML files,
ranges, and many users; each refusal says why and pushes nothing to the bot. And each user's
Telegram app language: picked on the page, carried by every update, shown in an empty chat."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import texts
from bot.locales import speaking
from bot.sandbox.feed import MAX_CHATS
from bot.sandbox.page import API, PAGE_HEADER
from bot.sandbox.uploads import MAX_UPLOAD_BYTES
from tests.harness import eventually
from tests.sandbox.driver import (
    ANN,
    BEN,
    BUDI,
    PHOTO,
    VIDEO,
    Event,
    SandboxClient,
    bot_said,
    running_sandbox,
)

GUEST = 5005


@pytest.fixture
async def sandbox(tmp_path: Path) -> SandboxClient:
    async with running_sandbox(tmp_path / "data") as client:
        yield client  # type: ignore[misc]


def mine(events: list[Event]) -> list[Event]:
    """The messages the page's user sent."""
    return [e for e in events if e["type"] == "message" and not e["from_bot"]]


def updates_pushed(sandbox: SandboxClient) -> int:
    return sandbox.emulators.telegram._next_update_id - 1


@pytest.fixture
def pushed(sandbox: SandboxClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every update the page pushes to the bot, as pushed."""
    telegram = sandbox.emulators.telegram
    seen: list[Any] = []
    push = telegram.push_update

    def recording(update: dict[str, Any]) -> int:
        seen.append(copy.deepcopy(update))
        return push(update)

    monkeypatch.setattr(telegram, "push_update", recording)
    yield seen


def indonesian(message: Any) -> str:
    with speaking("id"):
        return str(message())


def languages_of(config: Any) -> dict[int, str]:
    return {user["id"]: user["language_code"] for user in config["users"]}


async def test_the_page_is_served_with_a_strict_content_policy(sandbox: SandboxClient) -> None:
    status, html, headers = await sandbox.file("/")
    js_status, _, js_headers = await sandbox.file("/sandbox/static/chat.js")

    assert status == 200 and b'id="messages"' in html
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert js_status == 200 and js_headers["Content-Type"].startswith("text/javascript")
    assert (await sandbox.file("/sandbox/static/../run.py"))[0] == 404


async def test_another_host_name_is_refused(sandbox: SandboxClient) -> None:
    status, body, _ = await sandbox.file("/", Host="evil.example:80")
    assert (status, body) == (403, b"unknown host")


async def test_a_post_without_the_page_header_is_refused(sandbox: SandboxClient) -> None:
    async with sandbox.http.post(f"{sandbox.url}{API}/messages", json={"user": BEN, "text": "hi"}
                                 ) as answer:  # fmt: skip
        assert answer.status == 403
    assert updates_pushed(sandbox) == 0


async def test_an_upload_over_the_limit_is_refused_and_nothing_reaches_the_bot(
    sandbox: SandboxClient,
) -> None:
    big = b"\xff\xd8\xff" + bytes(MAX_UPLOAD_BYTES)
    status, answer = await sandbox.send_files(BEN, [("huge.jpg", big)], "too big")

    assert status == 413
    assert answer == {"ok": False, "error": "uploads are limited to 30 MB at once in the sandbox"}
    assert updates_pushed(sandbox) == 0


async def test_eleven_files_are_refused(sandbox: SandboxClient) -> None:
    status, answer = await sandbox.send_files(BEN, [("p.png", PHOTO)] * 11)
    assert (status, answer["error"]) == (400, "at most 10 files at once")
    assert updates_pushed(sandbox) == 0


async def test_a_photo_over_telegrams_download_limit_gets_the_bots_answer(
    sandbox: SandboxClient,
) -> None:
    big = PHOTO + bytes(21 * 1024 * 1024)
    status, _ = await sandbox.send_files(BEN, [("big.png", big)], "make it neon")

    assert status == 200
    await sandbox.wait_for(BEN, bot_said("20 MB"))


async def test_an_album_is_one_group_with_the_caption_on_its_first_photo(
    sandbox: SandboxClient,
) -> None:
    await sandbox.send_files(BEN, [("a.png", PHOTO), ("b.png", PHOTO), ("c.mp4", VIDEO)], "all")
    sent = mine(await sandbox.events(BEN))

    assert [bool(e.get("photo")) for e in sent] == [True, True, False]
    assert sent[2]["video"]["duration"] == 4
    assert len({e["album"] for e in sent}) == 1 and sent[0]["album"]
    assert [e["caption"] for e in sent] == ["all", None, None]


async def test_an_uploaded_html_file_is_a_download_never_a_page(sandbox: SandboxClient) -> None:
    html = b"<html><script>alert(document.cookie)</script></html>"
    await sandbox.send_files(BEN, [("<b>x</b>.html", html)])
    [sent] = mine(await sandbox.events(BEN))
    status, body, headers = await sandbox.file(sent["document"]["url"])

    name = sent["document"]["name"]
    assert name.endswith(".html") and not set(name) & set("<>/%")
    assert status == 200 and body == html
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == "attachment"
    assert "sandbox" in headers["Content-Security-Policy"]


async def test_html_in_a_message_reaches_the_bot_and_the_page_as_plain_text(
    sandbox: SandboxClient,
) -> None:
    text = "/imagine <script>alert(1)</script> & <b>bold</b>"
    await sandbox.say(BEN, text)
    await sandbox.wait_for(BEN, lambda e: bool(e.get("photo")))
    [sent] = mine(await sandbox.events(BEN))

    assert sent["text"] == text
    [task] = sandbox.emulators.kie.tasks.values()
    assert task.input["prompt"] == "<script>alert(1)</script> & <b>bold</b>"


async def test_video_can_be_fetched_in_ranges_for_seeking(sandbox: SandboxClient) -> None:
    await sandbox.send_files(BEN, [("v.mp4", VIDEO)])
    [sent] = mine(await sandbox.events(BEN))
    url = sent["video"]["url"]

    status, part, headers = await sandbox.file(url, Range="bytes=10-19")
    tail_status, tail, _ = await sandbox.file(url, Range="bytes=-5")
    past_status, _, _ = await sandbox.file(url, Range=f"bytes={len(VIDEO)}-")

    assert (status, part, headers["Content-Range"]) == (
        206,
        VIDEO[10:20],
        f"bytes 10-19/{len(VIDEO)}",
    )
    assert (tail_status, tail) == (206, VIDEO[-5:])
    assert past_status == 416


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"user": BEN, "text": "   "}, "type a message first"),
        ({"user": BEN, "text": "x" * 4097}, "a message takes at most 4096 characters"),
    ],
)
async def test_empty_or_overlong_messages_are_refused(
    sandbox: SandboxClient, body: dict[str, object], error: str
) -> None:
    async with sandbox.http.post(f"{sandbox.url}{API}/messages", json=body,
                                 headers={PAGE_HEADER: "1"}) as answer:  # fmt: skip
        assert (answer.status, (await answer.json())["error"]) == (400, error)
    assert updates_pushed(sandbox) == 0


@pytest.mark.parametrize("user", ["0", "-5", "abc", "10000000000", "1e3"])
async def test_odd_user_ids_are_refused(sandbox: SandboxClient, user: str) -> None:
    async with sandbox.http.get(f"{sandbox.url}{API}/events?chat={user}&after=0") as answer:
        assert answer.status == 400


async def test_many_users_at_once_each_get_their_own_answer(sandbox: SandboxClient) -> None:
    users = list(range(20_000, 20_000 + MAX_CHATS + 50))
    answers = await asyncio.gather(*(sandbox.say(user, "/help") for user in users))
    assert all(status == 200 for status, _ in answers)

    telegram = sandbox.emulators.telegram
    answered = await telegram.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] in users, count=len(users),
        timeout=60,
    )  # fmt: skip
    for user in users[-40:]:
        await sandbox.wait_for(user, bot_said("/imagine"), within_s=60)
    # The page keeps the most recent chats; the oldest were forgotten, the bot kept going. A
    # chat's last event is the bot's answer, and concurrent updates are answered in any order:
    # the chat answered first is the one forgotten for sure.
    assert await sandbox.events(answered[0].params["chat_id"]) == []


async def test_a_press_on_a_message_that_is_gone_is_refused(sandbox: SandboxClient) -> None:
    status, answer = await sandbox.press(BEN, 999, "style:1")
    assert (status, answer["error"]) == (404, "that message is gone")


async def test_the_feed_long_polls_until_something_happens(sandbox: SandboxClient) -> None:
    url = f"{sandbox.url}{API}/events?chat={BEN}&after=0&wait=1"
    async with aiohttp.ClientSession() as http:
        waiting = asyncio.create_task(http.get(url))
        await sandbox.say(BEN, "hello")
        async with await asyncio.wait_for(waiting, 10) as answer:
            events = (await answer.json())["events"]
    assert events and events[0]["text"] == "hello"


async def test_a_waiting_long_poll_ends_at_shutdown(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        async with running_sandbox(tmp_path / "data") as sandbox:
            url = f"{sandbox.url}{API}/events?chat={BEN}&after=0&wait=1"
            waiting = asyncio.create_task(http.get(url))
            await eventually(lambda: sandbox.feed.waiting == 1)
            started = time.monotonic()
        async with await asyncio.wait_for(waiting, 10) as answer:
            assert (answer.status, await answer.json()) == (200, {"events": []})
    assert time.monotonic() - started < 5  # not the 25 s a long poll lasts


async def test_each_user_has_an_app_language_and_budi_s_is_indonesian(
    sandbox: SandboxClient,
) -> None:
    config = await sandbox.config()

    assert [(u["name"], u["admin"], u["language_code"]) for u in config["users"]] == [
        ("Ann", True, "en"), ("Ben", False, "en"), ("Cleo", False, "en"), ("Budi", False, "id"),
    ]  # fmt: skip
    assert [(lang["code"], lang["name"], lang["start"]) for lang in config["languages"]] == [
        ("en", "English", "START"), ("id", "Bahasa Indonesia", "MULAI"),
        ("de", "Other (de)", "STARTEN"),
    ]  # fmt: skip


async def test_a_language_switch_is_kept_on_the_server_for_the_next_page_load(
    sandbox: SandboxClient,
) -> None:
    status, answer = await sandbox.pick_language(BEN, "id")
    guest_status, _ = await sandbox.pick_language(GUEST, "de")

    assert (status, answer) == (200, {"ok": True, "language_code": "id"})
    assert guest_status == 200
    assert languages_of(await sandbox.config()) == {1001: "en", BEN: "id", 1003: "en", BUDI: "id"}
    assert (await sandbox.description(GUEST))["language_code"] == "de"


@pytest.mark.parametrize("code", ["xx", "", "EN", "id-ID", None, 5, ["id"]])
async def test_an_unknown_app_language_is_refused_and_changes_nothing(
    sandbox: SandboxClient, code: object
) -> None:
    status, answer = await sandbox.pick_language(BUDI, code)

    assert (status, answer) == (400, {"ok": False, "error": "app languages here are en, id, de"})
    assert languages_of(await sandbox.config())[BUDI] == "id"
    assert (await sandbox.description(BUDI))["language_code"] == "id"


async def test_a_language_switch_from_another_site_is_refused(sandbox: SandboxClient) -> None:
    body = {"user": BUDI, "language_code": "en"}
    async with sandbox.http.post(f"{sandbox.url}{API}/languages", json=body) as answer:
        assert answer.status == 403
    assert languages_of(await sandbox.config())[BUDI] == "id"


async def test_an_empty_chat_shows_what_the_bot_set_for_the_users_language(
    sandbox: SandboxClient,
) -> None:
    await sandbox.pick_language(GUEST, "de")
    english, bahasa = texts.DESCRIPTION(), indonesian(texts.DESCRIPTION)

    assert await sandbox.description(BUDI) == {"language_code": "id", "description": bahasa}
    assert await sandbox.description(ANN) == {"language_code": "en", "description": english}
    # Telegram's fallback for a language the bot set nothing for: the description for all.
    assert await sandbox.description(GUEST) == {"language_code": "de", "description": english}
    assert bahasa != english and bahasa == sandbox.emulators.telegram.descriptions["id"]
    await sandbox.pick_language(BUDI, "en")
    assert (await sandbox.description(BUDI))["description"] == english


async def test_messages_files_and_presses_carry_the_users_app_language(
    sandbox: SandboxClient, pushed: list[Any]
) -> None:
    async def photo_and_press(nth: int) -> None:
        """A photo alone, then a press on the style keyboard the bot offers for it."""
        await sandbox.send_files(BUDI, [("p.png", PHOTO)])
        offers = await sandbox.wait_for(BUDI, lambda e: bool(e.get("keyboard")), count=nth)
        style = offers[-1]["keyboard"][0][0]["data"]
        assert (await sandbox.press(BUDI, offers[-1]["id"], style))[0] == 200

    await sandbox.say(BUDI, "/start")
    await sandbox.wait_for(BUDI, bot_said(indonesian(texts.START)))
    await photo_and_press(1)
    await sandbox.pick_language(BUDI, "en")
    await sandbox.say(BUDI, "/start")
    await sandbox.wait_for(BUDI, bot_said(texts.START()))
    await photo_and_press(2)

    def sent_as(update: dict[str, Any]) -> tuple[str, str, str]:
        [(kind, body)] = [(k, v) for k, v in update.items() if k != "update_id"]
        return kind, body["from"]["first_name"], body["from"].get("language_code")

    assert [sent_as(u) for u in pushed] == [
        ("message", "Budi", "id"), ("message", "Budi", "id"), ("callback_query", "Budi", "id"),
        ("message", "Budi", "en"), ("message", "Budi", "en"), ("callback_query", "Budi", "en"),
    ]  # fmt: skip
