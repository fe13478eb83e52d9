"""In-process emulator of the Telegram Bot API.

:class:`TelegramEmulator` is a small aiohttp server that speaks enough of the Bot API for the
real ``telegram.ext.Application`` (python-telegram-bot 22) to run against it over HTTP::

    emu = TelegramEmulator()
    await emu.start()
    app = (
        Application.builder()
        .token(emu.token)
        .base_url(f"{emu.url}/bot")
        .base_file_url(f"{emu.url}/file/bot")
        .build()
    )

Tests (and sandbox mode) drive the bot with :meth:`TelegramEmulator.message_update` and friends,
pay its Telegram Stars invoices with :meth:`TelegramEmulator.pay_invoice`, and observe it through
:attr:`TelegramEmulator.calls`, :meth:`TelegramEmulator.wait_for` and
:meth:`TelegramEmulator.sent_messages`. Telegram's limits (text and caption length, callback data
size, upload and download sizes, flood control) are enforced with the error shapes the real
service uses, so the bot's handling of them can be exercised.

Simplifications: every chat with a positive id is a private chat, lengths are counted in code
points after no entity parsing, photos get fixed dimensions, and a webhook delivery that keeps
failing is dropped after a few attempts instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_BYTES",
    "MAX_PHOTO_UPLOAD_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_BYTES",
    "SEND_METHODS",
    "STARS_CURRENCY",
    "ApiCall",
    "PaymentOutcome",
    "PaymentResult",
    "TelegramEmulator",
]

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
#: Methods whose successful calls count as messages sent by the bot.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendMediaGroup",
     "copyMessage", "sendInvoice"}
)  # fmt: skip
#: Telegram Stars, the currency of digital goods sold by bots.
STARS_CURRENCY = "XTR"
#: How long Telegram waits for answerPreCheckoutQuery before the payment fails.
PRE_CHECKOUT_TIMEOUT_S = 10.0
MAX_INVOICE_TITLE_CHARS = 32
MAX_INVOICE_DESCRIPTION_CHARS = 255
MAX_INVOICE_PAYLOAD_BYTES = 128
# The most Stars one invoice may ask for (an assumption: Telegram's app config sets the cap).
MAX_STARS_PER_INVOICE = 10_000

_FLOOD_METHODS = SEND_METHODS | {"editMessageText"}
_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_ATTACH = "attach://"
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# How form/query string values are turned back into the types a JSON body would carry.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "media",
        "prices",
        "suggested_tip_amounts",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
        "cache_time",
        "duration",
        "width",
        "height",
        "user_id",
        "max_tip_amount",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "drop_pending_updates",
        "has_spoiler",
        "disable_content_type_detection",
        "supports_streaming",
        "show_caption_above_media",
        "disable_web_page_preview",
        "ok",
        "is_flexible",
    }
)
_INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_IMAGE_SUFFIXES = frozenset({"jpg", "jpeg", "png", "webp", "gif"})
_MEDIA_FOLDERS = {"photo": "photos", "document": "documents", "video": "videos", "audio": "music"}
_MEDIA_SUFFIXES = {"photo": "jpg", "document": "bin", "video": "mp4", "audio": "mp3"}


@dataclass(frozen=True)
class ApiCall:
    """One Bot API method call, as received and answered by the emulator.

    ``params`` merges query, JSON body and form fields, with Telegram's JSON-typed fields
    decoded; uploaded files are ``bytes``. ``result`` is the ``result`` of a successful answer
    (``None`` for errors, whose text is in ``description``).
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int
    result: Any
    description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call was answered successfully."""
        return 200 <= self.status < 300


class _ApiError(Exception):
    """An error answer, shaped like Telegram's."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JsonDict:
        """The JSON body Telegram answers with."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


def _too_many_requests(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass(frozen=True)
class _StoredFile:
    """A file known to the emulator, downloadable through getFile."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None

    def ref(self) -> JsonDict:
        """The fields every Bot API file object carries."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }

    @property
    def mime_type(self) -> str:
        """The MIME type guessed from the file path."""
        return mimetypes.guess_type(self.file_path)[0] or "application/octet-stream"


@dataclass
class _FailureRule:
    """A failure injected with :meth:`TelegramEmulator.fail_next`."""

    status: int
    description: str
    retry_after: int | None
    remaining: int

    def error(self) -> _ApiError:
        """A fresh exception for one failing call."""
        return _ApiError(self.status, self.description, self.retry_after)


class _Hold:
    """A gate for one method: calls wait at it until released (or failed); `waiting` counts
    them. Once opened it no longer applies to later calls."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self.waiting = 0
        self.arrived = asyncio.Event()
        self.failed = False
        self._open = asyncio.Event()
        self._remove = remove

    async def wait(self) -> None:
        self.waiting += 1
        self.arrived.set()
        await self._open.wait()
        if self.failed:
            raise _ApiError(502, "Bad Gateway")

    def release(self) -> None:
        """Let the held calls through."""
        self._remove()
        self._open.set()

    def fail(self) -> None:
        """Answer the held calls with an error, as if Telegram never took them."""
        self.failed = True
        self.release()


class _RateWindow:
    """Sliding-window limiter allowing ``limit_per_s`` events per second."""

    def __init__(self, limit_per_s: float) -> None:
        if limit_per_s <= 0:
            raise ValueError("rate limits must be positive")
        self._window = max(1.0, 1.0 / limit_per_s)
        self._capacity = max(1, math.floor(limit_per_s * self._window + 1e-9))
        self._events: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        """Whole seconds until a slot frees up, or ``None`` if one is free now."""
        while self._events and self._events[0] <= now - self._window:
            self._events.popleft()
        if len(self._events) < self._capacity:
            return None
        return max(1, math.ceil(self._events[0] + self._window - now))

    def add(self, now: float) -> None:
        """Count one event."""
        self._events.append(now)


