"""In-process emulator of the Novita AI API (https://api.novita.ai).

A small aiohttp server for the calls Photobot makes: async txt2img (the seed's flat body and the
official `request`-wrapped one), the synchronous Seedream endpoint, Kling's multipart upload,
task-result, the balance, and the ``ASYNC_TASK_RESULT`` webhook in both payload shapes. Tests
drive it by hand (:meth:`NovitaEmulator.finish`, :meth:`NovitaEmulator.send_webhook`,
:meth:`NovitaEmulator.fail_next`); ``auto_complete=True`` (sandbox mode) finishes tasks itself.
Like the real service it answers errors with an HTTP status and
``{"code", "reason", "message", "metadata"}``, and sends test-mode events at once.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import random
import re
import secrets
import struct
import time
from collections import Counter, deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.sandbox.emulators.samples import Samples

__all__ = ["TINY_MP4", "TINY_PNG", "NovitaEmulator", "NovitaTask", "RecordedRequest"]

logger = logging.getLogger(__name__)

SUCCEED = "TASK_STATUS_SUCCEED"
FAILED = "TASK_STATUS_FAILED"
QUEUED = "TASK_STATUS_QUEUED"
RESULT_EVENT = "ASYNC_TASK_RESULT"
SYNC_MODEL = "seedream-3-0-t2i-250415"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: A valid 1x1 PNG, the default result image.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII="
)
#: An MP4's first box and some payload, the default result video.
TINY_MP4 = struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isomavc1" + b"novita" * 20
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
_SIZE = re.compile(r"([0-9]{3,4})x([0-9]{3,4})")
_URL_TTL_S = 3600


@dataclass
class NovitaTask:
    """One task, from whichever endpoint created it."""

    task_id: str
    endpoint: str  # "txt2img", "seedream-sync" or "kling"
    body: dict[str, Any]  # the JSON body, or Kling's text form fields
    fields: dict[str, Any]  # the generation fields (txt2img: inside `request`, or flat)
    shape: str = "official"  # txt2img: "official" (`request`-wrapped) or "seed" (flat)
    webhook_url: str | None = None
    test_mode: dict[str, Any] | None = None
    image: bytes | None = None  # Kling: the uploaded file, exactly as received
    # Kling: the result file (its URL) this emulator served with exactly the uploaded bytes,
    # e.g. the image a Seedream task produced (the /sketch chain); None when none matches.
    image_source: str | None = None
    image_filename: str = ""
    image_content_type: str = ""
    status: str = QUEUED
    reason: str = ""
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def output(self) -> str:
        return "video" if self.endpoint == "kling" else "image"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the emulator answered (bodies are kept on the tasks)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass(frozen=True)
class _Failure:
    status: int
    reason: str
    message: str


class _BadRequest(Exception):
    """A body failed validation (answered 400)."""


def _error(status: int, reason: str, message: str) -> web.Response:
    body = {"code": status, "reason": reason, "message": message, "metadata": {}}
    return web.json_response(body, status=status)


class NovitaEmulator:
    """A local Novita API server with hooks for tests and sandbox mode."""

    def __init__(
        self,
        *,
        api_key: str = "novita-test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        balance: int = 1_000_000,
        auto_complete: bool = False,
        auto_complete_delay_s: tuple[float, float] = (0.0, 0.0),
        samples: Samples | None = None,
    ) -> None:
        """With ``auto_complete`` tasks finish after a delay drawn from the range, with results
        from ``samples`` when given."""
        self.url = ""
        self.tasks: dict[str, NovitaTask] = {}
        self.requests: list[RecordedRequest] = []
        self.webhook_answers: list[tuple[str, int]] = []  # (task id, HTTP status) per event
        self.downloads: Counter[str] = Counter()  # result file URL -> times it was fetched
        self.balance = balance  # in 1/10000 USD, as Novita counts
        self.sync_image = TINY_PNG
        self._api_key = api_key
        self._host = host
        self._port = port
        self._auto_complete = auto_complete
        self._auto_complete_delay_s = auto_complete_delay_s
        self._samples = samples
        self._failures: deque[_Failure] = deque()
        self._sync_open = asyncio.Event()
        self._sync_open.set()
        self._files: dict[str, tuple[bytes, str]] = {}
        self._changed = asyncio.Condition()
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record], client_max_size=2 * MAX_UPLOAD_BYTES)
        app.router.add_post("/v3/async/txt2img", self._txt2img)
        app.router.add_post("/v3/seedream-3-0-txt2img", self._seedream_sync)
        app.router.add_post("/v3/async/kling-v2.1-i2v-master", self._kling)
        app.router.add_get("/v3/async/task-result", self._task_result)
        app.router.add_get("/openapi/v1/billing/balance/detail", self._balance)
        app.router.add_get("/files/{name}", self._file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        await web.TCPSite(runner, self._host, self._port).start()
        self._runner = runner
        self.url = f"http://{self._host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        self._sync_open.set()
        pending = list(self._background)
        for job in pending:
            job.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- test hooks ------------------------------------------------------------------------

    def fail_next(self, status: int, reason: str = "", message: str = "", times: int = 1) -> None:
        """Answer the next ``times`` task submissions (any endpoint) with this error."""
        self._failures.extend([_Failure(status, reason, message or reason)] * times)

    def hold_sync(self) -> None:
        """Keep synchronous Seedream calls waiting until :meth:`release_sync`."""
        self._sync_open.clear()

    def release_sync(self) -> None:
        self._sync_open.set()

    async def wait_for_task(self, *, count: int = 1, timeout_s: float = 10.0) -> list[NovitaTask]:
        """Wait until ``count`` tasks exist; all of them in creation order."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: len(self.tasks) >= count)
        return list(self.tasks.values())

    async def wait_for_webhooks(self, count: int, timeout_s: float = 10.0) -> None:
        """Wait until ``count`` webhook events were answered."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: len(self.webhook_answers) >= count)

    def finish(
        self,
        task_id: str,
        *,
        images: list[str] | None = None,
        videos: list[str] | None = None,
        reason: str = "",
    ) -> None:
        """Make a task final: failed with ``reason`` when given, else succeeded with these
        result URLs (by default one file of the task's kind). No webhook is sent."""
        task = self.tasks[task_id]
        task.finished_at = time.time()
        if reason:
            task.status, task.reason = FAILED, reason
            return
        task.status, task.reason = SUCCEED, ""
        if images is None and videos is None:
            images, videos = self._sample(task)
        task.images, task.videos = list(images or []), list(videos or [])

    def webhook_body(
        self, task_id: str, *, shape: str = "official", event_type: str = RESULT_EVENT
    ) -> dict[str, Any]:
        """The event Novita POSTs: outputs at the payload's top ("official") or under
        ``payload.extra`` ("seed")."""
        task = self.tasks[task_id]
        payload = self._result(task)
        if shape == "seed":
            outputs = {"images": payload.pop("images"), "videos": payload.pop("videos")}
            payload["extra"] = outputs
        return {"event_type": event_type, "payload": payload}

    async def send_webhook(
        self,
        task_id: str,
        *,
        shape: str = "official",
        event_type: str = RESULT_EVENT,
        body: dict[str, Any] | bytes | None = None,
        url: str | None = None,
    ) -> tuple[int, Any]:
        """POST an event to the task's webhook URL (or ``url``); the status and answer."""
        target = url or self.tasks[task_id].webhook_url
        if target is None:
            raise ValueError(f"task {task_id} has no webhook URL")
        payload = self.webhook_body(task_id, shape=shape, event_type=event_type)
        data = body if isinstance(body, bytes) else json.dumps(body or payload).encode()
        headers = {"Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession(timeout=_HTTP_TIMEOUT) as session,
            session.post(target, data=data, headers=headers) as response,
        ):
            text = await response.text()
            status = response.status
        self.webhook_answers.append((task_id, status))
        async with self._changed:
            self._changed.notify_all()
        return status, text

    def add_result_file(
        self, data: bytes, *, name: str = "result.png", content_type: str = "image/png"
    ) -> str:
        """Serve ``data`` at a fresh ``{url}/files/...`` URL (like Novita's presigned ones)."""
        key = f"{secrets.token_hex(8)}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)}"
        self._files[key] = (data, content_type)
        return f"{self.url}/files/{key}"

    # -- HTTP handlers ---------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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
                    request.method, request.path, dict(request.query), dict(request.headers),
                    status,
                )
            )  # fmt: skip

    def _refusal(self, request: web.Request, *, submission: bool = True) -> web.Response | None:
        expected = f"Bearer {self._api_key}"
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return _error(401, "INVALID_API_KEY", "invalid api key")
        if submission and self._failures:
            failure = self._failures.popleft()
            return _error(failure.status, failure.reason, failure.message)
        return None

    async def _txt2img(self, request: web.Request) -> web.Response:
        """``POST /v3/async/txt2img``: the seed's flat body or the official wrapped one."""
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            body = _json_object(await request.read())
            wrapped = isinstance(body.get("request"), dict)
            fields = body["request"] if wrapped else body
            _check_txt2img(fields)
            extra = _extra(body.get("extra"))
        except _BadRequest as exc:
            return _error(400, "INVALID_REQUEST_BODY", str(exc))
        task = NovitaTask(
            _new_id(), "txt2img", body, dict(fields), "official" if wrapped else "seed",
            *_webhook(extra),
        )  # fmt: skip
        return await self._created(task)

    async def _seedream_sync(self, request: web.Request) -> web.Response:
        """``POST /v3/seedream-3-0-txt2img``: answers with the image once it is "made"."""
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            body = _json_object(await request.read())
            _check_sync(body)
        except _BadRequest as exc:
            return _error(400, "INVALID_REQUEST_BODY", str(exc))
        task = NovitaTask(_new_id(), "seedream-sync", body, dict(body))
        await self._add(task)
        await self._sync_open.wait()
        image = self.sync_image
        if self._samples is not None:
            await asyncio.sleep(random.uniform(*self._auto_complete_delay_s))
            image, _ = await asyncio.to_thread(self._samples.image, None, str(body["prompt"]))
        self.finish(task.task_id, images=[self.add_result_file(image)])
        return web.json_response({"image_urls": task.images, "binary_data_base64": []})

    async def _kling(self, request: web.Request) -> web.Response:
        """``POST /v3/async/kling-v2.1-i2v-master``: multipart, the image as the file ``image``."""
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            form, image = await _read_form(request)
            _check_kling(form, image)
            extra = _extra(json.loads(form["extra"]) if "extra" in form else None)
        except (_BadRequest, ValueError) as exc:
            return _error(400, "INVALID_REQUEST_BODY", str(exc))
        data, filename, content_type = image
        task = NovitaTask(
            _new_id(), "kling", dict(form), dict(form), "official", *_webhook(extra),
            image=data, image_filename=filename, image_content_type=content_type,
            image_source=self._served_as(data),
        )  # fmt: skip
        return await self._created(task)

    async def _task_result(self, request: web.Request) -> web.Response:
        """``GET /v3/async/task-result?task_id=...``: the official result shape."""
        if (refusal := self._refusal(request, submission=False)) is not None:
            return refusal
        task = self.tasks.get(request.query.get("task_id", ""))
        if task is None:
            return _error(404, "TASK_NOT_FOUND", "task not found")
        return web.json_response(self._result(task))

    async def _balance(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request, submission=False)) is not None:
            return refusal
        money = str(self.balance)
        return web.json_response(
            {"availableBalance": money, "cashBalance": money, "creditLimit": "0",
             "pendingCharges": "0", "outstandingInvoices": "0"}
        )  # fmt: skip

    async def _file(self, request: web.Request) -> web.Response:
        found = self._files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        self.downloads[f"{self.url}/files/{request.match_info['name']}"] += 1
        return web.Response(body=found[0], headers={"Content-Type": found[1]})

    # -- internals -------------------------------------------------------------------------

    async def _created(self, task: NovitaTask) -> web.Response:
        await self._add(task)
        if task.test_mode and task.test_mode.get("enabled"):
            self._spawn(self._mock_event(task))
        elif self._auto_complete:
            self._spawn(self._complete(task))
        return web.json_response({"task_id": task.task_id})

    def _served_as(self, data: bytes) -> str | None:
        """The URL of a result file with exactly these bytes, if one was served."""
        for key, (content, _) in self._files.items():
            url = f"{self.url}/files/{key}"
            if self.downloads[url] and content == data:
                return url
        return None

    async def _add(self, task: NovitaTask) -> None:
        self.tasks[task.task_id] = task
        async with self._changed:
            self._changed.notify_all()

    def _result(self, task: NovitaTask) -> dict[str, Any]:
        kind = "TXT_TO_IMG" if task.output == "image" else "IMG_TO_VIDEO"
        return {
            "task": {
                "task_id": task.task_id, "task_type": kind, "status": task.status,
                "reason": task.reason, "eta": 0,
                "progress_percent": 100 if task.finished_at else 0,
            },
            "images": [{"image_url": u, "image_url_ttl": _URL_TTL_S, "image_type": "jpeg"}
                       for u in task.images],
            "videos": [{"video_url": u, "video_url_ttl": _URL_TTL_S, "video_type": "mp4"}
                       for u in task.videos],
            "extra": {},
        }  # fmt: skip

    def _sample(self, task: NovitaTask) -> tuple[list[str], list[str]]:
        if task.output == "video":
            return [], [self.add_result_file(TINY_MP4, name="r.mp4", content_type="video/mp4")]
        return [self.add_result_file(TINY_PNG)], []

    async def _mock_event(self, task: NovitaTask) -> None:
        """Test mode: an immediate mock event with the status asked for, no work done."""
        assert task.test_mode is not None
        wanted = task.test_mode.get("return_task_status", SUCCEED)
        self.finish(task.task_id, reason="test mode: the task failed" if wanted == FAILED else "")
        await self._deliver(task)

    async def _complete(self, task: NovitaTask) -> None:
        await asyncio.sleep(random.uniform(*self._auto_complete_delay_s))
        if task.finished_at is not None:
            return  # finished by hand in the meantime
        if self._samples is None:
            self.finish(task.task_id)
        elif task.output == "video":
            video = self.add_result_file(
                self._samples.video(), name="r.mp4", content_type="video/mp4"
            )
            self.finish(task.task_id, videos=[video])
        else:
            prompt = str(task.fields.get("prompt", ""))
            data, content_type = await asyncio.to_thread(self._samples.image, None, prompt)
            self.finish(
                task.task_id, images=[self.add_result_file(data, content_type=content_type)]
            )
        await self._deliver(task)

    async def _deliver(self, task: NovitaTask) -> None:
        if task.webhook_url is None:
            return
        try:
            await self.send_webhook(task.task_id)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.warning("Novita emulator: webhook for %s failed: %r", task.task_id, exc)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        job = asyncio.create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)


