"""Tests for the in-process Kie.ai emulator (bot.sandbox.emulators.kie)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.sandbox.emulators.kie import (
    MAX_IMAGE_INPUTS,
    RATE_LIMIT_TASKS,
    TINY_PNG,
    KieEmulator,
    KieTask,
)

KEY = "kie-test-key"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INPUT_IMAGE = PNG_SIGNATURE + b"pretend this is a user photo"


class Sink:
    """A tiny aiohttp server that records callback bodies and serves one input image."""

    def __init__(self, *, status: int = 200) -> None:
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.received = asyncio.Event()
        self.url = ""
        self._status = status
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/callback", self._callback)
        app.router.add_get("/input.png", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _callback(self, request: web.Request) -> web.Response:
        self.bodies.append(json.loads(await request.read()))
        self.headers.append(dict(request.headers))
        self.received.set()
        return web.json_response({"ok": True}, status=self._status)

    async def _image(self, request: web.Request) -> web.Response:
        return web.Response(body=INPUT_IMAGE, content_type="image/png")


@pytest.fixture
async def kie() -> AsyncIterator[KieEmulator]:
    emulator = KieEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    server = Sink()
    await server.start()
    yield server
    await server.stop()


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create(
    http: aiohttp.ClientSession, kie: KieEmulator, body: Any, *, key: str = KEY
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{kie.url}/api/v1/jobs/createTask", json=body, headers=auth(key)
    ) as response:
        return response.status, await response.json()


async def record_info(
    http: aiohttp.ClientSession, kie: KieEmulator, task_id: str
) -> tuple[int, dict[str, Any]]:
    async with http.get(
        f"{kie.url}/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=auth()
    ) as response:
        return response.status, await response.json()


def nano_body(*, callback: str | None = None, images: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "nano-banana-pro",
        "input": {
            "prompt": "make it a watercolour",
            "image_input": [f"https://example.invalid/{i}.png" for i in range(images)],
        },
    }
    if callback is not None:
        body["callBackUrl"] = callback
    return body


async def create_ok(http: aiohttp.ClientSession, kie: KieEmulator, body: Any) -> str:
    status, answer = await create(http, kie, body)
    assert (status, answer["code"]) == (200, 200), answer
    task_id: str = answer["data"]["taskId"]
    return task_id


# -- createTask ------------------------------------------------------------------------------


async def test_create_task_happy_path(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    body = nano_body(callback="https://bot.invalid/kie")
    status, answer = await create(http, kie, body)

    assert status == 200
    assert answer["code"] == 200
    assert answer["msg"] == "success"
    task_id = answer["data"]["taskId"]
    assert task_id.startswith("task_nano-banana-pro_")
    task = kie.tasks[task_id]
    assert task.model == "nano-banana-pro"
    assert task.input == body["input"]
    assert task.callback_url == "https://bot.invalid/kie"
    assert task.state == "waiting"
    recorded = kie.requests[-1]
    assert (recorded.method, recorded.path, recorded.status) == (
        "POST",
        "/api/v1/jobs/createTask",
        200,
    )
    assert recorded.json == body
    assert recorded.headers["Authorization"] == f"Bearer {KEY}"


async def test_task_ids_are_unique_and_slash_free(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    body = {
        "model": "google/nano-banana-edit",
        "input": {"prompt": "x", "image_urls": ["https://example.com/a.png"]},
    }
    first = await create_ok(http, kie, body)
    second = await create_ok(http, kie, body)

    assert first != second
    assert first.startswith("task_google_nano-banana-edit_")
    assert "/" not in first
    assert list(kie.tasks) == [first, second]


async def test_create_task_accepts_max_images(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    task_id = await create_ok(http, kie, nano_body(images=MAX_IMAGE_INPUTS))
    assert len(kie.tasks[task_id].input["image_input"]) == MAX_IMAGE_INPUTS


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        ({"model": "nano-banana-pro", "input": {}}, "prompt is required"),
        ({"model": "nano-banana-pro", "input": {"prompt": "  "}}, "prompt is required"),
        (nano_body(images=MAX_IMAGE_INPUTS + 1), None),
        ({"model": "nano-banana-pro", "input": "prompt"}, None),
        ({"input": {"prompt": "x"}}, None),
        ([1, 2, 3], None),
    ],
    ids=["no-prompt", "blank-prompt", "too-many-images", "input-not-object", "no-model", "list"],
)
async def test_create_task_validation(
    kie: KieEmulator, http: aiohttp.ClientSession, body: Any, msg: str | None
) -> None:
    status, answer = await create(http, kie, body)

    assert status == 200
    assert answer["code"] == 422
    if msg is not None:
        assert answer["msg"] == msg
    assert kie.tasks == {}


async def test_create_task_rejects_non_json(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{kie.url}/api/v1/jobs/createTask", data=b"{not json", headers=auth()
    ) as response:
        answer = await response.json()
    assert answer["code"] == 422
    assert kie.tasks == {}


@pytest.mark.parametrize("headers", [auth("wrong-key"), {}, {"Authorization": KEY}])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/jobs/createTask"),
        ("GET", "/api/v1/jobs/recordInfo?taskId=x"),
        ("GET", "/api/v1/chat/credit"),
    ],
)
async def test_bad_key_gives_code_401(
    kie: KieEmulator,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    method: str,
    path: str,
) -> None:
    async with http.request(
        method, f"{kie.url}{path}", json=nano_body(), headers=headers
    ) as response:
        status, answer = response.status, await response.json()

    assert status == 200
    assert answer == {"code": 401, "msg": "You do not have access permissions"}
    assert kie.tasks == {}


async def test_fail_next_create(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    kie.fail_next_create(402, "Credits insufficient", times=2)
    kie.fail_next_create(500, "Server exception", http_status=503)

    for _ in range(2):
        assert await create(http, kie, nano_body()) == (
            200,
            {"code": 402, "msg": "Credits insufficient"},
        )
    assert await create(http, kie, nano_body()) == (503, {"code": 500, "msg": "Server exception"})
    assert kie.tasks == {}
    await create_ok(http, kie, nano_body())
    assert len(kie.tasks) == 1


async def test_zero_credits_refuses_new_tasks(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    kie.credits = 0
    _, answer = await create(http, kie, nano_body())
    assert answer["code"] == 402
    assert kie.tasks == {}


async def test_rate_limit(http: aiohttp.ClientSession) -> None:
    kie = KieEmulator(rate_limit=True)
    await kie.start()
    try:
        for _ in range(RATE_LIMIT_TASKS):
            await create_ok(http, kie, nano_body())
        status, answer = await create(http, kie, nano_body())
    finally:
        await kie.stop()

    assert status == 200
    assert answer["code"] == 429
    assert len(kie.tasks) == RATE_LIMIT_TASKS


async def test_rate_limit_off_by_default(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    for _ in range(RATE_LIMIT_TASKS + 1):
        await create_ok(http, kie, nano_body())
    assert len(kie.tasks) == RATE_LIMIT_TASKS + 1


# -- recordInfo / credit ----------------------------------------------------------------------


async def test_record_info_before_and_after_success(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    body = nano_body(callback="https://bot.invalid/kie")
    task_id = await create_ok(http, kie, body)

    status, before = await record_info(http, kie, task_id)
    assert status == 200
    assert before["code"] == 200
    data = before["data"]
    assert data["taskId"] == task_id
    assert data["model"] == "nano-banana-pro"
    assert data["state"] == "waiting"
    assert data["resultJson"] == ""
    assert json.loads(data["param"]) == body
    assert data["completeTime"] is None
    assert isinstance(data["createTime"], int)

    urls = ["https://cdn.invalid/a.png", "https://cdn.invalid/b.png"]
    kie.finish(task_id, result_urls=urls)
    _, after = await record_info(http, kie, task_id)
    data = after["data"]
    assert data["state"] == "success"
    assert isinstance(data["resultJson"], str)
    assert json.loads(data["resultJson"]) == {"resultUrls": urls}
    assert data["failCode"] == ""
    assert data["completeTime"] >= data["createTime"]
    assert data["costTime"] >= 0


async def test_record_info_after_failure(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    task_id = await create_ok(http, kie, nano_body())
    kie.finish(task_id, fail_code="422", fail_msg="content policy violation")

    _, answer = await record_info(http, kie, task_id)
    data = answer["data"]
    assert data["state"] == "fail"
    assert data["resultJson"] == ""
    assert (data["failCode"], data["failMsg"]) == ("422", "content policy violation")


async def test_finish_without_urls_serves_a_png(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    task_id = await create_ok(http, kie, nano_body())
    kie.finish(task_id)

    (url,) = kie.tasks[task_id].result_urls
    async with http.get(url) as response:
        assert await response.read() == TINY_PNG
    assert TINY_PNG.startswith(PNG_SIGNATURE)


async def test_record_info_unknown_task(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    assert await record_info(http, kie, "task_nope_1") == (
        200,
        {"code": 404, "msg": "Task not found"},
    )


async def test_fail_next_record_info(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    task_id = await create_ok(http, kie, nano_body())
    kie.fail_next_record_info(500, "Server exception", http_status=502)

    assert await record_info(http, kie, task_id) == (
        502,
        {"code": 500, "msg": "Server exception"},
    )
    status, answer = await record_info(http, kie, task_id)
    assert (status, answer["code"], answer["data"]["taskId"]) == (200, 200, task_id)


async def test_credit(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    async def credit() -> Any:
        async with http.get(f"{kie.url}/api/v1/chat/credit", headers=auth()) as response:
            return await response.json()

    assert await credit() == {"code": 200, "msg": "success", "data": 1000}
    kie.credits = 7
    assert (await credit())["data"] == 7


# -- hooks --------------------------------------------------------------------------------------


async def test_wait_for_task(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    waiter = asyncio.create_task(kie.wait_for_task(count=2))
    first = await create_ok(http, kie, nano_body())
    assert not waiter.done()
    second = await create_ok(http, kie, nano_body())

    tasks = await asyncio.wait_for(waiter, timeout=5)
    assert [task.task_id for task in tasks] == [first, second]
    assert all(isinstance(task, KieTask) for task in tasks)


async def test_wait_for_task_times_out(kie: KieEmulator) -> None:
    with pytest.raises(TimeoutError):
        await kie.wait_for_task(timeout=0.01)


async def test_send_callback_success(
    kie: KieEmulator, http: aiohttp.ClientSession, sink: Sink
) -> None:
    task_id = await create_ok(http, kie, nano_body(callback=f"{sink.url}/callback"))
    kie.finish(task_id, result_urls=["https://cdn.invalid/r.png"])

    status, answer = await kie.send_callback(task_id)

    assert (status, answer) == (200, {"ok": True})
    (body,) = sink.bodies
    assert body == kie.callback_body(task_id)
    assert body["code"] == 200
    assert body["msg"] == "Playground task completed successfully."
    assert body["data"]["state"] == "success"
    assert json.loads(body["data"]["resultJson"]) == {"resultUrls": ["https://cdn.invalid/r.png"]}
    assert sink.headers[0]["Content-Type"] == "application/json"


async def test_send_callback_failure_envelope(
    kie: KieEmulator, http: aiohttp.ClientSession, sink: Sink
) -> None:
    task_id = await create_ok(http, kie, nano_body(callback=f"{sink.url}/callback"))
    kie.finish(task_id, fail_msg="Internal server error")

    await kie.send_callback(task_id)

    (body,) = sink.bodies
    assert body["code"] == 501
    assert body["msg"] == "Playground task failed."
    assert body["data"]["state"] == "fail"
    assert (body["data"]["failCode"], body["data"]["failMsg"]) == ("500", "Internal server error")


async def test_send_callback_custom_body_url_and_headers(
    kie: KieEmulator, http: aiohttp.ClientSession, sink: Sink
) -> None:
    task_id = await create_ok(http, kie, nano_body())
    headers = kie.sign_webhook(task_id, "secret", timestamp=1_700_000_000)

    status, _ = await kie.send_callback(
        task_id, body=b'{"forged": true}', url=f"{sink.url}/callback", headers=headers
    )

    assert status == 200
    assert sink.bodies == [{"forged": True}]
    assert sink.headers[0]["X-Webhook-Signature"] == headers["X-Webhook-Signature"]


async def test_callback_body_needs_a_final_task(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    task_id = await create_ok(http, kie, nano_body())
    with pytest.raises(ValueError, match="not final"):
        kie.callback_body(task_id)


async def test_add_result_file(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    data = bytes(range(256)) * 10
    url = kie.add_result_file(data, name="out.webp", content_type="image/webp")
    other = kie.add_result_file(b"other", name="out.webp")

    assert url.startswith(f"{kie.url}/files/")
    assert url != other
    async with http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/webp"
        assert await response.read() == data
    async with http.get(f"{kie.url}/files/missing.png") as response:
        assert response.status == 404
    assert [r.status for r in kie.requests[-2:]] == [200, 404]


def test_sign_webhook_matches_independent_hmac() -> None:
    kie = KieEmulator()
    ts = 1_712_345_678
    expected = base64.b64encode(
        hmac.new(b"hook-key", f"task_abc_1.{ts}".encode(), hashlib.sha256).digest()
    ).decode()

    assert kie.sign_webhook("task_abc_1", "hook-key", ts) == {
        "X-Webhook-Timestamp": str(ts),
        "X-Webhook-Signature": expected,
    }
    now_headers = kie.sign_webhook("task_abc_1", "hook-key")
    assert abs(int(now_headers["X-Webhook-Timestamp"]) - time.time()) < 60


# -- sandbox mode -------------------------------------------------------------------------------


async def test_auto_complete_echoes_input_image_and_calls_back(
    http: aiohttp.ClientSession, sink: Sink
) -> None:
    kie = KieEmulator(auto_complete=True)
    await kie.start()
    try:
        body = nano_body(callback=f"{sink.url}/callback")
        body["input"]["image_input"] = [f"{sink.url}/input.png"]
        task_id = await create_ok(http, kie, body)
        await asyncio.wait_for(sink.received.wait(), timeout=10)

        (callback,) = sink.bodies
        assert callback["code"] == 200
        assert callback["data"]["taskId"] == task_id
        assert callback["data"]["state"] == "success"
        (url,) = json.loads(callback["data"]["resultJson"])["resultUrls"]
        async with http.get(url) as response:
            assert await response.read() == INPUT_IMAGE
        _, info = await record_info(http, kie, task_id)
        assert info["data"]["state"] == "success"
    finally:
        await kie.stop()


async def test_auto_complete_falls_back_to_tiny_png(
    http: aiohttp.ClientSession, sink: Sink
) -> None:
    kie = KieEmulator(auto_complete=True)
    await kie.start()
    try:
        body = nano_body(callback=f"{sink.url}/callback")
        body["input"]["image_input"] = [f"{sink.url}/missing.png"]
        await create_ok(http, kie, body)
        await asyncio.wait_for(sink.received.wait(), timeout=10)

        (url,) = json.loads(sink.bodies[0]["data"]["resultJson"])["resultUrls"]
        async with http.get(url) as response:
            assert await response.read() == TINY_PNG
    finally:
        await kie.stop()


async def test_auto_complete_survives_a_failing_callback(http: aiohttp.ClientSession) -> None:
    failing = Sink(status=500)
    await failing.start()
    kie = KieEmulator(auto_complete=True)
    await kie.start()
    try:
        body = {"model": "nano-banana-pro", "input": {"prompt": "x"}}
        body["callBackUrl"] = f"{failing.url}/callback"
        first = await create_ok(http, kie, body)
        await asyncio.wait_for(failing.received.wait(), timeout=10)
        failing.received.clear()
        second = await create_ok(http, kie, body)
        await asyncio.wait_for(failing.received.wait(), timeout=10)

        assert [b["data"]["taskId"] for b in failing.bodies] == [first, second]
    finally:
        await kie.stop()
        await failing.stop()


async def test_stop_cancels_pending_auto_completion(http: aiohttp.ClientSession) -> None:
    kie = KieEmulator(auto_complete=True, auto_complete_delay_s=3600)
    await kie.start()
    task_id = await create_ok(http, kie, nano_body(callback="http://127.0.0.1:9/never"))

    await asyncio.wait_for(kie.stop(), timeout=5)

    assert kie.tasks[task_id].state not in ("success", "fail")
