"""In-process emulator of the Kie.ai API (https://api.kie.ai).

A small aiohttp server that speaks the subset of Kie's API Photobot uses: ``createTask``,
``recordInfo``, ``chat/credit``, the completion callback, and the file upload host's
``file-stream-upload`` (on the same server: its URL serves as ``KIE_UPLOAD_BASE_URL``).
End-to-end tests drive it by hand (:meth:`KieEmulator.finish`,
:meth:`KieEmulator.send_callback`); sandbox mode runs it with ``auto_complete=True`` so tasks
finish on their own. Like the real service it answers HTTP 200
for most failures and puts the outcome in the body's ``code``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.sandbox.emulators.kie_rules import (
    JOB_MODELS,
    InputRejected,
    check_job_input,
    check_suno_body,
)
from bot.sandbox.emulators.samples import Samples

__all__ = [
    "FINAL_STATES",
    "MAX_IMAGE_INPUTS",
    "NANO_BANANA_PRO",
    "RATE_LIMIT_TASKS",
    "RATE_LIMIT_WINDOW_S",
    "TINY_MP3",
    "TINY_PNG",
    "WITHDRAWN_MSG",
    "KieEmulator",
    "KieTask",
    "RecordedRequest",
    "SunoTrack",
    "Upload",
    "UploadFailure",
]

logger = logging.getLogger(__name__)

NANO_BANANA_PRO = "nano-banana-pro"
MAX_IMAGE_INPUTS = 8
RATE_LIMIT_TASKS = 20
RATE_LIMIT_WINDOW_S = 10.0
FINAL_STATES = frozenset({"success", "fail"})
#: A valid 1x1 transparent PNG, the fallback result image.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII="
)

#: A short MP3: an ID3 tag and one silent MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz).
TINY_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413

_UNAUTHORIZED_MSG = "You do not have access permissions"
#: What Kie answers (code 422) for a model it does not, or no longer, offer.
WITHDRAWN_MSG = "The model is not supported"
_SUCCESS_CALLBACK_MSG = "Playground task completed successfully."
_FAILED_CALLBACK_MSG = "Playground task failed."
_DEFAULT_FAIL_CODE = "500"
_DEFAULT_FAIL_MSG = "Internal server error"
_MAX_FETCH_BYTES = 30 * 1024 * 1024
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)
_IMAGE_INPUT_KEYS = ("image_input", "image_urls")
#: The file upload host's route, and the most it takes (Kie recommends up to 100 MB).
UPLOAD_ROUTE = "/api/file-stream-upload"
_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
#: How the upload host can be told to fail: drop the connection unanswered (a host going
#: down), answer HTTP 500, or answer success without a file URL.
UploadFailure = Literal["down", "5xx", "no_url"]


@dataclass
class KieTask:
    """One task created through ``createTask``."""

    task_id: str
    model: str
    input: dict[str, Any]
    callback_url: str | None
    created_at: float
    state: str = "waiting"
    result_urls: list[str] = field(default_factory=list)
    fail_code: str = ""
    fail_msg: str = ""
    completed_at: float | None = None
    family: str = "jobs"  # "jobs" (createTask) or "suno" (generate)
    tracks: list[SunoTrack] = field(default_factory=list)
    stage: str = ""  # Suno: text, first, complete, error

    @property
    def output(self) -> str:
        """What the task produces: image, video or audio."""
        return "audio" if self.family == "suno" else JOB_MODELS[self.model].output


@dataclass(frozen=True)
class SunoTrack:
    """One generated song, as Suno's callbacks and record-info describe it."""

    id: str
    audio_url: str
    image_url: str
    title: str = "Untitled"
    duration: float = 120.0
    tags: str = "pop"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the emulator answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int
    # When it was answered (time.monotonic()): tests count requests per sliding second, as
    # Kie's rate limits do.
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Upload:
    """One file received by ``file-stream-upload``, and where it is served."""

    upload_path: str
    file_name: str
    content_type: str
    data: bytes
    download_url: str


