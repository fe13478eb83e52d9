"""Every model in the registry answers in the sandbox, through the real bot, with a sample
result of its kind: pictures made from the photo or the prompt, a playable video, songs."""

from __future__ import annotations

import itertools
import json
import logging
import re
from pathlib import Path

import pytest

from bot import texts
from bot.models import REGISTRY
from bot.sandbox import png
from bot.sandbox.samples import SampleMedia, mirrored_and_tinted, prompt_colour
from tests.sandbox.driver import PHOTO, VIDEO, SandboxClient, bot_said, bot_sent, running_sandbox

_users = itertools.count(5000)
# Prices and their questions are the credits tests' business; here every model just answers.
FREE = {"payments": "off"}
CREATED = re.compile(r"job \w+ created for chat \d+ \((?P<model>[^)]+)\)")


async def _captioned_photo(sandbox: SandboxClient, caption: str, kind: str) -> None:
    user = next(_users)
    await sandbox.send_files(user, [("photo.png", PHOTO)], caption)
    await sandbox.wait_for(user, bot_sent(kind))


async def _command(sandbox: SandboxClient, text: str, kind: str, count: int = 1) -> None:
    user = next(_users)
    await sandbox.say(user, text)
    await sandbox.wait_for(user, bot_sent(kind), count=count)


async def _photo_and_video(sandbox: SandboxClient, command: str) -> None:
    user = next(_users)
    await sandbox.say(user, command)
    await sandbox.send_files(user, [("me.png", PHOTO)])
    await sandbox.send_files(user, [("moves.mp4", VIDEO)])
    [result] = await sandbox.wait_for(user, bot_sent("video"))
    status, data, _ = await sandbox.file(result["video"]["url"])
    assert (status, data) == (200, VIDEO)


async def _custom_song(sandbox: SandboxClient) -> None:
    user = next(_users)
    for step in ("/music", "la la la", "synth pop", "Sandbox Song"):
        await sandbox.say(user, step)
    tracks = await sandbox.wait_for(user, bot_sent("audio"), count=2)
    assert {t["audio"]["title"] for t in tracks} == {"Sandbox Song"}


async def _pro_videos(sandbox: SandboxClient) -> None:
    """The /settings row "Video quality" works in the sandbox: pro with Sora is Sora 2 Pro."""
    user = next(_users)
    await sandbox.say(user, "/settings")
    [menu] = await sandbox.wait_for(user, bot_said(texts.SETTINGS()))
    assert (await sandbox.press(user, menu["id"], f"set:{user}:video_quality:pro"))[0] == 200
    await sandbox.wait_for(user, lambda e: e["type"] == "edit" and "Video quality: pro" in
                           json.dumps(e, ensure_ascii=False))  # fmt: skip
    await sandbox.say(user, "/video a cat surfing")
    await sandbox.wait_for(user, bot_sent("video"))
    await sandbox.send_files(user, [("photo.png", PHOTO)], "/video make it move")
    await sandbox.wait_for(user, bot_sent("video"), count=2)


async def _sketch(sandbox: SandboxClient) -> None:
    """The chain: a preview picture from Seedream, then Kling's video made from it."""
    user = next(_users)
    await sandbox.say(user, "/sketch a lighthouse at dusk")
    await sandbox.wait_for(user, bot_sent("photo"))
    await sandbox.wait_for(user, bot_sent("video"))


async def test_every_model_answers_with_a_sample_of_its_kind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.jobs.start.create")
    async with running_sandbox(tmp_path / "kie", **FREE) as sandbox:
        await _captioned_photo(sandbox, "make it neon", "photo")
        await _command(sandbox, "/imagine a red fox", "photo")
        await _captioned_photo(sandbox, "/edit make it blue", "photo")
        await _command(sandbox, "/video a cat surfing", "video")
        await _captioned_photo(sandbox, "/video make it move", "video")
        await _photo_and_video(sandbox, "/dance")
        await _photo_and_video(sandbox, "/animate")
        await _command(sandbox, "/music a happy song", "audio", count=2)
        await _custom_song(sandbox)
        await _sketch(sandbox)
    async with running_sandbox(tmp_path / "sora", video_engine="sora", **FREE) as sandbox:
        await _command(sandbox, "/video a cat surfing", "video")
        await _captioned_photo(sandbox, "/video make it move", "video")
        await _pro_videos(sandbox)
    async with running_sandbox(
        tmp_path / "novita",
        text_to_image_providers="novita",
        image_to_video_providers="novita",
        **FREE,
    ) as sandbox:
        await _command(sandbox, "/imagine a red fox", "photo")
        await _captioned_photo(sandbox, "/video make it move", "video")

    used = {m["model"] for r in caplog.records if (m := CREATED.search(r.getMessage()))}
    assert used == {model.key for model in REGISTRY.models}


async def test_a_captioned_photo_comes_back_mirrored_and_tinted_by_the_prompt(
    tmp_path: Path,
) -> None:
    async with running_sandbox(tmp_path) as sandbox:
        await sandbox.send_files(5999, [("photo.png", PHOTO)], "make it neon")
        [result] = await sandbox.wait_for(5999, bot_sent("photo"))
        status, data, headers = await sandbox.file(result["photo"])

    assert status == 200 and headers["Content-Type"] == "image/png"
    source = png.decode(PHOTO, max_pixels=10**6)
    expected = mirrored_and_tinted(source, prompt_colour("make it neon"))
    assert png.decode(data, max_pixels=10**6) == expected


async def test_a_song_arrives_in_stages_with_a_cover_and_a_playable_mp3(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path, **FREE) as sandbox:
        await sandbox.say(6000, "/music a happy song")
        tracks = await sandbox.wait_for(6000, bot_sent("audio"), count=2)
        status, mp3, headers = await sandbox.file(tracks[0]["audio"]["url"])
        cover_status, cover, _ = await sandbox.file(tracks[0]["audio"]["cover"])
        assert len(sandbox.emulators.kie.tasks) == 1
        await sandbox.wait_for(6000, bot_said("Writing your song"))

    stages = [(stage, code) for _, stage, code in sandbox.emulators.kie.auto_callbacks]
    assert stages == [("text", 200), ("first", 200), ("complete", 200)]
    assert (status, mp3, headers["Content-Type"]) == (200, SampleMedia().audio(), "audio/mpeg")
    assert (cover_status, cover) == (200, SampleMedia().cover())
