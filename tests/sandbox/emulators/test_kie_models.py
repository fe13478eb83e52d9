"""The Kie emulator knows each model's rules and Suno's generate API with staged callbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox.emulators.kie import TINY_MP3, KieEmulator

URL = "https://files.example.com/a.png"
VIDEO = "https://files.example.com/moves.mp4"
HEADERS = {"Authorization": "Bearer kie-test-key"}

VALID: dict[str, dict[str, Any]] = {
    "google/nano-banana": {"prompt": "a cat", "output_format": "jpeg", "image_size": "16:9"},
    "google/nano-banana-edit": {"prompt": "add a hat", "image_urls": [URL, URL]},
    "sora-2-text-to-video": {"prompt": "waves", "aspect_ratio": "portrait", "n_frames": "10"},
    "sora-2-image-to-video": {"prompt": "waves", "image_urls": [URL]},
    "grok-imagine/text-to-video": {"prompt": "waves", "mode": "normal", "duration": "6"},
    "grok-imagine/image-to-video": {"image_urls": [URL], "duration": "10"},
    "kling-2.6/motion-control": {
        "input_urls": [URL], "video_urls": [VIDEO], "character_orientation": "image",
        "mode": "720p",
    },
    "wan/2-2-animate-move": {"image_url": URL, "video_url": VIDEO, "resolution": "480p"},
}  # fmt: skip

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("google/nano-banana", {"prompt": "a cat", "output_format": "jpg"}, "output_format"),
    ("google/nano-banana-edit", {"prompt": "x", "image_urls": [URL] * 11}, "image_urls"),
    ("sora-2-text-to-video", {"prompt": "x", "aspect_ratio": "16:9"}, "aspect_ratio"),
    ("grok-imagine/image-to-video", {"image_urls": [URL, URL]}, "image_urls"),
    ("kling-2.6/motion-control", {"input_urls": [URL], "video_urls": [VIDEO]}, "required"),
    ("wan/2-2-animate-move", {"image_url": [URL], "video_url": VIDEO}, "image_url"),
    ("sora-2-pro-storyboard", {"prompt": "x"}, "not supported"),
]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(url, json=body) as response:
        answer: dict[str, Any] = await response.json()
        return answer


@pytest.mark.parametrize("model", list(VALID))
async def test_each_model_accepts_its_documented_input(
    kie: KieEmulator, http: aiohttp.ClientSession, model: str
) -> None:
    body = {"model": model, "callBackUrl": "https://bot.example.com/cb", "input": VALID[model]}
    answer = await post(http, f"{kie.url}/api/v1/jobs/createTask", body)
    assert answer["code"] == 200
    task = kie.tasks[answer["data"]["taskId"]]
    assert task.output == ("image" if "banana" in model else "video")


@pytest.mark.parametrize(("model", "task_input", "reason"), INVALID)
async def test_each_model_refuses_what_breaks_its_rules(
    kie: KieEmulator, http: aiohttp.ClientSession, model: str, task_input: dict[str, Any],
    reason: str,
) -> None:  # fmt: skip
    answer = await post(
        http, f"{kie.url}/api/v1/jobs/createTask", {"model": model, "input": task_input}
    )
    assert answer["code"] == 422
    assert reason in answer["msg"]
    assert kie.tasks == {}


async def test_suno_generate_stages_and_record_info(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    body = {"prompt": "a song about rain", "customMode": False, "instrumental": False,
            "model": "V5", "callBackUrl": "https://bot.example.com/cb"}  # fmt: skip
    answer = await post(http, f"{kie.url}/api/v1/generate", body)
    task_id = answer["data"]["taskId"]
    assert kie.tasks[task_id].output == "audio"

    tracks = kie.finish_music(task_id, stage="first")
    first = kie.music_callback_body(task_id)
    assert first["data"]["callbackType"] == "first"
    assert [t["audio_url"] for t in first["data"]["data"]] == [tracks[0].audio_url, ""]
    async with http.get(f"{kie.url}/api/v1/generate/record-info?taskId={task_id}") as response:
        info = (await response.json())["data"]
    assert info["status"] == "FIRST_SUCCESS"
    assert info["response"]["sunoData"][0]["audioUrl"] == tracks[0].audio_url

    kie.finish_music(task_id)
    complete = kie.callback_body(task_id)
    assert complete["data"]["callbackType"] == "complete"
    assert all(t["audio_url"] for t in complete["data"]["data"])
    async with aiohttp.ClientSession() as plain, plain.get(tracks[1].audio_url) as response:
        assert await response.read() == TINY_MP3


async def test_suno_refuses_custom_mode_without_style(
    kie: KieEmulator, http: aiohttp.ClientSession
) -> None:
    body = {"prompt": "la la", "customMode": True, "instrumental": False, "model": "V4",
            "title": "Rain", "callBackUrl": "https://bot.example.com/cb"}  # fmt: skip
    answer = await post(http, f"{kie.url}/api/v1/generate", body)
    assert answer["code"] == 422 and "style" in answer["msg"]


async def test_suno_failure_callback(kie: KieEmulator, http: aiohttp.ClientSession) -> None:
    body = {"prompt": "x", "customMode": False, "instrumental": True, "model": "V5",
            "callBackUrl": "https://bot.example.com/cb"}  # fmt: skip
    task_id = (await post(http, f"{kie.url}/api/v1/generate", body))["data"]["taskId"]
    kie.finish_music(task_id, fail_code="SENSITIVE_WORD_ERROR", fail_msg="Lyrics not allowed")
    failed = kie.callback_body(task_id)
    assert failed["data"]["callbackType"] == "error" and failed["msg"] == "Lyrics not allowed"
