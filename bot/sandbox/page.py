"""The web chat page's routes on the bot's own aiohttp server: the page itself, and a small JSON
API that turns what the page's users do into Telegram updates through the emulator."""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import web

from bot.sandbox.emulators.telegram import MAX_TEXT_LENGTH, PaymentOutcome, TelegramEmulator
from bot.sandbox.feed import ChatFeed
from bot.sandbox.languages import KNOWN_CODES, ChosenLanguages, known
from bot.sandbox.languages import as_json as languages_json
from bot.sandbox.uploads import UploadRefused, read_upload

API = "/sandbox/api"
STATIC = "/sandbox/static"
LONG_POLL_S = 25.0
MAX_USER_ID = 999_999_999
MAX_JSON_BYTES = 64 * 1024
# The page's own requests carry this header; a page on another site cannot send it without a
# CORS preflight, which this server never grants.
PAGE_HEADER = "X-Sandbox-Page"
_STATIC_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}
_INLINE_TYPES = re.compile(r"(image/(jpeg|png|webp|gif)|video/mp4|audio/(mpeg|mp4|ogg))")
_RANGE = re.compile(r"bytes=([0-9]{0,15})-([0-9]{0,15})")
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class SandboxUser:
    id: int
    name: str
    admin: bool = False
    language_code: str = "en"  # the Telegram app's language, as its updates carry it


@dataclass
class ChatPage:
    """What the routes need: the emulator to push updates into, the feed to read, the users
    and the app language each has picked."""

    telegram: TelegramEmulator
    feed: ChatFeed
    users: tuple[SandboxUser, ...]
    hosts: frozenset[str]
    _albums: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    languages: ChosenLanguages = field(init=False)

    def __post_init__(self) -> None:
        self.languages = ChosenLanguages({u.id: u.language_code for u in self.users})


CHAT_PAGE: web.AppKey[ChatPage] = web.AppKey("chat_page", ChatPage)


def add_chat_page(app: web.Application, page: ChatPage) -> None:
    app[CHAT_PAGE] = page
    app.on_shutdown.append(_end_long_polls)
    app.router.add_get("/", index)
    app.router.add_get(STATIC + "/{name}", static)
    app.router.add_get(API + "/config", config)
    app.router.add_get(API + "/description", description)
    app.router.add_post(API + "/languages", pick_language)
    app.router.add_get(API + "/events", events)
    app.router.add_post(API + "/messages", send_message)
    app.router.add_post(API + "/uploads", send_files)
    app.router.add_post(API + "/presses", press_button)
    app.router.add_post(API + "/payments", pay_invoice)
    app.router.add_get(API + "/files/{file_id}", file)


async def _end_long_polls(app: web.Application) -> None:
    app[CHAT_PAGE].feed.close()


def _page(request: web.Request, *, posting: bool = False) -> ChatPage:
    """The page's state, once the request comes from the page itself: the right Host (no DNS
    rebinding) and, for changes, the page's header (no cross-site form posts)."""
    page = request.app[CHAT_PAGE]
    if request.host not in page.hosts:
        raise web.HTTPForbidden(text="unknown host")
    if posting and request.headers.get(PAGE_HEADER) != "1":
        raise web.HTTPForbidden(text="not from the sandbox page")
    return page


async def index(request: web.Request) -> web.Response:
    _page(request)
    html = _read_static("index.html")
    return web.Response(text=html, content_type="text/html", headers=_no_sniff(_PAGE_POLICY))


async def static(request: web.Request) -> web.Response:
    _page(request)
    name = request.match_info["name"]
    if name not in _STATIC_FILES:
        raise web.HTTPNotFound()
    return web.Response(
        text=_read_static(name), content_type=_STATIC_FILES[name], headers=_no_sniff()
    )


async def config(request: web.Request) -> web.Response:
    page = _page(request)
    users = [
        {"id": u.id, "name": u.name, "admin": u.admin, "language_code": page.languages.of(u.id)}
        for u in page.users
    ]
    return web.json_response(
        {"users": users, "bot": page.telegram.bot_username, "languages": languages_json()}
    )


async def description(request: web.Request) -> web.Response:
    """What an empty chat shows the user: the bot's description for their app's language, as
    the bot set it at start (plain text: the page never parses it)."""
    page = _page(request)
    user = _user(page, request.query.get("user"))
    code = user.language_code
    return web.json_response(
        {"language_code": code, "description": page.telegram.description(code)}
    )


async def pick_language(request: web.Request) -> web.Response:
    """A user switched their Telegram app's language: their next updates carry it."""
    page = _page(request, posting=True)
    body = await _json(request)
    user = _user(page, body.get("user"))
    code = body.get("language_code")
    if not known(code):
        return _refused(f"app languages here are {', '.join(KNOWN_CODES)}")
    page.languages.pick(user.id, code)
    page.telegram.set_user_language(user.id, code, first_name=user.name)
    return web.json_response({"ok": True, "language_code": code})


async def events(request: web.Request) -> web.Response:
    page = _page(request)
    chat_id = _user_id(request.query.get("chat"))
    after = _int(request.query.get("after"), "after")
    wait_s = LONG_POLL_S if request.query.get("wait") == "1" else 0.0
    found = await page.feed.wait(chat_id, after, wait_s)
    return web.json_response({"events": found})


async def send_message(request: web.Request) -> web.Response:
    page = _page(request, posting=True)
    body = await _json(request)
    user = _user(page, body.get("user"))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return _refused("type a message first")
    if len(text) > MAX_TEXT_LENGTH:
        return _refused(f"a message takes at most {MAX_TEXT_LENGTH} characters")
    update = page.telegram.message_update(
        chat_id=user.id,
        user_id=user.id,
        text=text,
        first_name=user.name,
        language_code=user.language_code,
    )
    page.feed.add_user_message(update["message"])
    return web.json_response({"ok": True, "id": update["message"]["message_id"]})