@dataclass(frozen=True)
class _ForcedFailure:
    """A canned error answer queued by ``fail_next_*``."""

    code: int
    msg: str
    http_status: int


@dataclass(frozen=True)
class _ResultFile:
    """Bytes served under ``/files/``."""

    data: bytes
    content_type: str


@dataclass
class _StreamedFile:
    """A body made as it is sent: ``head``, then zeros up to ``size`` bytes (a huge file that
    never sits in memory); ``sent`` counts the bytes handed to the connection."""

    head: bytes
    size: int
    content_type: str
    sent: int = 0


_STREAM_CHUNK = bytes(64 * 1024)


class _BadRequest(Exception):
    """A createTask body failed validation (answered with code 422)."""


def _reply(code: int, msg: str, data: Any = None, *, http_status: int = 200) -> web.Response:
    """Build a Kie-style JSON envelope; ``data`` is omitted when None."""
    body: dict[str, Any] = {"code": code, "msg": msg}
    if data is not None:
        body["data"] = data
    return web.json_response(body, status=http_status)


async def _read_json(request: web.Request) -> Any:
    """Return the request body parsed as JSON, or None when empty or invalid (a multipart
    upload is left unread, for its handler to stream)."""
    if request.content_type.startswith("multipart/"):
        return None
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _parse_create_body(body: Any) -> dict[str, Any]:
    """Validate a createTask body and return it; raise :class:`_BadRequest` otherwise."""
    if not isinstance(body, dict):
        raise _BadRequest("Invalid request body")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _BadRequest("model is required")
    callback_url = body.get("callBackUrl")
    if callback_url is not None and not isinstance(callback_url, str):
        raise _BadRequest("callBackUrl must be a string")
    task_input = body.get("input", {})
    if not isinstance(task_input, dict):
        raise _BadRequest("input must be an object")
    try:
        check_job_input(model, task_input)
    except InputRejected as exc:
        raise _BadRequest(str(exc)) from None
    return body


_MUSIC_MESSAGES = {
    "text": "Text generation completed.",
    "first": "First track generated successfully.",
    "complete": "All generated successfully.",
}
_MUSIC_STATUSES = {"text": "TEXT_SUCCESS", "first": "FIRST_SUCCESS", "complete": "SUCCESS"}


def _callback_track(track: SunoTrack, *, audio: bool) -> dict[str, Any]:
    """A track as Suno's callbacks carry it (snake_case; no audio before it is ready)."""
    return {
        "id": track.id,
        "audio_url": track.audio_url if audio else "",
        "stream_audio_url": track.audio_url,
        "image_url": track.image_url,
        "prompt": "",
        "model_name": "chirp-v5",
        "title": track.title,
        "tags": track.tags,
        "duration": track.duration if audio else None,
    }


def _record_track(track: SunoTrack, *, audio: bool) -> dict[str, Any]:
    """A track as record-info answers it (camelCase)."""
    return {
        "id": track.id,
        "audioUrl": track.audio_url if audio else "",
        "streamAudioUrl": track.audio_url,
        "imageUrl": track.image_url,
        "title": track.title,
        "tags": track.tags,
        "duration": track.duration if audio else None,
    }


def _ms(timestamp: float | None) -> int | None:
    """Convert seconds since the epoch to Kie's millisecond timestamps."""
    return None if timestamp is None else int(timestamp * 1000)


def _record_data(task: KieTask) -> dict[str, Any]:
    """The ``data`` object of recordInfo (and of callbacks) for ``task``."""
    param: dict[str, Any] = {"model": task.model, "input": task.input}
    if task.callback_url is not None:
        param["callBackUrl"] = task.callback_url
    success = task.state == "success"
    completed = task.completed_at
    return {
        "taskId": task.task_id,
        "model": task.model,
        "state": task.state,
        "param": json.dumps(param),
        "resultJson": json.dumps({"resultUrls": task.result_urls}) if success else "",
        "failCode": task.fail_code,
        "failMsg": task.fail_msg,
        "costTime": None if completed is None else _ms(completed - task.created_at),
        "completeTime": _ms(completed),
        "createTime": _ms(task.created_at),
        "updateTime": _ms(completed if completed is not None else task.created_at),
    }