@dataclass
class _Webhook:
    """The webhook configuration set with setWebhook."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class _Incoming:
    """A parsed method call: its parameters and the client file names of uploads."""

    params: JsonDict
    filenames: dict[str, str] = field(default_factory=dict)


_Handler = Callable[[_Incoming], Awaitable[Any]]


class PaymentOutcome(StrEnum):
    """How a payment started with :meth:`TelegramEmulator.pay_invoice` ended."""

    #: The bot said ok to the pre-checkout query: the user paid, successful_payment was sent.
    PAID = "paid"
    #: The bot refused the pre-checkout query; Telegram shows the user its error_message.
    REFUSED = "refused"
    #: The bot did not answer in time (or answered too late): the payment failed.
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class PaymentResult:
    """The end of one payment attempt. ``message`` is the successful_payment message the user
    "sent" (only when paid); ``error_message`` is the bot's refusal (only when refused)."""

    outcome: PaymentOutcome
    pre_checkout_query_id: str
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    message: dict[str, Any] | None = None

    @property
    def paid(self) -> bool:
        """Whether the user was charged."""
        return self.outcome is PaymentOutcome.PAID


@dataclass(frozen=True)
class _Invoice:
    """An invoice the bot sent; ``payload`` is kept here, never shown in the message."""

    title: str
    description: str
    currency: str
    total_amount: int
    payload: str
    start_parameter: str


@dataclass
class _PreCheckout:
    """A pre-checkout query waiting for the bot's answer until ``deadline`` (loop time)."""

    deadline: float
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ok: bool = False
    error_message: str | None = None


@dataclass
class _Charge:
    """A Stars payment the bot received, refundable once."""

    user: JsonDict
    amount: int
    invoice_payload: str
    refunded: bool = False


# --- request parsing -------------------------------------------------------------------------


async def _read_params(request: web.Request) -> tuple[JsonDict, dict[str, str]]:
    """Merge query, JSON body and form fields; uploads become bytes."""
    params: JsonDict = dict(request.query)
    filenames: dict[str, str] = {}
    if request.content_type == "application/json":
        params.update(await _read_json(request))
    elif request.content_type in _FORM_TYPES:
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise _ApiError(413, "Request Entity Too Large") from None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                with value.file:  # aiohttp's spooled temporary file, closed once read
                    params[key] = value.file.read()
                filenames[key] = value.filename
            else:
                params[key] = bytes(value) if isinstance(value, bytearray) else value
    return _normalise(params), filenames


async def _read_json(request: web.Request) -> JsonDict:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _bad_request("can't parse JSON object") from None
    if not isinstance(body, dict):
        raise _bad_request("JSON object expected")
    return body


def _normalise(params: JsonDict) -> JsonDict:
    """Resolve attach:// references and decode the typed fields form encoding flattens."""
    attached = {
        value.removeprefix(_ATTACH)
        for value in params.values()
        if isinstance(value, str) and value.startswith(_ATTACH)
    }
    out: JsonDict = {}
    for key, value in params.items():
        if key in attached and isinstance(value, bytes):
            continue
        if isinstance(value, str) and value.startswith(_ATTACH):
            target = params.get(value.removeprefix(_ATTACH))
            out[key] = target if isinstance(target, bytes) else value
        else:
            out[key] = _coerce(key, value)
    return out


def _coerce(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in _INT_FIELDS and _INT_RE.fullmatch(value):
        return int(value)
    if key == "timeout":
        with contextlib.suppress(ValueError):
            number = float(value)
            return int(number) if number.is_integer() else number
    if key in _BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    return value


# --- small pure helpers ----------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _update_type(update: JsonDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _chat_key(value: Any) -> int:
    """The chat id of a call; usernames are not known to the emulator."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None or value == "":
        raise _bad_request("chat_id is empty")
    raise _bad_request("chat not found")


def _check_text(text: Any, *, limit: int, too_long: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _bad_request("message text is empty")
    if len(text) > limit:
        raise _bad_request(too_long)
    return text


def _caption_content(params: JsonDict) -> JsonDict:
    caption = params.get("caption")
    if caption is None or caption == "":
        return {}
    if len(str(caption)) > MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    content: JsonDict = {"caption": str(caption)}
    if isinstance(params.get("caption_entities"), list):
        content["caption_entities"] = params["caption_entities"]
    return content


def _inline_markup(markup: Any) -> JsonDict | None:
    """Validate a reply markup; return it if it is an inline keyboard Telegram echoes back."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    keyboard = markup["inline_keyboard"]
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise _bad_request("can't parse inline keyboard button: InlineKeyboardMarkup expected")
    for button in itertools.chain.from_iterable(keyboard):
        if not isinstance(button, dict) or not button.get("text"):
            raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
    return markup


def _photo_sizes(stored: _StoredFile) -> list[JsonDict]:
    """A thumbnail and a full size, both pointing at the same stored file."""
    return [
        {**stored.ref(), "width": 90, "height": 90},
        {**stored.ref(), "width": 1280, "height": 960},
    ]


def _media_object(kind: str, stored: _StoredFile, params: JsonDict) -> Any:
    if kind == "photo":
        return _photo_sizes(stored)
    media: JsonDict = {**stored.ref(), "mime_type": stored.mime_type}
    if stored.file_name:
        media["file_name"] = stored.file_name
    if kind in ("video", "audio"):
        media["duration"] = params.get("duration", 1)
    if kind == "video":
        media.update(width=params.get("width", 1280), height=params.get("height", 720))
    if kind == "audio":
        media.update({name: params[name] for name in ("title", "performer") if params.get(name)})
    return media


def _suffix(filename: str | None, default: str) -> str:
    if filename and "." in filename:
        return filename.rsplit(".", 1)[1].lower()
    return default


MAX_DESCRIPTION_CHARS = 512  # Telegram's limits for setMyDescription / setMyShortDescription
MAX_SHORT_DESCRIPTION_CHARS = 120


def _validate_commands(commands: Any) -> list[JsonDict]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise _bad_request("commands must be a list of at most 100 BotCommand objects")
    result: list[JsonDict] = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(str(command.get("command"))):
            raise _bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command["command"], "description": command["description"]})
    return result