async def send_files(request: web.Request) -> web.Response:
    page = _page(request, posting=True)
    try:
        form = await read_upload(request)
    except UploadRefused as exc:
        return _refused(str(exc), status=exc.status)
    user = _user(page, form.user)
    if not form.files:
        return _refused("choose a file first")
    album = None
    if len(form.files) > 1 and all(f.kind != "document" for f in form.files):
        album = f"sandbox-{next(page._albums)}"
    for number, upload in enumerate(form.files):
        file_id, _ = page.telegram.add_file(upload.data, file_path_suffix=upload.extension)
        media: dict[str, Any] = {}
        if upload.kind == "photo":
            media["photo_file_id"] = file_id
        elif upload.kind == "video":
            media.update(video_file_id=file_id, video_duration=upload.duration_s)
        else:
            media["document"] = {
                "file_id": file_id,
                "file_name": upload.name,
                "mime_type": upload.mime_type,
            }
        update = page.telegram.message_update(
            chat_id=user.id,
            user_id=user.id,
            first_name=user.name,
            language_code=user.language_code,
            media_group_id=album,
            caption=(form.caption or None) if number == 0 else None,
            **media,
        )
        page.feed.add_user_message(update["message"])
    return web.json_response({"ok": True})


async def press_button(request: web.Request) -> web.Response:
    page = _page(request, posting=True)
    body = await _json(request)
    user = _user(page, body.get("user"))
    data, message_id = body.get("data"), body.get("message_id")
    if not isinstance(data, str) or not isinstance(message_id, int):
        return _refused("a press names a message and its button's data")
    # A press carries the emulator's stored user: make it this one, in their latest language.
    page.telegram.set_user_language(user.id, user.language_code, first_name=user.name)
    try:
        update = page.telegram.callback_query_update(
            chat_id=user.id, user_id=user.id, data=data, message_id=message_id
        )
    except LookupError:
        return _refused("that message is gone", status=404)
    page.feed.expect_answer(update["callback_query"]["id"], user.id)
    return web.json_response({"ok": True})


async def pay_invoice(request: web.Request) -> web.Response:
    """The user pressed an invoice's Pay button: Telegram asks the bot (pre-checkout) and,
    if it agrees, the user's payment shows in the chat; a refusal shows the bot's reason."""
    page = _page(request, posting=True)
    body = await _json(request)
    user = _user(page, body.get("user"))
    message_id = body.get("message_id")
    if not isinstance(message_id, int):
        return _refused("a payment names the invoice's message")
    page.telegram.set_user_language(user.id, user.language_code, first_name=user.name)
    try:
        result = await page.telegram.pay_invoice(user.id, message_id, user.id)
    except LookupError:
        return _refused("that invoice is gone", status=404)
    if result.message is not None:
        page.feed.add_user_message(result.message)
    elif result.outcome is PaymentOutcome.REFUSED:
        page.feed.add_notice(user.id, result.error_message or "")
    else:
        return _refused("the bot did not confirm the payment in time", status=504)
    return web.json_response({"ok": True, "outcome": result.outcome.value})


async def file(request: web.Request) -> web.StreamResponse:
    """A file the bot or a user sent; only pictures, video and audio are shown inline, any
    other type is a download (an uploaded HTML file must not run as this page)."""
    page = _page(request)
    found = page.telegram.file_data(request.match_info["file_id"])
    if found is None:
        raise web.HTTPNotFound()
    data, mime = found
    headers = _no_sniff("default-src 'none'; sandbox")
    if not _INLINE_TYPES.fullmatch(mime):
        mime = "application/octet-stream"
        headers["Content-Disposition"] = "attachment"
    headers["Accept-Ranges"] = "bytes"
    headers["Cache-Control"] = "private, max-age=86400"  # a file id never changes its bytes
    span = _byte_range(request.headers.get("Range"), len(data))
    if span is None:
        return web.Response(body=data, content_type=mime, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    return web.Response(body=data[start : end + 1], status=206, content_type=mime, headers=headers)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first range of a Range header, within the file; None means the whole file. Media
    players ask for ranges to seek."""
    match = _RANGE.fullmatch(header or "")
    if match is None or not size or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        return max(size - int(last), 0), size - 1
    start = int(first)
    if start >= size:
        raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, min(int(last), size - 1) if last else size - 1


def _user(page: ChatPage, raw: Any) -> SandboxUser:
    """A page user in the app language they picked: a named one, or a guest with any id the
    switcher made up."""
    user_id = _user_id(raw)
    named = next((u for u in page.users if u.id == user_id), None)
    user = named or SandboxUser(user_id, f"Guest {user_id}")
    return dataclasses.replace(user, language_code=page.languages.of(user_id))


def _user_id(raw: Any) -> int:
    value = _int(raw, "user")
    if not 1 <= value <= MAX_USER_ID:
        raise web.HTTPBadRequest(text=f"user ids go from 1 to {MAX_USER_ID}")
    return value


def _int(raw: Any, name: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 16:
        return int(raw)
    raise web.HTTPBadRequest(text=f"{name} must be a whole number")


async def _json(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_JSON_BYTES, request.content_length)
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _refused(reason: str, *, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


def _no_sniff(policy: str | None = None) -> dict[str, str]:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if policy is not None:
        headers["Content-Security-Policy"] = policy
    return headers


def _read_static(name: str) -> str:
    return (resources.files("bot.sandbox") / "static" / name).read_text(encoding="utf-8")