def _first_input_image(task_input: dict[str, Any]) -> str | None:
    """The first input image URL of a task, if any."""
    for key in _IMAGE_INPUT_KEYS:
        urls = task_input.get(key)
        if isinstance(urls, list) and urls and isinstance(urls[0], str):
            return urls[0]
    return None


async def _fetch_image(url: str) -> tuple[bytes, str]:
    """Download ``url`` (bounded in size); return its bytes and an image content type."""
    async with (
        aiohttp.ClientSession(timeout=_HTTP_TIMEOUT) as session,
        session.get(url, raise_for_status=True) as response,
    ):
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > _MAX_FETCH_BYTES:
                raise ValueError(f"input image larger than {_MAX_FETCH_BYTES} bytes")
        content_type = response.content_type
    if not data:
        raise ValueError("input image is empty")
    return bytes(data), content_type if content_type.startswith("image/") else "image/png"


async def _stream(request: web.Request, file: _StreamedFile) -> web.StreamResponse:
    """Send a streamed file piece by piece, each once the connection took the last, until it
    ends or the client goes away."""
    response = web.StreamResponse(headers={"Content-Type": file.content_type})
    response.content_length = file.size
    await response.prepare(request)
    piece = file.head
    try:
        while file.sent < file.size:
            piece = piece[: file.size - file.sent]
            await response.write(piece)
            file.sent += len(piece)
            piece = _STREAM_CHUNK
        await response.write_eof()
    except ConnectionError:
        pass  # the client stopped reading: what was sent is counted
    return response