def _commands_key(params: JsonDict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _required(params: JsonDict, name: str) -> Any:
    """A parameter the Bot API server insists on (an empty string counts as missing)."""
    value = params.get(name)
    if value is None or value == "":
        raise _bad_request(f'parameter "{name}" is required')
    return value


def _labeled_prices(raw: Any) -> list[JsonDict]:
    """The prices list as the Bot API server parses it, with its error texts."""
    if isinstance(raw, str):
        raise _bad_request("can't parse prices JSON object")
    if not isinstance(raw, list):
        raise _bad_request("expected an Array of labeled prices")
    prices: list[JsonDict] = []
    for price in raw:
        if not isinstance(price, dict):
            raise _bad_request("can't parse labeled price: LabeledPrice must be an Object")
        label, amount = price.get("label"), price.get("amount")
        if not isinstance(label, str) or not label:
            raise _bad_request("can't parse labeled price: LabeledPrice label must be non-empty")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise _bad_request('can\'t parse labeled price: Field "amount" must be a valid Number')
        prices.append({"label": label, "amount": amount})
    if not prices:
        raise _bad_request("there must be at least one price")
    return prices


def _invoice(params: JsonDict) -> _Invoice:
    """Validate sendInvoice's parameters in the order Telegram does: the Bot API server's own
    checks, TDLib's, then the server's (whose errors are upper-case names)."""
    title = str(_required(params, "title"))
    description = str(_required(params, "description"))
    payload = str(_required(params, "payload"))
    currency = str(_required(params, "currency"))
    prices = _labeled_prices(_required(params, "prices"))
    total = sum(price["amount"] for price in prices)
    if total <= 0:
        raise _bad_request("total price must be positive")
    provider_token = str(params.get("provider_token") or "")
    if currency == STARS_CURRENCY:
        if provider_token:
            raise _bad_request("PAYMENT_PROVIDER_INVALID")
        if len(prices) != 1:
            raise _bad_request("STARS_INVOICE_INVALID")
        if total > MAX_STARS_PER_INVOICE:
            raise _bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    elif not provider_token:  # the emulator knows no payment providers but Telegram Stars
        raise _bad_request("PAYMENT_PROVIDER_INVALID")
    if len(payload.encode()) > MAX_INVOICE_PAYLOAD_BYTES:
        raise _bad_request("INVOICE_PAYLOAD_INVALID")
    if len(title) > MAX_INVOICE_TITLE_CHARS or len(description) > MAX_INVOICE_DESCRIPTION_CHARS:
        raise _bad_request("MEDIA_INVALID")
    start = str(params.get("start_parameter") or "")
    return _Invoice(title, description, currency, total, payload, start)


def _check_pay_button(markup: JsonDict | None) -> None:
    """An invoice's own keyboard must start with a Pay button."""
    if markup is None:
        return
    rows = markup["inline_keyboard"]
    first = rows[0][0] if rows and rows[0] else None
    if first is None or first.get("pay") is not True:
        raise _bad_request("REPLY_MARKUP_BUY_EMPTY")


def _charge_id() -> str:
    """A fresh telegram_payment_charge_id, shaped like Telegram's ("stx" and url-safe text)."""
    return "stx" + secrets.token_urlsafe(30)


def _star_transaction(
    transaction_id: str, charge: _Charge, *, outgoing: bool, date: int | None = None
) -> JsonDict:
    """A StarTransaction as getStarTransactions answers it: an invoice payment from a user
    (incoming, ``source``) or its refund to them (outgoing, ``receiver``, the same id)."""
    partner: JsonDict = {"type": "user", "transaction_type": "invoice_payment",
                         "user": copy.deepcopy(charge.user)}  # fmt: skip
    if charge.invoice_payload:
        partner["invoice_payload"] = charge.invoice_payload
    return {
        "id": transaction_id,
        "amount": charge.amount,
        "date": int(time.time()) if date is None else date,
        "receiver" if outgoing else "source": partner,
    }


# --- the emulator ----------------------------------------------------------------------------


class TelegramEmulator:
    """A fake Telegram Bot API server for one bot, run in the current event loop.

    Everything lives on the instance: updates waiting for getUpdates, messages per chat, files,
    commands, webhook settings and the log of :class:`ApiCall` s.
    """

    #: Delivery attempts per update when a webhook answers non-2xx or is unreachable.
    webhook_attempts: int = 4
    #: Delay before the first webhook retry; doubles on each further retry.
    webhook_retry_delay: float = 0.05

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_id: int = 123456,
        bot_username: str = "photobot_test_bot",
        flood_limit_per_s: float | None = None,
        per_chat_limit_per_s: float | None = None,
        max_calls: int | None = None,
        max_file_bytes: int | None = None,
    ) -> None:
        """``max_calls`` and ``max_file_bytes`` bound what a long-running emulator (the
        sandbox) keeps: the oldest calls and files are forgotten first."""
        self.token = token
        self.host = host
        self.port = port
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.url = ""
        self.calls: list[ApiCall] = []
        #: Called with every answered call, in the event loop (the sandbox's chat feed).
        self.observers: list[Callable[[ApiCall], None]] = []
        self._max_calls = max_calls
        self._max_file_bytes = max_file_bytes
        self._file_bytes = 0
        self._calls_changed = asyncio.Condition()
        self._updates: deque[JsonDict] = deque()
        self._updates_arrived = asyncio.Event()
        self._next_update_id = 1
        self._poll_generation = 0
        self._allowed_updates: list[str] | None = None
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._chats: dict[int, JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}
        self._query_numbers = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._invoices: dict[tuple[int, int], _Invoice] = {}
        self._pre_checkouts: dict[str, _PreCheckout] = {}
        self._charges: dict[str, _Charge] = {}
        self._star_transactions: list[JsonDict] = []
        # The bot's description and short description, by language code ("" = all others).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self._failures: dict[str, deque[_FailureRule]] = {}
        self._holds: dict[str, _Hold] = {}
        # Users who blocked the bot: anything sent to their chat is refused with a 403.
        self.blocked_by: set[int] = set()
        self._flood = _RateWindow(flood_limit_per_s) if flood_limit_per_s is not None else None
        self._per_chat_limit_per_s = per_chat_limit_per_s
        self._chat_windows: dict[int, _RateWindow] = {}
        self._webhook = _Webhook()
        self._webhook_queue: asyncio.Queue[JsonDict] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._handlers = self._build_handlers()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the server (port 0 picks a free port) and set :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("TelegramEmulator is already running")
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._webhook_task = asyncio.create_task(
            self._run_webhook_worker(), name="telegram-emulator-webhook"
        )

    async def stop(self) -> None:
        """End pending long polls, stop webhook delivery and close the server."""
        self._closing = True
        self._updates_arrived.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- driving the bot ---------------------------------------------------------------------

    def add_file(self, data: bytes, *, file_path_suffix: str = "jpg") -> tuple[str, str]:
        """Register a file (as if a user had sent it); return ``(file_id, file_unique_id)``."""
        suffix = file_path_suffix.lstrip(".") or "bin"
        folder = "photos" if suffix.lower() in _IMAGE_SUFFIXES else "documents"
        stored = self._register_file(data, folder=folder, suffix=suffix)
        return stored.file_id, stored.file_unique_id

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or for the webhook if one is set; return its id."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            update_id = self._next_update_id
            update["update_id"] = update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        message = update.get("message")
        if isinstance(message, dict):
            self._remember_message(message)
        if self._webhook.url:
            self._webhook_queue.put_nowait(copy.deepcopy(update))
        else:
            self._queue_for_polling(copy.deepcopy(update))
        return update_id

    def message_update(
        self,
        *,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        photo_file_id: str | None = None,
        caption: str | None = None,
        document: dict[str, Any] | None = None,
        first_name: str = "Ann",
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
        video_file_id: str | None = None,
        video_duration: int = 5,
        extra: dict[str, Any] | None = None,
        language_code: str = "en",
    ) -> dict[str, Any]:
        """Push a message from a user; return the update dict.

        A positive ``chat_id`` is the user's private chat, a negative one a group. ``extra``
        fields are merged into the message as given (for malformed or unusual messages).
        ``language_code`` is the user's app language, as Telegram sends it ("" for none).
        """
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        if chat_id > 0:
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
            self._chats[chat_id] = chat
        else:
            chat = self._chat(chat_id)
        content: JsonDict = {}
        if text is not None:
            content.update(self._text_content(text))
        if photo_file_id is not None:
            content["photo"] = _photo_sizes(self._known_file(photo_file_id))
        if document is not None:
            content["document"] = self._document_object(document)
        if video_file_id is not None:
            stored = self._known_file(video_file_id)
            content["video"] = {
                **stored.ref(), "width": 720, "height": 1280, "duration": video_duration,
                "mime_type": "video/mp4",
            }  # fmt: skip
        if caption is not None:
            content["caption"] = caption
            if entities := self._entities(caption, commands=False):
                content["caption_entities"] = entities
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        if reply_to_message_id is not None:
            target = self._messages.get((chat_id, reply_to_message_id))
            if target is None:
                raise LookupError(f"no message {reply_to_message_id} in chat {chat_id}")
            content["reply_to_message"] = copy.deepcopy(target)
        content.update(extra or {})
        message = self._new_message(chat, user, content)
        update: JsonDict = {"message": message}
        self.push_update(update)
        return update

    def edited_message_update(
        self, *, chat_id: int, message_id: int, text: str | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        """Push an edit of a user's message (new text or caption); return the update dict."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        edited = copy.deepcopy(message)
        if text is not None:
            edited.update(self._text_content(text))
        if caption is not None:
            edited["caption"] = caption
        edited["edit_date"] = int(time.time())
        self._messages[(chat_id, message_id)] = copy.deepcopy(edited)
        update: JsonDict = {"edited_message": edited}
        self.push_update(update)
        return update

    def hold(self, method: str) -> _Hold:
        """Hold every call of ``method`` at a gate until it is released or failed."""
        name = self._canonical(method)
        gate = _Hold(lambda: self._drop_hold(name))
        self._holds[name] = gate
        return gate

    def _drop_hold(self, method: str) -> None:
        self._holds.pop(method, None)

    def set_user_language(self, user_id: int, language_code: str, *, first_name: str) -> None:
        """The user's app now speaks ``language_code`` ("" for none): their later updates say
        so, button presses included (those carry the stored user)."""
        before = self._users.get(user_id) or {"id": user_id, "is_bot": False}
        user = {k: v for k, v in before.items() if k != "language_code"}
        user.setdefault("first_name", first_name)
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user  # a new dict: updates already pushed keep what they said

    def callback_query_update(
        self, *, chat_id: int, user_id: int, data: str, message_id: int
    ) -> dict[str, Any]:
        """Push a press of an inline button under message ``message_id``; return the update."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        query_id = f"{self.bot_id}{next(self._query_numbers):010d}"
        self._callback_queries[query_id] = False
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Ann"}
        query = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        update: JsonDict = {"callback_query": query}
        self.push_update(update)
        return update

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 400,
        description: str = "Bad Request: x",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        With ``retry_after`` the failure is a flood-control 429 carrying that value.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after is not None:
            error_code = 429
            description = f"Too Many Requests: retry after {retry_after}"
        rule = _FailureRule(error_code, description, retry_after, times)
        self._failures.setdefault(self._canonical(method), deque()).append(rule)

    # --- payments ------------------------------------------------------------------------------

    async def pay_invoice(
        self,
        chat_id: int,
        message_id: int,
        user_id: int,
        *,
        answer_within_s: float = PRE_CHECKOUT_TIMEOUT_S,
    ) -> PaymentResult:
        """Pay the invoice in message ``message_id`` as Telegram does when the user presses Pay:
        send the bot a pre_checkout_query, wait for its answerPreCheckoutQuery (at most
        ``answer_within_s``), and if it says ok charge the user: a successful_payment message
        from them in that chat, and an incoming StarTransaction. Paying the same invoice again
        is a new payment with a new charge id."""
        invoice = self._invoices.get((chat_id, message_id))
        if invoice is None:
            raise LookupError(f"no invoice in message {message_id} of chat {chat_id}")
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Ann"}
        query_id = str(secrets.randbits(62) | 1 << 61)
        pending = _PreCheckout(deadline=asyncio.get_running_loop().time() + answer_within_s)
        self._pre_checkouts[query_id] = pending
        query = {
            "id": query_id,
            "from": copy.deepcopy(user),
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        }
        self.push_update({"pre_checkout_query": query})
        try:
            async with asyncio.timeout(answer_within_s):
                await pending.answered.wait()
        except TimeoutError:
            return PaymentResult(PaymentOutcome.TIMED_OUT, query_id)
        if not pending.ok:
            return PaymentResult(PaymentOutcome.REFUSED, query_id, pending.error_message)
        charge_id = _charge_id()
        update = self.successful_payment_update(
            chat_id=chat_id,
            user_id=user_id,
            currency=invoice.currency,
            total_amount=invoice.total_amount,
            invoice_payload=invoice.payload,
            telegram_payment_charge_id=charge_id,
            record_transaction=True,
        )
        return PaymentResult(
            PaymentOutcome.PAID, query_id, None, charge_id, copy.deepcopy(update["message"])
        )

    def successful_payment_update(
        self,
        *,
        chat_id: int,
        user_id: int,
        currency: str,
        total_amount: int,
        invoice_payload: str,
        telegram_payment_charge_id: str,
        provider_payment_charge_id: str = "",
        record_transaction: bool = False,
        first_name: str = "Ann",
    ) -> dict[str, Any]:
        """Push a successful_payment message from the user with exactly these fields (to
        redeliver a charge, or to send one that does not match its invoice); return the update.
        With ``record_transaction`` an incoming StarTransaction for it is recorded too."""
        known = self._users.get(user_id)
        user = known or {"id": user_id, "is_bot": False, "first_name": first_name}
        chat = self._chats.get(chat_id) or self._chat(chat_id)
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": invoice_payload,
            "telegram_payment_charge_id": telegram_payment_charge_id,
            "provider_payment_charge_id": provider_payment_charge_id,
        }
        message = self._new_message(chat, copy.deepcopy(user), {"successful_payment": payment})
        update: JsonDict = {"message": message}
        self.push_update(update)
        if record_transaction:
            self.add_star_transaction(
                user_id=user_id,
                amount=total_amount,
                charge_id=telegram_payment_charge_id,
                invoice_payload=invoice_payload,
            )
        return update

    def add_star_transaction(
        self,
        *,
        user_id: int,
        amount: int,
        charge_id: str | None = None,
        invoice_payload: str = "",
        date: int | None = None,
    ) -> str:
        """Record an incoming Stars payment from a user, as getStarTransactions will list it
        (for a purchase the bot never heard of, leave out the update); return its charge id.
        The charge can then be refunded."""
        transaction_id = charge_id or _charge_id()
        user = copy.deepcopy(self._users.get(user_id) or
                             {"id": user_id, "is_bot": False, "first_name": "Ann"})  # fmt: skip
        charge = _Charge(user=user, amount=amount, invoice_payload=invoice_payload)
        self._charges[transaction_id] = charge
        self._star_transactions.append(
            _star_transaction(transaction_id, charge, outgoing=False, date=date)
        )
        return transaction_id

    @property
    def star_transactions(self) -> list[dict[str, Any]]:
        """Every StarTransaction so far, oldest first (refunds are outgoing ones)."""
        return copy.deepcopy(self._star_transactions)

    def invoice_payload(self, chat_id: int, message_id: int) -> str | None:
        """The private payload of the invoice in that message, if it is one."""
        invoice = self._invoices.get((chat_id, message_id))
        return None if invoice is None else invoice.payload

    # --- observing the bot -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """All recorded calls of ``method`` (case-insensitive), in arrival order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def sent_messages(self, chat_id: int | None = None) -> list[ApiCall]:
        """Successful send* calls, optionally only those to ``chat_id``."""
        return [
            call
            for call in self.calls
            if call.method in SEND_METHODS
            and call.ok
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the public API
    ) -> list[ApiCall]:
        """Wait until at least ``count`` calls of ``method`` match ``predicate``; return them."""

        def matching() -> list[ApiCall]:
            calls = self.calls_to(method)
            return calls if predicate is None else [call for call in calls if predicate(call)]

        try:
            async with asyncio.timeout(timeout), self._calls_changed:
                await self._calls_changed.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            seen = Counter(call.method for call in self.calls)
            summary = ", ".join(f"{name} x{n}" for name, n in seen.items()) or "none"
            raise TimeoutError(
                f"timed out after {timeout}s waiting for {count} matching {method} call(s); "
                f"{len(matching())} matched. Methods seen so far: {summary}"
            ) from None
        return matching()

    # --- HTTP layer --------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        method = self._canonical(request.match_info["method"])
        params: JsonDict = {}
        try:
            params, filenames = await _read_params(request)
            incoming = _Incoming(params, filenames)
            result = await self._dispatch(request.match_info["token"], method, incoming)
        except _ApiError as exc:
            error = exc
        except Exception:
            logger.exception("Telegram emulator failed to answer %s", method)
            error = _ApiError(500, "Internal Server Error")
        else:
            await self._record(ApiCall(method, params, at, 200, result))
            # copyMessage answers only the new message's id; the call keeps the whole copy, so
            # the sandbox can show it like any message the bot sent.
            if method == "copyMessage":
                result = {"message_id": result["message_id"]}
            return web.json_response({"ok": True, "result": result})
        await self._record(ApiCall(method, params, at, error.status, None, error.description))
        return web.json_response(error.body(), status=error.status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_ApiError(401, "Unauthorized").body(), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None or len(stored.data) > MAX_DOWNLOAD_BYTES:
            return web.json_response(_ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def _dispatch(self, token: str, method: str, incoming: _Incoming) -> Any:
        if token != self.token:
            raise _ApiError(401, "Unauthorized")
        handler = self._handlers.get(method)
        if handler is None:
            raise _ApiError(404, "Not Found: method not found")
        self._raise_injected_failure(method)
        if method in SEND_METHODS and incoming.params.get("chat_id") in self.blocked_by:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        hold = self._holds.get(method)
        if hold is not None:
            await hold.wait()
        windows = self._flood_windows(method, incoming.params)
        waits = [wait for window in windows if (wait := window.retry_after(time.monotonic()))]
        if waits:
            raise _too_many_requests(max(waits))
        result = await handler(incoming)
        for window in windows:
            window.add(time.monotonic())
        return result

    async def _record(self, call: ApiCall) -> None:
        """Insert ``call`` at its arrival position and wake :meth:`wait_for` callers."""
        # A long poll is answered after calls that arrived while it waited.
        position = bisect.bisect(self.calls, call.at, key=lambda recorded: recorded.at)
        self.calls.insert(position, call)
        if self._max_calls is not None and len(self.calls) > self._max_calls:
            del self.calls[: len(self.calls) - self._max_calls]
        for observer in self.observers:
            observer(call)
        async with self._calls_changed:
            self._calls_changed.notify_all()

    def _build_handlers(self) -> dict[str, _Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "sendMessage": self._send_message,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendVideo": self._send_video,
            "sendAudio": self._send_audio,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "sendInvoice": self._send_invoice,
            "answerPreCheckoutQuery": self._answer_pre_checkout_query,
            "refundStarPayment": self._refund_star_payment,
            "getStarTransactions": self._get_star_transactions,
            "getFile": self._get_file,
            "close": self._return_true,
            "logOut": self._return_true,
        }

    def _canonical(self, method: str) -> str:
        """Telegram's spelling of a method name, matched case-insensitively."""
        wanted = method.lower()
        return next((name for name in self._handlers if name.lower() == wanted), method)

    def _raise_injected_failure(self, method: str) -> None:
        rules = self._failures.get(method)
        if not rules:
            return
        rule = rules[0]
        rule.remaining -= 1
        if rule.remaining <= 0:
            rules.popleft()
        raise rule.error()

    def _flood_windows(self, method: str, params: JsonDict) -> list[_RateWindow]:
        if method not in _FLOOD_METHODS:
            return []
        windows = [self._flood] if self._flood is not None else []
        chat_id = params.get("chat_id")
        if self._per_chat_limit_per_s is not None and isinstance(chat_id, int):
            if chat_id not in self._chat_windows:
                self._chat_windows[chat_id] = _RateWindow(self._per_chat_limit_per_s)
            windows.append(self._chat_windows[chat_id])
        return windows

    # --- updates -----------------------------------------------------------------------------

    async def _get_updates(self, incoming: _Incoming) -> list[JsonDict]:
        if self._webhook.url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = incoming.params
        self._confirm_updates(params.get("offset"))
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_arrived.set()  # an older long poll, if any, is terminated
        timeout = params.get("timeout", 0)
        await self._wait_for_updates(float(timeout) if isinstance(timeout, int | float) else 0.0)
        if generation != self._poll_generation:
            raise _ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        limit = params.get("limit", 100)
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        return [copy.deepcopy(update) for update in list(self._updates)[:limit]]

    async def _wait_for_updates(self, seconds: float) -> None:
        """Long-poll: return once an update is deliverable, on a newer poll, or after seconds."""
        generation = self._poll_generation
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._closing and generation == self._poll_generation:
            self._drop_unwanted_updates()
            remaining = deadline - asyncio.get_running_loop().time()
            if self._updates or remaining <= 0:
                return
            self._updates_arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._updates_arrived.wait()

    def _confirm_updates(self, offset: Any) -> None:
        if not isinstance(offset, int):
            return
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _drop_unwanted_updates(self) -> None:
        """Forget queued updates of types the bot did not ask for, as Telegram does."""
        self._updates = deque(update for update in self._updates if self._wanted(update))

    def _wanted(self, update: JsonDict) -> bool:
        kind = _update_type(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATES

    def _queue_for_polling(self, update: JsonDict) -> None:
        self._updates.append(update)
        self._updates_arrived.set()

    # --- webhook -----------------------------------------------------------------------------

    async def _set_webhook(self, incoming: _Incoming) -> bool:
        params = incoming.params
        url = str(params.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending_updates()
        allowed, max_connections = params.get("allowed_updates"), params.get("max_connections")
        self._webhook = _Webhook(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            max_connections=max_connections if isinstance(max_connections, int) else 40,
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )
        if url:
            while self._updates:
                self._webhook_queue.put_nowait(self._updates.popleft())
        else:
            self._move_webhook_queue_to_polling()
        return True

    async def _delete_webhook(self, incoming: _Incoming) -> bool:
        if incoming.params.get("drop_pending_updates"):
            self._drop_pending_updates()
        self._webhook = _Webhook()
        self._move_webhook_queue_to_polling()
        return True

    async def _get_webhook_info(self, incoming: _Incoming) -> JsonDict:
        hook = self._webhook
        pending = self._webhook_queue.qsize() if hook.url else len(self._updates)
        info: JsonDict = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        return info

    def _drop_pending_updates(self) -> None:
        self._updates.clear()
        while not self._webhook_queue.empty():
            self._webhook_queue.get_nowait()

    def _move_webhook_queue_to_polling(self) -> None:
        while not self._webhook_queue.empty():
            self._queue_for_polling(self._webhook_queue.get_nowait())

    async def _run_webhook_worker(self) -> None:
        while True:
            update = await self._webhook_queue.get()
            try:
                await self._deliver(update)
            except Exception:
                logger.exception("Webhook delivery of update %s failed", update.get("update_id"))

    async def _deliver(self, update: JsonDict) -> None:
        """POST one update to the webhook, retrying with backoff on failure."""
        for attempt in range(self.webhook_attempts):
            if not self._webhook.url:
                self._queue_for_polling(update)
                return
            error = await self._post_update(update)
            if error is None:
                return
            self._webhook.last_error_date = int(time.time())
            self._webhook.last_error_message = error
            if attempt + 1 < self.webhook_attempts:
                await asyncio.sleep(self.webhook_retry_delay * 2**attempt)
        logger.warning("Dropping update %s: webhook kept failing", update.get("update_id"))

    async def _post_update(self, update: JsonDict) -> str | None:
        """Deliver once; return an error message like getWebhookInfo's, or ``None``."""
        if self._session is None:
            return "Emulator is not running"
        headers = {}
        if self._webhook.secret_token is not None:
            headers[_SECRET_HEADER] = self._webhook.secret_token
        try:
            async with self._session.post(self._webhook.url, json=update, headers=headers) as resp:
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc!r}"

    # --- bot info and commands ---------------------------------------------------------------

    def _bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Photobot",
            "username": self.bot_username,
        }

    async def _get_me(self, incoming: _Incoming) -> JsonDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_my_commands(self, incoming: _Incoming) -> bool:
        commands = _validate_commands(incoming.params.get("commands"))
        self._commands[_commands_key(incoming.params)] = commands
        return True

    async def _get_my_commands(self, incoming: _Incoming) -> list[JsonDict]:
        return copy.deepcopy(self._commands.get(_commands_key(incoming.params), []))

    async def _delete_my_commands(self, incoming: _Incoming) -> bool:
        self._commands.pop(_commands_key(incoming.params), None)
        return True

    async def _set_my_description(self, incoming: _Incoming) -> bool:
        text = str(incoming.params.get("description") or "")
        if len(text) > MAX_DESCRIPTION_CHARS:
            raise _bad_request("description is too long")
        self.descriptions[str(incoming.params.get("language_code") or "")] = text
        return True

    async def _get_my_description(self, incoming: _Incoming) -> JsonDict:
        return {"description": self.description(str(incoming.params.get("language_code") or ""))}

    async def _set_my_short_description(self, incoming: _Incoming) -> bool:
        text = str(incoming.params.get("short_description") or "")
        if len(text) > MAX_SHORT_DESCRIPTION_CHARS:
            raise _bad_request("short description is too long")
        self.short_descriptions[str(incoming.params.get("language_code") or "")] = text
        return True

    async def _get_my_short_description(self, incoming: _Incoming) -> JsonDict:
        code = str(incoming.params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(code) or
                self.short_descriptions.get("", "")}  # fmt: skip

    def description(self, language_code: str) -> str:
        """What an empty chat shows a user whose app speaks `language_code`, as Telegram does:
        the description for that language, else the one for all."""
        return self.descriptions.get(language_code) or self.descriptions.get("", "")

    async def _return_true(self, incoming: _Incoming) -> bool:
        return True

    # --- messages ----------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> JsonDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Test group"}

    def _new_message(self, chat: JsonDict, sender: JsonDict, content: JsonDict) -> JsonDict:
        """Store a new message in ``chat`` with the next message id; return a copy."""
        chat_id = chat["id"]
        message_id = self._last_message_id.get(chat_id, 0) + 1
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._remember_message(message)
        return copy.deepcopy(message)

    def _remember_message(self, message: JsonDict) -> None:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        self._messages[(chat_id, message_id)] = copy.deepcopy(message)
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), message_id)

    def _text_content(self, text: str) -> JsonDict:
        content: JsonDict = {"text": text}
        if entities := self._entities(text, commands=True):
            content["entities"] = entities
        return content

    @staticmethod
    def _entities(text: str, *, commands: bool) -> list[JsonDict]:
        """A leading bot command and every @mention, as Telegram marks them (UTF-16 offsets)."""
        entities: list[JsonDict] = []
        if commands and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command)})
        for match in _MENTION_RE.finditer(text):
            offset = _utf16_len(text[: match.start()])
            entities.append({"type": "mention", "offset": offset, "length": _utf16_len(match[0])})
        return entities

    def _send(self, params: JsonDict, content: JsonDict) -> JsonDict:
        """Validate the common send options and store the bot's new message."""
        chat = self._chat(_chat_key(params.get("chat_id")))
        markup = _inline_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat["id"], params)
        if markup is not None:
            content["reply_markup"] = markup
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return self._new_message(chat, self._bot_user(), content)

    def _reply_target(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id = params["reply_to_message_id"]
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        target = self._messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if target is None:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        quoted = copy.deepcopy(target)
        quoted.pop("reply_to_message", None)
        return quoted

    async def _send_message(self, incoming: _Incoming) -> JsonDict:
        params = incoming.params
        text = _check_text(
            params.get("text"), limit=MAX_TEXT_LENGTH, too_long="message is too long"
        )
        content: JsonDict = {"text": text}
        if isinstance(params.get("entities"), list):
            content["entities"] = params["entities"]
        return self._send(params, content)

    async def _copy_message(self, incoming: _Incoming) -> JsonDict:
        """A copy of a text or photo message (its caption too), without a link to the original
        (the bot is answered only its id, as Telegram does)."""
        params = incoming.params
        source_chat = _chat_key(params.get("from_chat_id"))
        message_id = params.get("message_id")
        source = (
            self._messages.get((source_chat, message_id)) if isinstance(message_id, int) else None
        )
        if source is None:
            raise _bad_request("message to copy not found")
        kept = ("text", "entities", "photo", "caption", "caption_entities")
        content = {name: copy.deepcopy(source[name]) for name in kept if name in source}
        return self._send(params, content)

    def _message_to_change(self, params: JsonDict, verb: str) -> JsonDict:
        if params.get("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = _chat_key(params.get("chat_id"))
        message_id = params.get("message_id")
        message = self._messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise _bad_request(f"message to {verb} not found")
        if verb == "edit" and message["from"].get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    async def _edit_message_text(self, incoming: _Incoming) -> JsonDict:
        params = incoming.params
        message = self._message_to_change(params, "edit")
        text = _check_text(params.get("text"), limit=MAX_TEXT_LENGTH, too_long="MESSAGE_TOO_LONG")
        markup = _inline_markup(params.get("reply_markup"))
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise _bad_request(_NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if isinstance(params.get("entities"), list):
            message["entities"] = params["entities"]
        self._set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, incoming: _Incoming) -> JsonDict:
        message = self._message_to_change(incoming.params, "edit")
        markup = _inline_markup(incoming.params.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise _bad_request(_NOT_MODIFIED)
        self._set_markup(message, markup)
        return copy.deepcopy(message)

    @staticmethod
    def _set_markup(message: JsonDict, markup: JsonDict | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    async def _delete_message(self, incoming: _Incoming) -> bool:
        message = self._message_to_change(incoming.params, "delete")
        del self._messages[(message["chat"]["id"], message["message_id"])]
        return True

    async def _send_chat_action(self, incoming: _Incoming) -> bool:
        _chat_key(incoming.params.get("chat_id"))
        if incoming.params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _answer_callback_query(self, incoming: _Incoming) -> bool:
        query_id = str(incoming.params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id) is not False:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(incoming.params.get("text") or "")) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    # --- payment methods -----------------------------------------------------------------------

    async def _send_invoice(self, incoming: _Incoming) -> JsonDict:
        params = incoming.params
        _chat_key(params.get("chat_id"))
        invoice = _invoice(params)
        _check_pay_button(_inline_markup(params.get("reply_markup")))
        content: JsonDict = {
            "invoice": {
                "title": invoice.title,
                "description": invoice.description,
                "start_parameter": invoice.start_parameter,
                "currency": invoice.currency,
                "total_amount": invoice.total_amount,
            }
        }
        message = self._send(params, content)
        self._invoices[(message["chat"]["id"], message["message_id"])] = invoice
        return message

    async def _answer_pre_checkout_query(self, incoming: _Incoming) -> bool:
        params = incoming.params
        ok = params.get("ok") is True
        error_message = None if ok else str(_required(params, "error_message"))
        pending = self._pre_checkouts.get(str(params.get("pre_checkout_query_id") or ""))
        late = pending is not None and asyncio.get_running_loop().time() > pending.deadline
        if pending is None or pending.answered.is_set() or late:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        pending.ok, pending.error_message = ok, error_message
        pending.answered.set()
        return True

    async def _refund_star_payment(self, incoming: _Incoming) -> bool:
        params = incoming.params
        user_id = params.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise _bad_request("invalid user_id specified")
        charge_id = str(_required(params, "telegram_payment_charge_id"))
        charge = self._charges.get(charge_id)
        if charge is None or charge.user.get("id") != user_id:
            raise _bad_request("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise _bad_request("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        self._star_transactions.append(_star_transaction(charge_id, charge, outgoing=True))
        return True

    async def _get_star_transactions(self, incoming: _Incoming) -> JsonDict:
        """The bot's transactions in chronological order; offset and limit are clamped (0+,
        1-100) as the Bot API server does."""
        offset, limit = incoming.params.get("offset"), incoming.params.get("limit")
        offset = max(offset, 0) if isinstance(offset, int) else 0
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        chosen = self._star_transactions[offset : offset + limit]
        return {"transactions": copy.deepcopy(chosen)}

    # --- files and media ---------------------------------------------------------------------

    async def _send_photo(self, incoming: _Incoming) -> JsonDict:
        return self._send_media(incoming, "photo")

    async def _send_document(self, incoming: _Incoming) -> JsonDict:
        return self._send_media(incoming, "document")

    async def _send_video(self, incoming: _Incoming) -> JsonDict:
        return self._send_media(incoming, "video")

    async def _send_audio(self, incoming: _Incoming) -> JsonDict:
        return self._send_media(incoming, "audio")

    def _send_media(self, incoming: _Incoming, kind: str) -> JsonDict:
        params = incoming.params
        _chat_key(params.get("chat_id"))
        content = _caption_content(params)
        _inline_markup(params.get("reply_markup"))
        stored = self._media_file(kind, params.get(kind), incoming.filenames.get(kind))
        content[kind] = _media_object(kind, stored, params)
        return self._send(params, content)

    async def _send_media_group(self, incoming: _Incoming) -> list[JsonDict]:
        """An album: 2-10 photos and videos (or documents, or audio) as one group."""
        params = incoming.params
        chat = self._chat(_chat_key(params.get("chat_id")))
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise _bad_request("media must be a list of 2-10 items")
        kinds = {item.get("type") if isinstance(item, dict) else None for item in items}
        if not (kinds <= {"photo", "video"} or kinds in ({"document"}, {"audio"})):
            raise _bad_request("media of these types can't be grouped")
        reply_to = self._reply_target(chat["id"], params)
        group_id = f"{next(self._file_numbers)}{secrets.randbelow(10**9)}"
        sent = []
        for item in items:
            kind = str(item["type"])
            value = item.get("media")
            if isinstance(value, str) and value.startswith(_ATTACH):
                value = incoming.params.get(value.removeprefix(_ATTACH))
            stored = self._media_file(kind, value, None)
            content = _caption_content(item)
            content[kind] = _media_object(kind, stored, item)
            content["media_group_id"] = group_id
            if reply_to is not None:
                content["reply_to_message"] = reply_to
            sent.append(self._new_message(chat, self._bot_user(), content))
        return sent

    def _media_file(self, kind: str, value: Any, filename: str | None) -> _StoredFile:
        """The file a send* call refers to: an upload, a known file_id or a URL."""
        folder, default_suffix = _MEDIA_FOLDERS[kind], _MEDIA_SUFFIXES[kind]
        if isinstance(value, bytes):
            limit = MAX_PHOTO_UPLOAD_BYTES if kind == "photo" else MAX_UPLOAD_BYTES
            if len(value) > limit:
                raise _bad_request("file is too big")
            suffix = _suffix(filename, default_suffix)
            return self._register_file(value, folder=folder, suffix=suffix, file_name=filename)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = value.rsplit("/", 1)[-1] or None
                suffix = _suffix(name, default_suffix)
                return self._register_file(b"", folder=folder, suffix=suffix, file_name=name)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {kind} in the request")

    def _register_file(
        self, data: bytes, *, folder: str, suffix: str, file_name: str | None = None
    ) -> _StoredFile:
        number = next(self._file_numbers)
        stored = _StoredFile(
            file_id=f"EMU{number}-{secrets.token_urlsafe(12)}",
            file_unique_id=f"EMUu{number}",
            data=bytes(data),
            file_path=f"{folder}/file_{number}.{suffix}",
            file_name=file_name,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        self._file_bytes += len(stored.data)
        self._forget_old_files()
        return stored

    def _forget_old_files(self) -> None:
        if self._max_file_bytes is None:
            return
        while self._file_bytes > self._max_file_bytes and len(self._files) > 1:
            oldest = self._files.pop(next(iter(self._files)))
            self._files_by_path.pop(oldest.file_path, None)
            self._file_bytes -= len(oldest.data)

    def file_data(self, file_id: str) -> tuple[bytes, str] | None:
        """The bytes and MIME type of a file the emulator knows (sent by the bot or a user)."""
        stored = self._files.get(file_id)
        return None if stored is None else (stored.data, stored.mime_type)

    def _known_file(self, file_id: str) -> _StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise LookupError(f"unknown file_id {file_id!r}; register the bytes with add_file()")
        return stored

    def _document_object(self, document: JsonDict) -> JsonDict:
        stored = self._files.get(str(document.get("file_id")))
        if stored is None:
            return dict(document)
        defaults: JsonDict = {**stored.ref(), "mime_type": stored.mime_type}
        defaults["file_name"] = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        return {**defaults, **document}

    async def _get_file(self, incoming: _Incoming) -> JsonDict:
        stored = self._files.get(str(incoming.params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {**stored.ref(), "file_path": stored.file_path}