def _new_id() -> str:
    return secrets.token_hex(16)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise _BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("body is not an object")
    return body


def _extra(extra: Any) -> dict[str, Any]:
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise _BadRequest("extra must be an object")
    webhook = extra.get("webhook", {})
    if not isinstance(webhook, dict) or not isinstance(webhook.get("url", ""), str):
        raise _BadRequest("extra.webhook.url must be a string")
    return extra


def _webhook(extra: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The webhook URL and test-mode block an ``extra`` carries."""
    webhook = extra.get("webhook") or {}
    test_mode = webhook.get("test_mode")
    return webhook.get("url") or None, test_mode if isinstance(test_mode, dict) else None


def _check_txt2img(fields: dict[str, Any]) -> None:
    if not isinstance(fields.get("model_name"), str) or not fields["model_name"]:
        raise _BadRequest("model_name is required")
    if not isinstance(fields.get("prompt"), str) or not fields["prompt"].strip():
        raise _BadRequest("prompt is required")
    for name in ("width", "height"):
        if not isinstance(fields.get(name), int) or not 128 <= fields[name] <= 2048:
            raise _BadRequest(f"{name} must be an integer from 128 to 2048")
    if not isinstance(fields.get("image_num", 1), int) or not 1 <= fields.get("image_num", 1) <= 8:
        raise _BadRequest("image_num must be 1 to 8")


def _check_sync(body: dict[str, Any]) -> None:
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        raise _BadRequest("prompt is required")
    if body.get("model", SYNC_MODEL) != SYNC_MODEL:
        raise _BadRequest(f"only {SYNC_MODEL} is supported")
    match = _SIZE.fullmatch(str(body.get("size", "1024x1024")))
    if match is None or not all(512 <= int(side) <= 2048 for side in match.groups()):
        raise _BadRequest("size must be WIDTHxHEIGHT within 512x512 and 2048x2048")
    if body.get("response_format", "url") not in ("url", "b64_json"):
        raise _BadRequest("response_format must be url or b64_json")


async def _read_form(request: web.Request) -> tuple[dict[str, str], tuple[bytes, str, str]]:
    """Text fields and the ``image`` file (bytes, file name, content type) of a multipart body."""
    if not request.content_type.startswith("multipart/form-data"):
        raise _BadRequest("multipart/form-data is required")
    form: dict[str, str] = {}
    image: tuple[bytes, str, str] | None = None
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.name == "image":
            content_type = part.headers.get("Content-Type", "")
            image = (bytes(await part.read()), part.filename or "", content_type)
        else:
            form[part.name] = await part.text()
    if image is None:
        raise _BadRequest("the file field image is required")
    return form, image


def _check_kling(form: dict[str, str], image: tuple[bytes, str, str]) -> None:
    data = image[0]
    if not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        raise _BadRequest("image must be jpg, jpeg or png")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _BadRequest("image must be at most 10MB")
    if not form.get("prompt", "").strip():
        raise _BadRequest("prompt is required")
    if form.get("duration", "5") not in ("5", "10"):
        raise _BadRequest("duration must be 5 or 10")