async def _read_upload(request: web.Request) -> tuple[dict[str, str], tuple[bytes, str]]:
    """An upload's text fields and its file (bytes and type), streamed in and bounded."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError):
        raise _BadRequest("expected multipart/form-data") from None
    fields: dict[str, str] = {}
    file: tuple[bytes, str] | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader):
            raise _BadRequest("nested multipart is not supported")
        if part.name == "file":
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > _MAX_UPLOAD_BYTES:
                    raise _BadRequest("file too large")
            file = bytes(data), part.headers.get("Content-Type", "application/octet-stream")
        elif part.name:
            fields[part.name] = await part.text()
    if file is None or not file[0]:
        raise _BadRequest("file is required")
    return fields, file


def _parse_answer(raw: bytes) -> Any:
    """Parse an HTTP answer as JSON, falling back to its text."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _safe_file_name(name: str) -> str:
    """Reduce ``name`` to URL-safe characters."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "result"


def _url_host(host: str) -> str:
    """The host to put in :attr:`KieEmulator.url` for a bind address."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class KieEmulator:
    """A local Kie.ai API server with hooks for tests and sandbox mode."""

    def __init__(
        self,
        *,
        api_key: str = "kie-test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        credits: int = 1000,
        auto_complete: bool = False,
        auto_complete_delay_s: float = 0.0,
        auto_complete_jitter_s: float = 0.0,
        rate_limit: bool = False,
        samples: Samples | None = None,
    ) -> None:
        """Configure the emulator; nothing listens until :meth:`start`. With ``auto_complete``
        tasks (Suno's in stages) finish after the delay plus up to the jitter, with results
        from ``samples`` when given."""
        self.url = ""
        self.tasks: dict[str, KieTask] = {}
        self.requests: list[RecordedRequest] = []
        #: Callbacks auto-completion sent: (task id, Suno stage or task state, HTTP status).
        self.auto_callbacks: list[tuple[str, str, int]] = []
        self.credits = credits
        self._api_key = api_key
        self._host = host
        self._port = port
        self._auto_complete = auto_complete
        self._auto_complete_delay_s = auto_complete_delay_s
        self._auto_complete_jitter_s = auto_complete_jitter_s
        self._samples = samples
        self._rate_limit = rate_limit
        self._recent_creates: deque[float] = deque()
        self._create_failures: deque[_ForcedFailure] = deque()
        self._lost_create_answers = 0
        self._record_info_failures: deque[_ForcedFailure] = deque()
        self._credit_failures: deque[_ForcedFailure] = deque()
        self._upload_failures: deque[UploadFailure] = deque()
        #: Files received through ``file-stream-upload``, in order.
        self.uploads: list[Upload] = []
        self._files: dict[str, _ResultFile] = {}
        #: Models Kie has withdrawn: createTask answers code 422 "The model is not supported".
        self.withdrawn: set[str] = set()
        self._streamed: dict[str, _StreamedFile] = {}
        self._task_counter = 0
        self._task_created = asyncio.Condition()
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening and set :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("KieEmulator is already running")
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/api/v1/jobs/createTask", self._handle_create_task)
        app.router.add_get("/api/v1/jobs/recordInfo", self._handle_record_info)
        app.router.add_get("/api/v1/chat/credit", self._handle_credit)
        app.router.add_post("/api/v1/generate", self._handle_generate)
        app.router.add_get("/api/v1/generate/record-info", self._handle_music_record_info)
        app.router.add_get("/files/{name}", self._handle_file)
        app.router.add_post(UPLOAD_ROUTE, self._handle_upload)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        self.url = f"http://{_url_host(self._host)}:{port}"

    async def stop(self) -> None:
        """Cancel background work and stop listening (safe to call twice)."""
        pending = list(self._background)
        for job in pending:
            job.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- test hooks ------------------------------------------------------------------------

    def fail_next_create(
        self, code: int, msg: str, *, times: int = 1, http_status: int = 200
    ) -> None:
        """Make the next ``times`` createTask calls answer ``{"code": code, "msg": msg}``."""
        self._create_failures.extend([_ForcedFailure(code, msg, http_status)] * times)

    def lose_next_create_answers(self, times: int = 1) -> None:
        """Create the next ``times`` tasks, then drop the connection instead of answering (the
        answer lost on the way back: the task exists, and is charged, all the same)."""
        self._lost_create_answers += times

    def fail_next_record_info(
        self, code: int, msg: str, *, times: int = 1, http_status: int = 200
    ) -> None:
        """Make the next ``times`` recordInfo calls answer ``{"code": code, "msg": msg}``."""
        self._record_info_failures.extend([_ForcedFailure(code, msg, http_status)] * times)

    def fail_next_credit(
        self, code: int, msg: str, *, times: int = 1, http_status: int = 200
    ) -> None:
        """Make the next ``times`` credit calls answer ``{"code": code, "msg": msg}``."""
        self._credit_failures.extend([_ForcedFailure(code, msg, http_status)] * times)

    def fail_next_upload(self, how: UploadFailure, *, times: int = 1) -> None:
        """Make the next ``times`` uploads fail ``how`` (see :data:`UploadFailure`)."""
        self._upload_failures.extend([how] * times)

    async def wait_for_task(
        self,
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the public API
    ) -> list[KieTask]:
        """Wait until at least ``count`` tasks exist; return all tasks in creation order."""
        async with asyncio.timeout(timeout), self._task_created:
            await self._task_created.wait_for(lambda: len(self.tasks) >= count)
        return list(self.tasks.values())

    def finish(
        self,
        task_id: str,
        *,
        result_urls: list[str] | None = None,
        fail_code: str = "",
        fail_msg: str = "",
    ) -> None:
        """Make a task final: failed if ``fail_code``/``fail_msg`` is set, else successful.

        A success without ``result_urls`` gets one URL serving :data:`TINY_PNG` (the emulator
        must be running). No callback is sent.
        """
        task = self.tasks[task_id]
        if fail_code or fail_msg:
            task.state = "fail"
            task.result_urls = []
            task.fail_code = fail_code or _DEFAULT_FAIL_CODE
            task.fail_msg = fail_msg or _DEFAULT_FAIL_MSG
        else:
            if result_urls is None:
                result_urls = [self.add_result_file(TINY_PNG)]
            task.state = "success"
            task.result_urls = list(result_urls)
            task.fail_code = task.fail_msg = ""
        task.completed_at = time.time()

    def finish_music(
        self,
        task_id: str,
        tracks: list[SunoTrack] | None = None,
        *,
        stage: str = "complete",
        fail_code: str = "",
        fail_msg: str = "",
    ) -> list[SunoTrack]:
        """Move a Suno task to ``stage`` (text, first, complete) with ``tracks``, or fail it.

        Without ``tracks``, two tracks serving :data:`TINY_MP3` with a :data:`TINY_PNG` cover.
        """
        task = self.tasks[task_id]
        if fail_code or fail_msg:
            task.state, task.stage = "fail", "error"
            task.fail_code = fail_code or "501"
            task.fail_msg = fail_msg or "Audio generation failed"
            return []
        if tracks is None:
            tracks = task.tracks or [self._sample_track(task, n) for n in (1, 2)]
        task.tracks = list(tracks)
        task.stage = stage
        task.state = "success" if stage == "complete" else "generating"
        if stage == "complete":
            task.completed_at = time.time()
        return task.tracks

    def music_callback_body(self, task_id: str, stage: str | None = None) -> dict[str, Any]:
        """Suno's callback for ``stage`` (default: the task's own): snake_case tracks, with
        audio only for the tracks that stage has finished."""
        task = self.tasks[task_id]
        stage = stage or task.stage
        if stage == "error":
            code = int(task.fail_code) if task.fail_code.isdigit() else 501
            body_data = {"callbackType": "error", "task_id": task_id, "data": None}
            return {"code": code, "msg": task.fail_msg, "data": body_data}
        ready = {"text": 0, "first": 1}.get(stage, len(task.tracks))
        tracks = [_callback_track(t, audio=n < ready) for n, t in enumerate(task.tracks)]
        data = {"callbackType": stage, "task_id": task_id, "data": tracks}
        return {"code": 200, "msg": _MUSIC_MESSAGES.get(stage, "success"), "data": data}

    def callback_body(self, task_id: str) -> dict[str, Any]:
        """The body Kie POSTs to callBackUrl for the task's final state."""
        task = self.tasks[task_id]
        if task.family == "suno":
            return self.music_callback_body(task_id)
        if task.state == "success":
            return {"code": 200, "msg": _SUCCESS_CALLBACK_MSG, "data": _record_data(task)}
        if task.state == "fail":
            return {"code": 501, "msg": _FAILED_CALLBACK_MSG, "data": _record_data(task)}
        raise ValueError(f"task {task_id} is not final (state {task.state!r})")

    async def send_callback(
        self,
        task_id: str,
        *,
        body: dict[str, Any] | bytes | None = None,
        url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST a callback; return the HTTP status and the answer (JSON if it parses, else text).

        ``body`` defaults to :meth:`callback_body`, ``url`` to the task's callBackUrl.
        """
        if url is None:
            url = self.tasks[task_id].callback_url
            if url is None:
                raise ValueError(f"task {task_id} has no callBackUrl")
        payload = self.callback_body(task_id) if body is None else body
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        send_headers = dict(headers or {})
        if not any(name.lower() == "content-type" for name in send_headers):
            send_headers["Content-Type"] = "application/json"
        async with (
            aiohttp.ClientSession(timeout=_HTTP_TIMEOUT) as session,
            session.post(url, data=data, headers=send_headers) as response,
        ):
            return response.status, _parse_answer(await response.read())

    def add_result_file(
        self, data: bytes, *, name: str = "result.png", content_type: str = "image/png"
    ) -> str:
        """Serve ``data`` at a fresh ``{url}/files/...`` URL and return that URL."""
        if not self.url:
            raise RuntimeError("start() the KieEmulator before adding result files")
        key = f"{secrets.token_hex(8)}-{_safe_file_name(name)}"
        self._files[key] = _ResultFile(data, content_type)
        return f"{self.url}/files/{key}"

    def add_streamed_result(
        self, head: bytes, size: int, *, name: str = "result.mp4", content_type: str = "video/mp4"
    ) -> str:
        """Serve ``head`` then zeros, ``size`` bytes in all, made as they are sent, at a fresh
        URL; :meth:`bytes_served` tells how much of it went out before the client stopped."""
        if not self.url:
            raise RuntimeError("start() the KieEmulator before adding result files")
        key = f"{secrets.token_hex(8)}-{_safe_file_name(name)}"
        self._streamed[key] = _StreamedFile(head, size, content_type)
        return f"{self.url}/files/{key}"

    def bytes_served(self, url: str) -> int:
        """How many bytes of a streamed result (:meth:`add_streamed_result`) were sent."""
        return self._streamed[url.rsplit("/", 1)[-1]].sent

    def sign_webhook(
        self, task_id: str, hmac_key: str, timestamp: int | None = None
    ) -> dict[str, str]:
        """Kie's webhook signature headers for ``task_id`` (timestamp defaults to now)."""
        ts = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(hmac_key.encode(), f"{task_id}.{ts}".encode(), hashlib.sha256).digest()
        return {
            "X-Webhook-Timestamp": str(ts),
            "X-Webhook-Signature": base64.b64encode(digest).decode(),
        }

    # -- HTTP handlers ---------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Middleware: append every request to :attr:`requests`."""
        body = await _read_json(request)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    json=body,
                    headers=dict(request.headers),
                    status=status,
                )
            )

    def _refusal(
        self, request: web.Request, failures: deque[_ForcedFailure]
    ) -> web.Response | None:
        """401 without the right key, else the next queued forced failure, else None."""
        if not self._authorized(request):
            return _reply(401, _UNAUTHORIZED_MSG)
        if failures:
            forced = failures.popleft()
            return _reply(forced.code, forced.msg, http_status=forced.http_status)
        return None

    def _authorized(self, request: web.Request) -> bool:
        """Whether the request carries the right bearer key."""
        expected = f"Bearer {self._api_key}"
        return hmac.compare_digest(request.headers.get("Authorization", ""), expected)

    async def _handle_create_task(self, request: web.Request) -> web.Response:
        """``POST /api/v1/jobs/createTask``."""
        if (refusal := self._refusal(request, self._create_failures)) is not None:
            return refusal
        try:
            body = _parse_create_body(await _read_json(request))
        except _BadRequest as exc:
            return _reply(422, str(exc))
        if body["model"] in self.withdrawn:
            return _reply(422, WITHDRAWN_MSG)
        if self._rate_limited():
            return _reply(
                429, f"Rate limit exceeded: at most {RATE_LIMIT_TASKS} new tasks per 10 seconds"
            )
        if self.credits <= 0:
            return _reply(402, "Credits insufficient")
        task = self._create_task(body)
        async with self._task_created:
            self._task_created.notify_all()
        if self._auto_complete:
            self._spawn(self._auto_finish(task))
        if self._lost_create_answers and request.transport is not None:
            self._lost_create_answers -= 1
            request.transport.close()
        return _reply(200, "success", {"taskId": task.task_id})

    async def _handle_record_info(self, request: web.Request) -> web.Response:
        """``GET /api/v1/jobs/recordInfo?taskId=...``."""
        if (refusal := self._refusal(request, self._record_info_failures)) is not None:
            return refusal
        task = self.tasks.get(request.query.get("taskId", ""))
        if task is None:
            return _reply(404, "Task not found")
        return _reply(200, "success", _record_data(task))

    async def _handle_credit(self, request: web.Request) -> web.Response:
        """``GET /api/v1/chat/credit``."""
        if (refusal := self._refusal(request, self._credit_failures)) is not None:
            return refusal
        return _reply(200, "success", self.credits)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """``GET /files/{name}``: a result file (no auth, like Kie's CDN)."""
        streamed = self._streamed.get(request.match_info["name"])
        if streamed is not None:
            return await _stream(request, streamed)
        result = self._files.get(request.match_info["name"])
        if result is None:
            raise web.HTTPNotFound()
        return web.Response(body=result.data, headers={"Content-Type": result.content_type})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """``POST /api/file-stream-upload``: multipart ``file``, ``uploadPath``, ``fileName``;
        the bytes are kept and served at the answer's ``data.downloadUrl``."""
        if not self._authorized(request):
            return _reply(401, _UNAUTHORIZED_MSG, http_status=401)
        failure = self._upload_failures.popleft() if self._upload_failures else None
        if failure == "down":
            if request.transport is not None:
                request.transport.close()
            return _reply(503, "down")  # never sent: the connection is gone
        if failure == "5xx":
            return _reply(500, "Internal server error", http_status=500)
        try:
            fields, (data, content_type) = await _read_upload(request)
        except _BadRequest as exc:
            return _reply(400, str(exc), http_status=400)
        name = fields.get("fileName") or f"{secrets.token_hex(4)}.bin"
        key = f"{secrets.token_hex(8)}-{_safe_file_name(name)}"
        self._files[key] = _ResultFile(data, content_type)
        url = f"{self.url}/files/{key}"
        path = fields.get("uploadPath", "")
        self.uploads.append(Upload(path, name, content_type, data, url))
        info = {
            "fileName": name,
            "filePath": f"{path}/{name}",
            "fileSize": len(data),
            "mimeType": content_type,
            "uploadedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if failure != "no_url":
            info["downloadUrl"] = url
        body = {"success": True, "code": 200, "msg": "File uploaded successfully", "data": info}
        return web.json_response(body)  # fmt: skip

    async def _handle_generate(self, request: web.Request) -> web.Response:
        """``POST /api/v1/generate``: a Suno music task."""
        if (refusal := self._refusal(request, self._create_failures)) is not None:
            return refusal
        body = await _read_json(request)
        if not isinstance(body, dict):
            return _reply(422, "Invalid request body")
        try:
            check_suno_body(body)
        except InputRejected as exc:
            return _reply(422, str(exc))
        if self.credits <= 0:
            return _reply(402, "Credits insufficient")
        task = self._create_task(
            {"model": body["model"], "callBackUrl": body["callBackUrl"],
             "input": {k: v for k, v in body.items() if k != "callBackUrl"}},
            family="suno",
        )  # fmt: skip
        async with self._task_created:
            self._task_created.notify_all()
        if self._auto_complete:
            self._spawn(self._auto_music(task))
        return _reply(200, "success", {"taskId": task.task_id})

    async def _handle_music_record_info(self, request: web.Request) -> web.Response:
        """``GET /api/v1/generate/record-info?taskId=...``: camelCase tracks, Suno statuses."""
        if (refusal := self._refusal(request, self._record_info_failures)) is not None:
            return refusal
        task = self.tasks.get(request.query.get("taskId", ""))
        if task is None or task.family != "suno":
            return _reply(404, "Task not found")
        ready = {"text": 0, "first": 1}.get(task.stage, len(task.tracks))
        status = _MUSIC_STATUSES.get(task.stage, "PENDING")
        if task.stage == "error":
            status = task.fail_code if not task.fail_code.isdigit() else "GENERATE_AUDIO_FAILED"
        data = {
            "taskId": task.task_id,
            "status": status,
            "response": {
                "taskId": task.task_id,
                "sunoData": [_record_track(t, audio=n < ready) for n, t in enumerate(task.tracks)],
            },
            "errorMessage": task.fail_msg or None,
        }
        return _reply(200, "success", data)

    # -- internals -------------------------------------------------------------------------

    def _sample_track(self, task: KieTask, number: int) -> SunoTrack:
        title = str(task.input.get("title") or f"Photobot song {number}")
        if self._samples is None:
            song, cover = TINY_MP3, self.add_result_file(TINY_PNG, name="cover.png")
            duration = 30.0 * number
        else:
            duration = self._samples.audio_seconds
            song = self._samples.audio()
            cover = self.add_result_file(
                self._samples.cover(), name="cover.jpg", content_type="image/jpeg"
            )
        return SunoTrack(
            id=f"{task.task_id}-{number}",
            audio_url=self.add_result_file(song, name="song.mp3", content_type="audio/mpeg"),
            image_url=cover,
            title=title,
            duration=duration,
        )

    def _rate_limited(self) -> bool:
        """Whether a new task would exceed the per-account rate limit (if enabled)."""
        if not self._rate_limit:
            return False
        now = time.monotonic()
        while self._recent_creates and now - self._recent_creates[0] >= RATE_LIMIT_WINDOW_S:
            self._recent_creates.popleft()
        return len(self._recent_creates) >= RATE_LIMIT_TASKS

    def _create_task(self, body: dict[str, Any], family: str = "jobs") -> KieTask:
        """Register a task for a validated createTask body."""
        now = time.time()
        self._task_counter += 1
        self._recent_creates.append(time.monotonic())
        model: str = body["model"]
        task_id = f"task_{model.replace('/', '_')}_{_ms(now)}{self._task_counter}"
        task = KieTask(
            task_id=task_id,
            model=model,
            input=body.get("input", {}),
            callback_url=body.get("callBackUrl"),
            created_at=now,
            family=family,
        )
        self.tasks[task_id] = task
        return task

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background, tracked so :meth:`stop` can cancel it."""
        job = asyncio.create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def _auto_finish(self, task: KieTask) -> None:
        """Sandbox mode: succeed the task after the delay and deliver its callback."""
        task.state = "generating"
        await self._auto_delay()
        if task.state in FINAL_STATES:
            return  # finished by hand in the meantime
        if task.output == "video" and self._samples is not None:
            data, content_type, name = self._samples.video(), "video/mp4", "result.mp4"
        else:
            (data, content_type), name = await self._result_image(task), "result.png"
        url = self.add_result_file(data, name=name, content_type=content_type)
        self.finish(task.task_id, result_urls=[url])
        if task.callback_url is not None:
            await self._deliver_callback(task)

    async def _auto_music(self, task: KieTask) -> None:
        """Sandbox mode: a Suno task moves through its stages, with a callback for each."""
        for stage in ("text", "first", "complete"):
            await self._auto_delay()
            if task.stage in ("complete", "error"):
                return  # finished by hand in the meantime
            self.finish_music(task.task_id, stage=stage)
            await self._deliver_callback(task)

    async def _auto_delay(self) -> None:
        delay_s = self._auto_complete_delay_s + random.uniform(0, self._auto_complete_jitter_s)
        if delay_s > 0:
            await asyncio.sleep(delay_s)

    async def _result_image(self, task: KieTask) -> tuple[bytes, str]:
        """From `samples` when given (made from the input image and prompt), else the task's
        first input image, else :data:`TINY_PNG`."""
        source = await self._input_image(task)
        if self._samples is not None:
            prompt = str(task.input.get("prompt") or "")
            image = source[0] if source else None
            return await asyncio.to_thread(self._samples.image, image, prompt)
        return source or (TINY_PNG, "image/png")

    async def _input_image(self, task: KieTask) -> tuple[bytes, str] | None:
        url = _first_input_image(task.input)
        if url is None:
            return None
        try:
            return await _fetch_image(url)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            logger.warning("Kie emulator: fetching input image %s failed: %r", url, exc)
            return None

    async def _deliver_callback(self, task: KieTask) -> None:
        """POST the task's callback, logging (never raising) any failure. A `.invalid` host
        (a poller's placeholder) never resolves anywhere: it is not even looked up."""
        host = urlsplit(task.callback_url or "").hostname or ""
        if host == "invalid" or host.endswith(".invalid"):
            return
        try:
            status, answer = await self.send_callback(task.task_id)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.warning("Kie emulator: callback for %s failed: %r", task.task_id, exc)
            return
        except Exception:
            logger.exception("Kie emulator: callback for %s failed", task.task_id)
            return
        self.auto_callbacks.append((task.task_id, task.stage or task.state, status))
        if status >= 400:
            logger.warning(
                "Kie emulator: callback for %s got HTTP %s: %r", task.task_id, status, answer
            )
