"""Kie's file upload, against the emulator over HTTP: a stored file goes up streamed and comes
back at the answer's URL; a host down, a 5xx, an answer without a URL or a refused key is one
ProviderError that says what the user should hear; neither the key nor the URL is logged."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.errors import FailureKind, ProviderError
from bot.providers.kie.upload import STREAM_UPLOAD, UPLOAD_PATH, KieUploader, _download_url
from bot.sandbox.emulators.kie import KieEmulator
from bot.storage.local import LocalStorage
from tests.conftest import free_port

KEY = "kie-test-key"
STORED = "inputs/job1-1.png"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", None, b"media-key")


def uploader(http: aiohttp.ClientSession, url: str, key: str = KEY) -> KieUploader:
    return KieUploader(http, url, key, backoff_s=0.01)


def upload_calls(kie: KieEmulator) -> int:
    return sum(1 for r in kie.requests if r.path == STREAM_UPLOAD)


async def test_a_stored_file_goes_up_and_comes_back_at_the_answers_url(
    kie: KieEmulator, http: aiohttp.ClientSession, storage: LocalStorage
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several pieces of the stream
    await storage.put(STORED, data, "image/png")

    url = await uploader(http, kie.url).upload(storage, STORED, "image/png")

    [upload] = kie.uploads
    assert url == upload.download_url
    assert (upload.upload_path, upload.file_name, upload.content_type) == (
        UPLOAD_PATH, "job1-1.png", "image/png",
    )  # fmt: skip
    async with http.get(url) as response:
        assert await response.read() == data
    assert not storage.public_urls  # why it had to go up: nobody can fetch /media


async def test_one_5xx_is_tried_again(
    kie: KieEmulator, http: aiohttp.ClientSession, storage: LocalStorage
) -> None:
    await storage.put(STORED, b"png", "image/png")
    kie.fail_next_upload("5xx")
    url = await uploader(http, kie.url).upload(storage, STORED, "image/png")
    assert url == kie.uploads[0].download_url and upload_calls(kie) == 2


@pytest.mark.parametrize("how", ["5xx", "no_url", "down"])
async def test_a_host_that_keeps_failing_is_busy_for_the_user(
    kie: KieEmulator,
    http: aiohttp.ClientSession,
    storage: LocalStorage,
    how: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await storage.put(STORED, b"png", "image/png")
    kie.fail_next_upload(how, times=2)  # type: ignore[arg-type]

    with pytest.raises(ProviderError) as info:
        await uploader(http, kie.url).upload(storage, STORED, "image/png")

    assert info.value.provider == "kie" and info.value.kind is FailureKind.BUSY
    assert upload_calls(kie) == 2  # tried twice, then given up
    assert KEY not in caplog.text and KEY not in str(info.value)


async def test_nobody_listening_is_busy_too(
    http: aiohttp.ClientSession, storage: LocalStorage
) -> None:
    await storage.put(STORED, b"png", "image/png")
    with pytest.raises(ProviderError) as info:
        await uploader(http, f"http://127.0.0.1:{free_port()}").upload(storage, STORED, "image/png")
    assert (info.value.kind, info.value.code) == (FailureKind.BUSY, 0)


async def test_a_refused_key_is_the_operators_and_not_tried_again(
    kie: KieEmulator, http: aiohttp.ClientSession, storage: LocalStorage
) -> None:
    await storage.put(STORED, b"png", "image/png")
    with pytest.raises(ProviderError) as info:
        await uploader(http, kie.url, key="wrong").upload(storage, STORED, "image/png")
    assert info.value.kind is FailureKind.MISCONFIGURED and upload_calls(kie) == 1
    assert kie.uploads == []


def test_the_answer_may_name_the_file_url_instead() -> None:
    answer = {"success": True, "code": 200, "data": {"fileUrl": "https://files.example/f.png"}}
    assert _download_url(200, answer) == "https://files.example/f.png"
    both = {"code": 200, "data": {"downloadUrl": "https://a.example/1", "fileUrl": "https://b"}}
    assert _download_url(200, both) == "https://a.example/1"


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (200, {"code": 200, "data": {"downloadUrl": "javascript:alert(1)"}}),
        (200, {"code": 200, "data": None}),
        (200, {"success": False, "code": 200, "data": {"downloadUrl": "https://a.example/1"}}),
        (200, "<html>a proxy error</html>"),
        (413, {"code": 413, "msg": "too large"}),
    ],
)
def test_an_answer_without_a_usable_url_is_an_error(status: int, answer: object) -> None:
    with pytest.raises(ProviderError):
        _download_url(status, answer)
